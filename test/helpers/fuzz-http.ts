import { request } from 'node:http';

// HTTP with any bytes in it (REL-1): supertest encodes what it sends (a Buffer in a JSON body
// becomes `{"type":"Buffer",…}`), so the input fuzz writes requests itself.

export interface RawRequest {
  method: string;
  /** Sent as is: percent-encodings are not touched. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Claims a Content-Length this large but sends only `body`: for bodies the server must refuse unread. */
  declaredLength?: number;
  /** Sent in chunks without a Content-Length (chunked transfer): for limits enforced while reading. */
  chunks?: Buffer[];
}

export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** Sends one request on a connection of its own; resolves with the answer once it has arrived. */
export function sendRaw(baseUrl: string, r: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string> = { ...r.headers };
  if (r.declaredLength !== undefined) headers['content-length'] = String(r.declaredLength);
  else if (r.body) headers['content-length'] = String(r.body.length);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method: r.method, path: r.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString(),
        });
        req.destroy(); // a declared body is never finished
      });
      res.on('error', reject);
    });
    // The server may answer and close before the body is all sent: the answer is what counts.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (r.chunks) {
      for (const chunk of r.chunks) req.write(chunk);
      req.end();
    } else if (r.declaredLength !== undefined) {
      req.write(r.body ?? Buffer.alloc(0));
    } else req.end(r.body);
  });
}
