/**
 * Which channels an alert goes to: the global channels plus the secret's own (`alert.channels`), each once;
 * then each channel's `events` filter. Success notes (`run-succeeded`) and the `digest` go only where a
 * channel asks for them (`events` lists them, or `digest: true`).
 */
import type { Alert, AlertKind } from '../../rotation/ports.js';
import type { ChannelConfig } from '../settings.js';

const OPT_IN_KINDS: ReadonlySet<AlertKind> = new Set(['run-succeeded', 'digest']);

export function channelWants(config: Pick<ChannelConfig, 'events' | 'digest'>, kind: AlertKind): boolean {
  if (kind === 'digest' && config.digest === true) return true;
  if (config.events !== undefined) return config.events.includes(kind);
  return !OPT_IN_KINDS.has(kind);
}

export type RoutedChannel =
  | { name: string; config: ChannelConfig }
  | { name: string; config: undefined; problem: string };

export function routeAlert(
  alert: Alert,
  channels: Readonly<Record<string, ChannelConfig>>,
  globalChannels: readonly string[],
): RoutedChannel[] {
  const names = [...new Set([...globalChannels, ...alert.channels])];
  const routed: RoutedChannel[] = [];
  for (const name of names) {
    const config = Object.hasOwn(channels, name) ? channels[name] : undefined;
    if (config === undefined) {
      routed.push({ name, config: undefined, problem: `channel '${name}' is not configured` });
    } else if (channelWants(config, alert.kind)) {
      routed.push({ name, config });
    }
  }
  return routed;
}
