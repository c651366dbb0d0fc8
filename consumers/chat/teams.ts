/**
 * Microsoft Teams: an Adaptive Card inside a `message` activity — the payload both classic incoming
 * webhooks and Power Automate "post to a channel when a webhook request is received" workflows accept.
 */
import type { ChatMessage, ChatTone } from './message.js';

const TONE_COLOR: Record<ChatTone, string> = {
  good: 'Good',
  info: 'Accent',
  warning: 'Warning',
  critical: 'Attention',
};

export interface TeamsPayload {
  type: 'message';
  attachments: {
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: Record<string, unknown>;
  }[];
}

export function teamsPayload(message: ChatMessage): TeamsPayload {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: message.title,
      weight: 'Bolder',
      size: 'Medium',
      color: TONE_COLOR[message.tone],
      wrap: true,
    },
    { type: 'TextBlock', text: message.summary, wrap: true },
    { type: 'FactSet', facts: message.facts.map((fact) => ({ title: fact.name, value: fact.value })) },
  ];
  if (message.action !== undefined) {
    body.push({ type: 'TextBlock', text: `**What to do:** ${message.action}`, wrap: true, separator: true });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
        },
      },
    ],
  };
}
