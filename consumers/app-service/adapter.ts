/**
 * App Service / Function App consumer: (soft) restart so the site re-reads its Key Vault references, then,
 * if configured, wait for its health URL to answer 2xx. Restarts go through the shared
 * {@link RestartCoalescer}, so a batch restarts each site once.
 */
import { RotationError } from '../../rotation/errors.js';
import { requireHttpUrl } from '../http.js';
import type { DeliveryTiming, Sleep } from '../retry.js';
import { type AppServiceConsumerConfig, appServiceConsumerSchema, type ResolveSetting } from '../settings.js';
import type { ConsumerAdapter } from '../types.js';
import type { RestartCoalescer } from './coalescer.js';
import { waitUntilHealthy } from './health.js';
import { parseSiteId } from './resource-id.js';

export interface AppServiceDeps {
  coalescer: RestartCoalescer;
  resolveSetting: ResolveSetting;
  timing: DeliveryTiming;
  sleep: Sleep;
  /** Monotonic ms for health deadlines (tests may inject). */
  monotonicNow?: () => number;
}

export function createAppServiceConsumer(deps: AppServiceDeps): ConsumerAdapter<AppServiceConsumerConfig> {
  return {
    kind: 'app-service',
    schema: appServiceConsumerSchema,
    async deliver(config, delivery) {
      const parsed = parseSiteId(config.resourceId);
      if (!parsed.ok) throw new RotationError('ConfigInvalid', `resourceId: ${parsed.reason}`);
      const idSlot = parsed.site.slot;
      if (
        config.slot !== undefined &&
        idSlot !== undefined &&
        config.slot.toLowerCase() !== idSlot.toLowerCase()
      ) {
        throw new RotationError('ConfigInvalid', `slot '${config.slot}' contradicts the slot in resourceId`);
      }
      const slot = config.slot ?? idSlot;
      // Resolve before restarting: a bad health setting must not leave a restart half-done.
      const healthUrl =
        config.healthUrl === undefined
          ? undefined
          : requireHttpUrl(await deps.resolveSetting(config.healthUrl), 'healthUrl');

      const receipt = await deps.coalescer.restart(
        config.resourceId,
        {
          ...(slot === undefined ? {} : { slot }),
          soft: config.softRestart,
          synchronous: healthUrl === undefined,
        },
        delivery.run.id,
      );
      const site = receipt.slot === 'production' ? parsed.site.name : `${parsed.site.name}/${receipt.slot}`;
      const shared = receipt.requests > 1 ? `, one restart shared by ${receipt.requests} requests` : '';
      let detail = `restarted ${site} (${receipt.soft ? 'soft' : 'hard'}${shared})`;
      if (healthUrl !== undefined) {
        const health = await waitUntilHealthy(healthUrl, {
          timeoutMs: config.healthTimeoutSeconds * 1000,
          initialDelayMs: deps.timing.healthInitialDelayMs,
          intervalMs: deps.timing.healthIntervalMs,
          requestTimeoutMs: deps.timing.requestTimeoutMs,
          sleep: deps.sleep,
          ...(deps.monotonicNow === undefined ? {} : { now: deps.monotonicNow }),
        });
        detail += `; healthy after ${health.polls} poll${health.polls === 1 ? '' : 's'}`;
      }
      return detail;
    },
  };
}
