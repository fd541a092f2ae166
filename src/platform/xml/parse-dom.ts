import { DOMParser } from '@xmldom/xmldom';

// The XML parser SAML handling uses, set up as node-saml 5 sets up its own (the same xmldom
// package, which it depends on too): a parser warning or error rejects instead of being printed.

/** A parsed document, as xmldom types it. */
export type XmlDocument = ReturnType<DOMParser['parseFromString']>;

/** Parses `xml`; rejects on any parser error or when there is no document element to read. */
export function parseDomFromString(xml: string): Promise<XmlDocument> {
  return new Promise((resolve, reject) => {
    const fail = (message: string) => reject(new Error(message));
    const dom = new DOMParser({
      // The locator gives the error messages their line and column.
      locator: {},
      errorHandler: { error: fail, fatalError: fail },
    }).parseFromString(xml, 'text/xml');
    if (!Object.hasOwn(dom, 'documentElement')) {
      reject(new Error('Not a valid XML document'));
      return;
    }
    resolve(dom);
  });
}
