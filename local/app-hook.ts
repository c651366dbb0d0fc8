/**
 * The one place `npm start` hands the composition root what it needs before the host serves anything:
 * the local environment (emulator endpoints, CA, Azurite) and the emulator's clock, so fast-forwarding the
 * emulator moves the engine too (DESIGN.md, Clock).
 */
import type { LocalAppContext } from './stack.js';

export async function configureLocalApp(_context: LocalAppContext): Promise<void> {
  // Wired once composition/root.ts exposes its hook.
}
