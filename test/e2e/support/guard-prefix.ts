/** Marks the lines `guard.ts` writes to the child's stderr (kept apart: importing guard.ts installs it). */
export const GUARD_PREFIX = 'GUARD:';
