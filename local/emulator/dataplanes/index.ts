/** The emulator's provider data planes module. */
import type { ArmModule } from '../arm/index.js';
import type { EmulatorContext } from '../types.js';
import type { DataPlanesModule } from './types.js';

export * from './types.js';

export function createDataPlanesModule(_ctx: EmulatorContext, _arm: ArmModule): DataPlanesModule {
  throw new Error('not implemented yet');
}
