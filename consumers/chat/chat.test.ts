import { describe, expect, it } from 'vitest';
import type { Alert } from '../../rotation/ports.js';
import { buildRotationMessage } from '../message.js';
import { testGroup, testRun } from '../testing/fixtures.js';
import { chatForAlert, chatForRotation } from './message.js';
import { escapeSlack, slackPayload } from './slack.js';
import { teamsPayload } from './teams.js';

const message = buildRotationMessage(testRun(), testGroup(), new Date('2030-01-01T00:01:00Z'), 'msg-1');

describe('Teams payload', () => {
  it('is a message activity with one Adaptive Card: title, summary, facts', () => {
    const payload = teamsPayload(chatForRotation(message));
    expect(payload.type).toBe('message');
    expect(payload.attachments).toHaveLength(1);
    const card = payload.attachments[0]!;
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    const body = card.content.body as {
      type: string;
      text?: string;
      facts?: { title: string; value: string }[];
    }[];
    expect(body[0]).toMatchObject({
      type: 'TextBlock',
      text: 'Rotated openai-key in kv-test',
      weight: 'Bolder',
    });
    const facts = body.find((block) => block.type === 'FactSet')?.facts ?? [];
    expect(facts).toEqual(
      expect.arrayContaining([
        { title: 'Vault', value: 'kv-test' },
        { title: 'Secret', value: 'openai-key' },
        { title: 'Now serving', value: 'key2' },
        { title: 'New versions', value: 'openai-key: v2' },
        { title: 'Run', value: 'run-kv-test-openai-v1' },
        { title: 'When', value: '2030-01-01T00:00:05.000Z' },
      ]),
    );
  });

  it('tells what to do for an alert that needs action', () => {
    const alert: Alert = {
      kind: 'manual-action-required',
      severity: 'warning',
      title: 'groq-key needs a new key',
      text: 'Groq has no key API.',
      vault: 'kv-test',
      secrets: ['groq-key'],
      runId: 'run-1',
      channels: [],
    };
    const body = teamsPayload(chatForAlert(alert, '2030-01-01T00:00:00.000Z')).attachments[0]!.content
      .body as {
      text?: string;
      color?: string;
    }[];
    expect(body[0]?.color).toBe('Warning');
    expect(body.at(-1)?.text).toMatch(/^\*\*What to do:\*\* Mint a new key/);
  });
});

describe('Slack payload', () => {
  it('has fallback text and header, summary, fields and context blocks', () => {
    const payload = slackPayload(chatForRotation(message));
    expect(payload.text).toContain('Rotated openai-key in kv-test');
    expect(payload.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(payload.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Rotated openai-key in kv-test', emoji: true },
    });
    const fields = (payload.blocks[2] as { fields: { type: string; text: string }[] }).fields;
    expect(fields).toContainEqual({ type: 'mrkdwn', text: '*Vault*\nkv-test' });
    expect(fields.length).toBeLessThanOrEqual(10);
  });

  it('escapes mrkdwn control characters and adds the action', () => {
    expect(escapeSlack('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
    const alert: Alert = {
      kind: 'run-failed',
      severity: 'critical',
      title: 'Rotation failed',
      text: 'Validation <failed> & stopped',
      channels: [],
    };
    const payload = slackPayload(chatForAlert(alert, '2030-01-01T00:00:00.000Z'));
    const summary = payload.blocks[1] as { text: { text: string } };
    expect(summary.text.text).toBe(':rotating_light: Validation &lt;failed&gt; &amp; stopped');
    expect(JSON.stringify(payload.blocks)).toContain('*What to do:* Nothing changed for consumers');
  });
});
