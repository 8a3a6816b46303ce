/**
 * The order of round `round` of a set of instances measured back to back: rotated by one place per round, and
 * reversed in every other turn of rotations, so over `instances.length` rounds each takes every place once, and over
 * any whole number of turns every place equally often: a place's own effect (the instance before it, the state the
 * previous one left) lands on all alike.
 */
export function roundOrder<T>(instances: readonly T[], round: number): T[] {
  const shift = round % instances.length;
  const rotated = [...instances.slice(shift), ...instances.slice(0, shift)];
  return Math.floor(round / instances.length) % 2 === 0 ? rotated : rotated.reverse();
}
