import { timingSafeEqual } from 'node:crypto';

/** Constant-time membership test of a presented secret among the accepted ones. */
export function keyMatches(accepted: readonly string[], presented: string): boolean {
  const given = Buffer.from(presented, 'utf8');
  let found = false;
  for (const value of accepted) {
    const want = Buffer.from(value, 'utf8');
    if (want.length === given.length && timingSafeEqual(want, given)) found = true;
  }
  return found;
}
