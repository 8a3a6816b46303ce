import type { ChildProcess } from 'node:child_process';

/**
 * Stops a child process of the local cluster: `ask` asks it to exit (a signal, or closing its IPC channel), and
 * SIGKILL follows if it has not exited after `graceMs`. Resolves once it has exited (at once if it already had).
 */
export function stopChild(child: ChildProcess | undefined, ask: (child: ChildProcess) => void, graceMs: number) {
  return new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    ask(child);
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}
