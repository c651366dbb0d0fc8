/** Slack incoming webhooks: `{ text, blocks }` (Block Kit); `text` is the notification fallback. */
import type { ChatMessage, ChatTone } from './message.js';

const TONE_EMOJI: Record<ChatTone, string> = {
  good: ':white_check_mark:',
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

export interface SlackPayload {
  text: string;
  blocks: Record<string, unknown>[];
}

/** Slack mrkdwn needs `&`, `<` and `>` escaped; nothing else. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function slackPayload(message: ChatMessage): SlackPayload {
  const blocks: Record<string, unknown>[] = [
    // Header blocks are plain text, at most 150 characters.
    { type: 'header', text: { type: 'plain_text', text: clip(message.title, 150), emoji: true } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`${TONE_EMOJI[message.tone]} ${escapeSlack(message.summary)}`, 3000),
      },
    },
  ];
  // A section holds at most 10 fields of at most 2000 characters.
  for (let i = 0; i < message.facts.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: message.facts.slice(i, i + 10).map((fact) => ({
        type: 'mrkdwn',
        text: clip(`*${escapeSlack(fact.name)}*\n${escapeSlack(fact.value)}`, 2000),
      })),
    });
  }
  if (message.action !== undefined) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*What to do:* ${escapeSlack(message.action)}`, 3000) },
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `key-vault-rotator · ${escapeSlack(message.occurredAt)}` }],
  });
  return { text: `${message.title}: ${message.summary}`, blocks };
}
