/**
 * What `POST /admin/functions/{name}` runs for each non-HTTP function: timers get a fresh `Timer`,
 * Event Grid functions the `input` parsed as one event, queue functions the `input` as message text
 * (JSON-parsed when JSON, `dequeueCount: 1`). Bad input throws `AdminInputError` synchronously (→ 400).
 */
import {
  type FunctionDefinition,
  isEventGridDefinition,
  isHttpDefinition,
  isStorageQueueDefinition,
  isTimerDefinition,
} from '../../functions/definition.js';
import type { Logger } from '../../rotation/ports.js';
import { AdminInputError, type AdminInvoker } from './admin.js';
import { createInvocationContext } from './context.js';
import { invokeEventGridFunction, isObject } from './eventgrid.js';
import { parseQueuePayload } from './queue-message.js';
import type { HostClock, TimerScheduler } from './timer-scheduler.js';
import type { InvocationTracker } from './tracker.js';

export interface InvokerDeps {
  timers: ReadonlyMap<string, TimerScheduler>;
  clock: HostClock;
  logger: Logger;
  tracker: InvocationTracker;
}

/** Lower-cased function name → invoker; HTTP functions map to `undefined` (known, not invocable). */
export function buildAdminInvokers(
  definitions: readonly FunctionDefinition[],
  deps: InvokerDeps,
): Map<string, AdminInvoker | undefined> {
  const { logger, tracker } = deps;
  const invokers = new Map<string, AdminInvoker | undefined>();
  for (const definition of definitions) {
    const key = definition.name.toLowerCase();
    if (isHttpDefinition(definition)) {
      invokers.set(key, undefined);
    } else if (isTimerDefinition(definition)) {
      const scheduler = deps.timers.get(definition.name);
      if (scheduler) invokers.set(key, () => scheduler.invoke(scheduler.timerFor(deps.clock.now(), false)));
    } else if (isEventGridDefinition(definition)) {
      invokers.set(key, (input) => {
        let event: unknown;
        try {
          event = JSON.parse(input);
        } catch {
          throw new AdminInputError('"input" must be the event as JSON.');
        }
        if (!isObject(event)) throw new AdminInputError('"input" must be one event (a JSON object).');
        return invokeEventGridFunction(definition, event, logger, tracker);
      });
    } else if (isStorageQueueDefinition(definition)) {
      invokers.set(key, (input) => {
        const context = createInvocationContext({
          functionName: definition.name,
          triggerType: 'queueTrigger',
          logger,
          triggerMetadata: { dequeueCount: 1, queueTrigger: input },
        });
        return tracker.track(
          Promise.resolve().then(() => definition.handler(parseQueuePayload(input), context)),
        );
      });
    }
  }
  return invokers;
}
