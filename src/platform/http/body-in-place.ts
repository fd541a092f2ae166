import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  charsetProblem,
  decodeUtf8,
  formProblem,
  type InputProblem,
  jsonDepthProblem,
  jsonValueProblem,
} from './input-checks.ts';
import { invalidInputError, tooLargeError } from './input-guard.ts';

// REL-1 for a consumer that reads and parses its own bodies (oidc-provider): the body is read
// whole, checked as the body parsers check theirs, and put back on the stream, so the consumer
// reads the very same bytes through its own parser, its own limit and its own length check, as
// if nobody had looked. (Handing it `req.body` instead works too, but it then warns on every start
// that an upstream body parser is "not recommended", and skips its own checks.)

/** A request as Express hands it over: with the response that will answer it. */
type Incoming = IncomingMessage & { res?: ServerResponse };

/**
 * Reads the body (at most `limitBytes`) and `unshift`s it back before the stream ends — the one
 * moment Node allows that. Rejects with the AppError to answer. After a 413 nothing more is read:
 * the connection closes once the answer is out, rather than take in the rest of a body of any size.
 */
function peekBody(req: Incoming, limitBytes: number): Promise<Buffer> {
  // An empty body that has arrived already (a chunked `0\r\n\r\n`): reading it would end the stream.
  if (req.complete && req.readableLength === 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', onBroken);
      req.off('close', onBroken);
    };
    function onBroken() {
      stop();
      reject(invalidInputError({ field: '(body)', problem: 'did not arrive whole' }));
    }
    // Should an empty body end all the same, the consumer finds it as `body` (oidc-provider falls
    // back to `req.body` for a stream that has ended), as `unshift` cannot undo an end.
    function onEnd() {
      stop();
      if (received > 0) return onBroken();
      Object.assign(req, { body: Buffer.alloc(0) });
      resolve(Buffer.alloc(0));
    }
    function onReadable() {
      // Only what is buffered: a `read()` that finds nothing after the end would end the stream.
      while (req.readableLength > 0) {
        const chunk = req.read() as Buffer;
        received += chunk.length;
        if (received > limitBytes) {
          stop();
          closeAfterAnswer(req);
          reject(tooLargeError(limitBytes));
          return;
        }
        chunks.push(chunk);
      }
      // `complete` is set before the stream's end is pushed: whatever arrives now was read above.
      if (!req.complete) return;
      stop();
      const body = Buffer.concat(chunks, received);
      if (body.length > 0) req.unshift(body);
      resolve(body);
    }
    // Asking for nothing starts the reading: else adding the listener schedules a `read(0)`, which
    // ends an empty body that arrives before it runs, and 'readable' never fires for it.
    req.read(0);
    req.on('readable', onReadable);
    req.on('end', onEnd);
    req.on('error', onBroken);
    req.on('close', onBroken);
  });
}

/**
 * `Connection: close` on the answer: Node ends the connection and destroys the socket once the
 * answer is written (`destroySoon`), and nothing reads the rest meanwhile. Without the response at
 * hand (not Express), the rest is drained instead.
 */
function closeAfterAnswer(req: Incoming): void {
  const res = req.res;
  if (res && !res.headersSent) res.setHeader('Connection', 'close');
  else req.resume();
}

/** Checks a form or JSON body in place: throws the AppError to answer (400 naming the field, 413). */
export async function checkBodyInPlace(req: Incoming, limitBytes: number): Promise<void> {
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') {
    throw invalidInputError({ field: '(body)', problem: 'has a Content-Encoding that is not supported' });
  }
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) === 0) return; // nothing to read, and nothing to put back
  if (Number(length) > limitBytes) throw tooLargeError(limitBytes);
  const charset = charsetProblem(req.headers['content-type']);
  if (charset) throw invalidInputError(charset);
  const text = decodeUtf8(await peekBody(req, limitBytes));
  if (text === undefined) throw invalidInputError({ field: '(body)', problem: 'is not valid UTF-8' });
  const problem = isJson(req) ? jsonTextProblem(text) : formProblem(text, 'form body');
  if (problem) throw invalidInputError(problem);
}

function isJson(req: IncomingMessage): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(req.headers['content-type'] ?? '');
}

/** JSON the consumer will parse: too deep, not JSON, or holding a string that is not clean text. */
function jsonTextProblem(text: string): InputProblem | undefined {
  const deep = jsonDepthProblem(text);
  if (deep) return deep;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { field: '(body)', problem: 'is not valid JSON' };
  }
  return jsonValueProblem(value);
}
