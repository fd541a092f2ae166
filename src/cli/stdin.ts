import type { Readable } from 'node:stream';
import type { ReadStream } from 'node:tty';

/**
 * The first line of standard input, without its line ending. From a pipe or file it reads up to
 * the first newline (or the end). From a terminal it prompts on stderr and does not echo the
 * characters typed, since this is how a password is entered.
 */
export function readFirstLine(
  stdin: NodeJS.ReadableStream & Partial<Pick<ReadStream, 'isTTY' | 'setRawMode'>>,
  prompt: NodeJS.WritableStream,
): Promise<string> {
  if (stdin.isTTY && stdin.setRawMode) return readHidden(stdin as ReadStream, prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = () => {
      cleanup();
      const newline = text.indexOf('\n');
      resolve((newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('\n')) finish();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      stdin.off('data', onData).off('end', finish).off('error', onError);
      // Done with stdin for good: an open pipe must not keep the process waiting for its writer.
      (stdin as Partial<Readable>).destroy?.();
    };
    stdin.on('data', onData).on('end', finish).on('error', onError);
  });
}

function readHidden(stdin: ReadStream, prompt: NodeJS.WritableStream): Promise<string> {
  prompt.write('Password: ');
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      prompt.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') return done(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') text = [...text].slice(0, -1).join('');
        else text += char;
      }
    };
    stdin.on('data', onData);
  });
}
