import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Profiles this process (the bench parent, which hosts the local cluster's front) until the returned stop is called. */
export async function startSelfProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
  };
}
