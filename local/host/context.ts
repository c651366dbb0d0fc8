/**
 * Builds real `InvocationContext` objects whose log calls go to the host's logger, tagged with the
 * function name and invocation id (as Application Insights would show them).
 */
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import type { InvocationContext, LogLevel, TriggerMetadata } from '@azure/functions';
import azureFunctions from '@azure/functions';
import type { Logger } from '../../rotation/ports.js';

const { InvocationContext: InvocationContextClass } = azureFunctions;

/** Trigger type names as the Functions runtime reports them in `context.options.trigger.type`. */
export type RuntimeTriggerType = 'httpTrigger' | 'eventGridTrigger' | 'queueTrigger' | 'timerTrigger';

export interface ContextInit {
  functionName: string;
  triggerType: RuntimeTriggerType;
  triggerMetadata?: TriggerMetadata;
  logger: Logger;
}

export function createInvocationContext(init: ContextInit): InvocationContext {
  const invocationId = randomUUID();
  const fields = { functionName: init.functionName, invocationId };
  return new InvocationContextClass({
    invocationId,
    functionName: init.functionName,
    ...(init.triggerMetadata ? { triggerMetadata: init.triggerMetadata } : {}),
    options: { trigger: { type: init.triggerType, name: 'trigger' }, extraInputs: [], extraOutputs: [] },
    logHandler: (level: LogLevel, ...args: unknown[]) => {
      if (level === 'none') return;
      const message = format(...args);
      if (level === 'warning') init.logger.warn(message, fields);
      else if (level === 'error' || level === 'critical') init.logger.error(message, fields);
      else init.logger.info(message, fields);
    },
  });
}
