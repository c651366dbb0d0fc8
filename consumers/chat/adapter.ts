/** Teams and Slack consumers: a readable "rotated" note posted to an incoming webhook. */
import { postJson, requireHttpUrl } from '../http.js';
import type { ChatConsumerConfig, ResolveSetting, SettingValueInput } from '../settings.js';
import { slackConsumerSchema, teamsConsumerSchema } from '../settings.js';
import type { ConsumerAdapter } from '../types.js';
import { type ChatMessage, chatForRotation } from './message.js';
import { slackPayload } from './slack.js';
import { teamsPayload } from './teams.js';

export interface ChatDeps {
  resolveSetting: ResolveSetting;
  requestTimeoutMs: number;
}

export type ChatKind = 'teams' | 'slack';

/** Renders for the product and POSTs to the (resolved) webhook URL; returns a detail line. */
export async function postChat(
  deps: ChatDeps,
  kind: ChatKind,
  url: SettingValueInput,
  message: ChatMessage,
): Promise<string> {
  const target = requireHttpUrl(await deps.resolveSetting(url), `${kind} webhook url`);
  const payload = kind === 'teams' ? teamsPayload(message) : slackPayload(message);
  const result = await postJson(target, JSON.stringify(payload), { timeoutMs: deps.requestTimeoutMs });
  return `${kind} answered HTTP ${result.status}`;
}

export function createTeamsConsumer(
  deps: ChatDeps,
): ConsumerAdapter<Extract<ChatConsumerConfig, { type: 'teams' }>> {
  return {
    kind: 'teams',
    schema: teamsConsumerSchema,
    deliver: (config, delivery) => postChat(deps, 'teams', config.url, chatForRotation(delivery.message)),
  };
}

export function createSlackConsumer(
  deps: ChatDeps,
): ConsumerAdapter<Extract<ChatConsumerConfig, { type: 'slack' }>> {
  return {
    kind: 'slack',
    schema: slackConsumerSchema,
    deliver: (config, delivery) => postChat(deps, 'slack', config.url, chatForRotation(delivery.message)),
  };
}
