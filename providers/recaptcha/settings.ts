/** Settings of `recaptcha`: a reCAPTCHA (classic/legacy) secret key, checked with siteverify. */
import { z } from 'zod';
import { httpCheckSettingsShape } from '../openai-compatible/manual.js';

/** siteverify lives at `{baseUrl}/recaptcha/api/siteverify`; `https://www.recaptcha.net` works too. */
export const RECAPTCHA_BASE_URL = 'https://www.google.com';
export const RECAPTCHA_DASHBOARD_URL = 'https://www.google.com/recaptcha/admin';

export const recaptchaSettingsSchema = z.strictObject({ ...httpCheckSettingsShape });

export type RecaptchaSettings = z.infer<typeof recaptchaSettingsSchema>;
