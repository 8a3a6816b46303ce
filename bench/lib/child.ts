import { fork } from 'node:child_process';

/** In a runner: computes the result, sends it to the parent over IPC, then exits (the handlers keep sockets open). */
export async function reply(compute: () => Promise<unknown>): Promise<never> {
  let message: { ok: true; result: unknown; cpuMs: number } | { ok: false; error: string };
  try {
    const result = await compute();
    const cpu = process.cpuUsage();
    message = { ok: true, result, cpuMs: (cpu.user + cpu.system) / 1000 };
  } catch (error) {
    message = { ok: false, error: String((error as Error).stack ?? error) };
  }
  await new Promise<void>((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => resolve());
  });
  process.exit(0);
}

export interface ForkOptions {
  env: NodeJS.ProcessEnv;
  execArgv?: string[];
  /** Hard limit; the child is killed after it. */
  timeoutMs: number;
  /** Keep the child's stdout (otherwise it goes to /dev/null: the audit lines ours writes per call). */
  stdout?: 'ignore' | 'inherit';
  /** Called with `progress` messages the child sends before its result (e.g. 'start' when the timed part begins). */
  onProgress?: (progress: string) => void;
}

/** Runs a runner in a fresh `node` and resolves with the result it sends back and the CPU time it used. */
export function runChild<T>(file: string, options: ForkOptions): Promise<{ result: T; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(file, [], {
      execPath: process.execPath,
      execArgv: options.execArgv ?? [],
      env: options.env,
      stdio: ['ignore', options.stdout ?? 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let settled = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`${file} did not finish within ${options.timeoutMs} ms\n${stderr}`));
    }, options.timeoutMs);
    const finish = (error: Error | undefined, value?: { result: T; cpuMs: number }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value!);
    };
    child.on('message', (message: { ok: boolean; progress?: string; result?: T; cpuMs?: number; error?: string }) => {
      if (message.progress) return options.onProgress?.(message.progress);
      if (message.ok) finish(undefined, { result: message.result as T, cpuMs: message.cpuMs ?? Number.NaN });
      else finish(new Error(`${file} failed: ${message.error}\n${stderr}`));
    });
    child.on('exit', (code, signal) => {
      // A result that arrived wins; otherwise the exit is the failure.
      setTimeout(
        () => finish(new Error(`${file} exited (code ${code}, signal ${signal}) without a result\n${stderr}`)),
        50,
      );
    });
  });
}
