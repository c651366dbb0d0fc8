/**
 * Where the local emulator serves each manual provider's API under its shared origin. Local mode gives
 * every manual provider `baseUrl: emulatorBaseUrl(kind, origin)` (see `ManualHttpDeps.baseUrl`), so
 * validation never leaves the machine whatever `rotation.json` says.
 */

/** Manual providers that have an emulated HTTPS API (MongoDB has none). */
export const EMULATED_MANUAL_KINDS = [
  'together-ai',
  'groq',
  'deepseek',
  'qwen',
  'razorpay',
  'recaptcha',
] as const;
export type EmulatedManualKind = (typeof EMULATED_MANUAL_KINDS)[number];

/** Path under the emulator origin that replaces each provider's public base URL. */
export const EMULATOR_BASE_PATHS: Record<EmulatedManualKind, string> = {
  'together-ai': '/together/v1',
  groq: '/groq/openai/v1',
  deepseek: '/deepseek',
  qwen: '/qwen/compatible-mode/v1',
  razorpay: '/razorpay',
  recaptcha: '',
};

/** The base URL a manual provider uses against the emulator at `origin` (e.g. `https://127.0.0.1:40123`). */
export function emulatorBaseUrl(kind: EmulatedManualKind, origin: string): string {
  return `${origin.replace(/\/+$/, '')}${EMULATOR_BASE_PATHS[kind]}`;
}
