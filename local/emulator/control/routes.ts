/**
 * The control API on the shared emulator origin (`/_emulator/…`): vaults, clock, event subscriptions and
 * deliveries, faults, request log, state. No auth; the server core answers loopback callers only. The ARM
 * and data-plane modules add their own control routes (`/_emulator/resources`, `/_emulator/providers/…`).
 */
import { z } from 'zod';
import { faultRuleInputSchema } from '../core/faults.js';
import { errorBody, HttpError } from '../core/http-error.js';
import { SubscriptionError } from '../events/delivery.js';
import { KEY_VAULT_EVENT_TYPES } from '../events/keyvault-events.js';
import type { EmulatorRequest, EmulatorResponse, Route, RouteHandler } from '../types.js';
import { advanceSchema, type EmulatorControl } from './control.js';

const vaultSchema = z.strictObject({ name: z.string().min(1) });
const subscriptionSchema = z.strictObject({
  url: z.string().min(1),
  eventTypes: z.array(z.enum(KEY_VAULT_EVENT_TYPES)).min(1).optional(),
});
const WAIT_LIMIT_MS = 60_000;

function readBody<T>(req: EmulatorRequest, schema: z.ZodType<T>): T {
  const text = req.body.toString('utf8').trim();
  let json: unknown = {};
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw new HttpError(400, 'BadRequest', 'The body is not valid JSON.');
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new HttpError(400, 'BadRequest', 'The body is invalid.', {
      extra: {
        details: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      },
    });
  }
  return parsed.data;
}

/** Maps the handle's own errors (bad subscription URL, failed handshake, zod) to 400s. */
function handle(handler: RouteHandler): RouteHandler {
  return async (req, params) => {
    try {
      return await handler(req, params);
    } catch (error) {
      if (error instanceof SubscriptionError) throw new HttpError(400, 'BadRequest', error.message);
      if (error instanceof z.ZodError) {
        throw new HttpError(400, 'BadRequest', 'The request is invalid.', {
          extra: { details: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
        });
      }
      throw error;
    }
  };
}

const json = (status: number, body: unknown): EmulatorResponse => ({ status, body });
const noContent = (): EmulatorResponse => ({ status: 204 });
const notFound = (message: string): EmulatorResponse => ({
  status: 404,
  body: errorBody('NotFound', message),
});

function clockBody(now: Date): unknown {
  return { now: now.toISOString(), epochSeconds: Math.floor(now.getTime() / 1000) };
}

export interface ControlInfo {
  origin: string;
  armEndpoint: string;
  caCertFile: string;
}

export function controlRoutes(control: EmulatorControl, info: () => ControlInfo): Route[] {
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '/_emulator',
      handler: () => json(200, { ...info(), vaults: control.vaults() }),
    },
    { method: 'GET', pattern: '/_emulator/vaults', handler: () => json(200, { value: control.vaults() }) },
    {
      method: 'POST',
      pattern: '/_emulator/vaults',
      handler: async (req) => json(201, await control.addVault(readBody(req, vaultSchema).name)),
    },
    { method: 'GET', pattern: '/_emulator/clock', handler: () => json(200, clockBody(control.now())) },
    {
      method: 'POST',
      pattern: '/_emulator/clock/advance',
      handler: (req) => json(200, clockBody(control.advanceClock(readBody(req, advanceSchema)))),
    },
    {
      method: 'GET',
      pattern: '/_emulator/subscriptions',
      handler: () => json(200, { value: control.subscriptions() }),
    },
    {
      method: 'GET',
      pattern: '/_emulator/vaults/:vault/subscriptions',
      handler: (_req, p) => json(200, { value: control.subscriptions(p.vault) }),
    },
    {
      method: 'POST',
      pattern: '/_emulator/vaults/:vault/subscriptions',
      handler: async (req, p) =>
        json(201, await control.subscribe(p.vault!, readBody(req, subscriptionSchema))),
    },
    {
      method: 'DELETE',
      pattern: '/_emulator/subscriptions/:id',
      handler: (_req, p) => (control.unsubscribe(p.id!) ? noContent() : notFound('No such subscription.')),
    },
    {
      method: 'GET',
      pattern: '/_emulator/deliveries',
      handler: () => json(200, { value: control.deliveries() }),
    },
    {
      method: 'POST',
      pattern: '/_emulator/deliveries/wait',
      handler: async () => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), WAIT_LIMIT_MS);
        });
        const result = await Promise.race([control.deliveriesIdle().then(() => 'idle' as const), timedOut]);
        clearTimeout(timer);
        if (result === 'timeout') {
          return { status: 504, body: errorBody('Timeout', 'Deliveries are still pending after 60 s.') };
        }
        return json(200, { value: control.deliveries() });
      },
    },
    { method: 'GET', pattern: '/_emulator/faults', handler: () => json(200, { value: control.faults() }) },
    {
      method: 'POST',
      pattern: '/_emulator/faults',
      handler: (req) => json(201, control.addFault(readBody(req, faultRuleInputSchema))),
    },
    {
      method: 'DELETE',
      pattern: '/_emulator/faults',
      handler: () => {
        control.clearFaults();
        return noContent();
      },
    },
    {
      method: 'DELETE',
      pattern: '/_emulator/faults/:id',
      handler: (_req, p) => (control.removeFault(p.id!) ? noContent() : notFound('No such fault rule.')),
    },
    {
      method: 'GET',
      pattern: '/_emulator/requests',
      handler: (req) => {
        const since = req.url.searchParams.get('since');
        const origin = req.url.searchParams.get('origin');
        if (since !== null && !/^\d+$/.test(since))
          throw new HttpError(400, 'BadRequest', 'since must be a number.');
        return json(200, {
          value: control.requests({
            since: since === null ? undefined : Number(since),
            origin: origin ?? undefined,
          }),
        });
      },
    },
    {
      method: 'DELETE',
      pattern: '/_emulator/requests',
      handler: () => {
        control.clearRequests();
        return noContent();
      },
    },
    { method: 'GET', pattern: '/_emulator/state', handler: () => json(200, control.state()) },
  ];
  return routes.map((route) => ({ ...route, handler: handle(route.handler) }));
}
