/** The emulator's ARM management plane module. */
import type { EmulatorContext } from '../types.js';
import type { ArmModule, ResourceDeclaration } from './types.js';

export * from './types.js';

export function createArmModule(_ctx: EmulatorContext, _resources: ResourceDeclaration[]): ArmModule {
  throw new Error('not implemented yet');
}
