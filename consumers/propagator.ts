/**
 * The `Propagator` port: after promotion, tell every consumer of a credential group. Consumers run in
 * parallel, each with its own retries; one failing consumer never stops the others, and every consumer
 * ends with an outcome `{ name, status, detail, attempts, at }` (details carry no values and no URLs).
 */
import { randomUUID } from 'node:crypto';
import type {
  Clock,
  ConsumerOutcome,
  CredentialGroup,
  Logger,
  Propagator,
  RunRecord,
} from '../rotation/ports.js';
import { RestartCoalescer } from './app-service/coalescer.js';
import type { SiteRestarter } from './app-service/restarter.js';
import type { EventGridClientFactory } from './eventgrid/publisher.js';
import { buildRotationMessage, type RotationMessage } from './message.js';
import { createReadAhead } from './read-ahead.js';
import { createConsumerRegistry } from './registry.js';
import {
  type DeliveryTiming,
  failureText,
  realSleep,
  resolveTiming,
  type Sleep,
  withRetry,
} from './retry.js';
import {
  type ConsumerConfig,
  type ConsumerConfigInput,
  consumerConfigSchema,
  formatIssues,
  type ResolveSetting,
} from './settings.js';
import type { ConsumerDelivery, ConsumerRegistry } from './types.js';

/** How long a setting read ahead by `prepare` may wait for the delivery that uses it. */
export const READ_AHEAD_TTL_MS = 30_000;

export interface PropagatorDeps {
  /** `rotation.json` → `consumers`, by name (parsed again here; defaults applied). */
  consumers: Readonly<Record<string, ConsumerConfigInput>>;
  resolveSetting: ResolveSetting;
  /** Real restarts (`createSdkSiteRestarter`); wrapped in a {@link RestartCoalescer} unless `coalescer` is given. */
  restarter: SiteRestarter;
  /** Shares restarts across propagators (give the same one to every propagator of a process). */
  coalescer?: RestartCoalescer;
  eventGrid: EventGridClientFactory;
  clock: Clock;
  log: Logger;
  timing?: Partial<DeliveryTiming>;
  sleep?: Sleep;
  wallClockSeconds?: () => number;
  monotonicNow?: () => number;
  /** Replaces the adapters (tests). */
  registry?: ConsumerRegistry;
}

export function createPropagator(deps: PropagatorDeps): Propagator {
  const timing = resolveTiming(deps.timing);
  const sleep = deps.sleep ?? realSleep;
  const coalescer =
    deps.coalescer ?? new RestartCoalescer(deps.restarter, { windowMs: timing.coalesceWindowMs });
  const readAhead = createReadAhead(deps.resolveSetting, {
    ttlMs: READ_AHEAD_TTL_MS,
    now: deps.monotonicNow ?? (() => performance.now()),
  });
  const registry =
    deps.registry ??
    createConsumerRegistry({
      coalescer,
      eventGrid: deps.eventGrid,
      resolveSetting: readAhead.resolve,
      timing,
      sleep,
      ...(deps.wallClockSeconds === undefined ? {} : { wallClockSeconds: deps.wallClockSeconds }),
      ...(deps.monotonicNow === undefined ? {} : { monotonicNow: deps.monotonicNow }),
    });

  async function propagateOne(
    name: string,
    run: RunRecord,
    group: CredentialGroup,
    message: RotationMessage,
  ) {
    const outcome = (
      status: ConsumerOutcome['status'],
      attempts: number,
      detail: string,
    ): ConsumerOutcome => ({
      name,
      status,
      detail,
      attempts,
      at: deps.clock.now().toISOString(),
    });
    const raw = Object.hasOwn(deps.consumers, name) ? deps.consumers[name] : undefined;
    if (raw === undefined) return outcome('failed', 0, `consumer '${name}' is not configured`);
    const parsed = consumerConfigSchema.safeParse(raw);
    if (!parsed.success)
      return outcome('failed', 0, `invalid consumer config: ${formatIssues(parsed.error)}`);
    const config = parsed.data;

    const result = await withRetry((attempt) => deliver(config, { name, run, group, message, attempt }), {
      policy: timing.retry,
      sleep,
      onRetry: ({ attempt, error, delayMs }) =>
        deps.log.warn('consumer attempt failed, retrying', {
          runId: run.id,
          consumer: name,
          type: config.type,
          attempt,
          delayMs,
          error: failureText(error),
        }),
    });
    if (result.ok) {
      deps.log.info('consumer updated', {
        runId: run.id,
        consumer: name,
        type: config.type,
        attempts: result.attempts,
      });
      return outcome('ok', result.attempts, result.value);
    }
    const detail = failureText(result.error);
    deps.log.error('consumer failed', {
      runId: run.id,
      consumer: name,
      type: config.type,
      attempts: result.attempts,
      error: detail,
    });
    return outcome('failed', result.attempts, detail);
  }

  /** Exhaustive dispatch: each branch hands the adapter its own config type (no casts). */
  function deliver(config: ConsumerConfig, delivery: ConsumerDelivery): Promise<string> {
    switch (config.type) {
      case 'app-service':
        return registry['app-service'].deliver(config, delivery);
      case 'webhook':
        return registry.webhook.deliver(config, delivery);
      case 'eventgrid':
        return registry.eventgrid.deliver(config, delivery);
      case 'teams':
        return registry.teams.deliver(config, delivery);
      case 'slack':
        return registry.slack.deliver(config, delivery);
    }
  }

  return {
    prepare(group) {
      if (deps.registry) return; // injected adapters resolve settings their own way
      const configs = consumerNames(group).flatMap((name) => {
        const raw = Object.hasOwn(deps.consumers, name) ? deps.consumers[name] : undefined;
        const parsed = consumerConfigSchema.safeParse(raw);
        return parsed.success ? [parsed.data] : [];
      });
      readAhead.start(configs, new Set(group.secrets.map((s) => s.name.toLowerCase())));
    },

    expect(group, runId) {
      const withdrawals = consumerNames(group).flatMap((name) => {
        const raw = Object.hasOwn(deps.consumers, name) ? deps.consumers[name] : undefined;
        const parsed = consumerConfigSchema.safeParse(raw);
        if (!parsed.success || parsed.data.type !== 'app-service') return [];
        return [coalescer.expect(parsed.data.resourceId, parsed.data.slot, runId)];
      });
      return () => {
        for (const withdraw of withdrawals) withdraw();
      };
    },

    async propagate(run, group) {
      const names = consumerNames(group);
      if (names.length === 0) return [];
      const message = buildRotationMessage(run, group, deps.clock.now(), randomUUID());
      return Promise.all(
        names.map((name) =>
          propagateOne(name, run, group, message).catch(
            (error: unknown): ConsumerOutcome => ({
              name,
              status: 'failed',
              detail: failureText(error),
              attempts: 0,
              at: deps.clock.now().toISOString(),
            }),
          ),
        ),
      );
    },
  };
}

/** The group's consumers plus each secret's own, each once, in first-seen order. */
export function consumerNames(group: CredentialGroup): string[] {
  return [...new Set([...group.consumers, ...group.secrets.flatMap((secret) => secret.consumers)])];
}
