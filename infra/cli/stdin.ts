import type { CliIo } from './args.js';

/** Ctrl-C at a hidden prompt: the command stops, nothing is written. */
export class CancelledError extends Error {
  readonly code = 'CANCELLED';

  constructor() {
    super('Cancelled: nothing was stored.');
    this.name = 'CancelledError';
  }
}

/**
 * Reads a secret value from stdin. Piped: everything up to the end, without one trailing newline (so
 * `echo value | ...` stores `value`). A terminal: prompts on stderr and reads one line without echoing it.
 */
export async function readSecretValue(io: Pick<CliIo, 'stdin' | 'stderr'>, prompt: string): Promise<string> {
  const { stdin } = io;
  if (stdin.isTTY && typeof stdin.setRawMode === 'function') return readHidden(io, prompt);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function readHidden(io: Pick<CliIo, 'stdin' | 'stderr'>, prompt: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  io.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new CancelledError()); // Ctrl-C
        if (char === '\u0004') return value ? finish() : finish(new CancelledError()); // Ctrl-D
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
  });
}
