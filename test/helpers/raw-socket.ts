import { connect } from 'node:net';

// HTTP/1.1 byte for byte, framing included (REL-1): node:http always frames a request itself
// (an empty body goes out as `Content-Length: 0`, never as a chunked `0\r\n\r\n`), and waits for
// a body to be finished, where a test must see what the server does with one that is not.

export interface SocketAnswer {
  status: number;
  /** Header names lower-cased; the last value of a repeated header. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes the `parts` (a short pause between each) on a connection of its own and resolves with
 * the answer once the server has closed the connection (send `Connection: close` for a request
 * that ends, or this never resolves). A reset after the answer counts as a close: the server may
 * stop reading mid-body.
 */
export function sendOnSocket(baseUrl: string, ...parts: (string | Buffer)[]): Promise<SocketAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) }, async () => {
      for (const [i, part] of parts.entries()) {
        // Parts in packets of their own, as far as a test can make them: the server reads between.
        if (i > 0) await new Promise((r) => setTimeout(r, 20));
        if (!socket.destroyed) socket.write(part);
      }
    });
    socket.on('data', (data: Buffer) => received.push(data));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => {
      const all = Buffer.concat(received);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) {
        reject(new Error(`no answer before the connection closed: ${JSON.stringify(all.toString())}`));
        return;
      }
      const [statusLine = '', ...lines] = all.subarray(0, split).toString().split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const at = line.indexOf(':');
        headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
      }
      const framed = all.subarray(split + 4);
      const body = headers['transfer-encoding'] === 'chunked' ? unchunk(framed) : framed;
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: body.toString() });
    });
  });
}

/** The body of a chunked answer, without its framing. */
function unchunk(framed: Buffer): Buffer {
  const pieces: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = framed.indexOf('\r\n', at);
    const size = Number.parseInt(framed.subarray(at, eol).toString(), 16);
    if (!(size > 0)) return Buffer.concat(pieces);
    pieces.push(framed.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** A request head for `sendOnSocket`: the request line, the headers, and the empty line. */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** One chunk of a chunked body, framed (ASCII data); `chunk('')` is the last one. */
export const chunk = (data: string) => `${data.length.toString(16)}\r\n${data}\r\n`;
