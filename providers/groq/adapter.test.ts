import { describe, expect, it } from 'vitest';
import { describeBearerKeyProvider } from '../openai-compatible/bearer-suite.js';
import { modelsUrl } from '../openai-compatible/models.js';
import { createGroqProvider, GROQ_BASE_URL, GROQ_DASHBOARD_URL } from './index.js';

describeBearerKeyProvider({
  kind: 'groq',
  create: createGroqProvider,
  modelsPath: '/groq/openai/v1/models',
  malformed: [
    'sk-0123456789abcdef0123456789abcdef',
    'gsk_',
    'gsk_short-with-dash!',
    'Bearer gsk_abcdefghijklmnopqrstuvwxyz',
  ],
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
