import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeBearerKeyProvider } from '../openai-compatible/bearer-suite.js';
import { modelsUrl } from '../openai-compatible/models.js';
import { createGroqProvider, GROQ_BASE_URL, GROQ_DASHBOARD_URL } from './index.js';

/** Key-shaped but generated per run: never a literal that looks like a real key. */
const hex32 = randomBytes(16).toString('hex');

describeBearerKeyProvider({
  kind: 'groq',
  create: createGroqProvider,
  modelsPath: '/groq/openai/v1/models',
  malformed: [`sk-${hex32}`, 'gsk_', 'gsk_short-with-dash!', `Bearer gsk_${hex32}`],
  deniedMessage: /Invalid API Key/,
  dashboardUrl: GROQ_DASHBOARD_URL,
  noun: 'Groq API key',
});

describe('groq defaults', () => {
  it('calls the public OpenAI-compatible models endpoint', () => {
    expect(modelsUrl(GROQ_BASE_URL).href).toBe('https://api.groq.com/openai/v1/models');
    expect(modelsUrl(`${GROQ_BASE_URL}/`).href).toBe('https://api.groq.com/openai/v1/models');
  });
});
