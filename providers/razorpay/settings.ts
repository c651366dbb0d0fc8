/**
 * Settings of `razorpay`. A Razorpay API key is a pair — key id and key secret — checked together with
 * HTTP basic auth. `mode` pins the key mode the group must hold: a test key promoted into a live app
 * would stop payments, so a key of the other mode is rejected before any call.
 */
import { z } from 'zod';
import { httpCheckSettingsShape } from '../openai-compatible/manual.js';

export const RAZORPAY_BASE_URL = 'https://api.razorpay.com';
export const RAZORPAY_DASHBOARD_URL = 'https://dashboard.razorpay.com/app/website-app-settings/api-keys';

/** Part names of the pair, as `rotation.json` gives them in a secret's `part`. */
export const RAZORPAY_PARTS = ['keyId', 'keySecret'] as const;
export type RazorpayPart = (typeof RAZORPAY_PARTS)[number];

export const razorpaySettingsSchema = z.strictObject({
  ...httpCheckSettingsShape,
  mode: z
    .enum(['test', 'live'])
    .optional()
    .describe('Key mode the group must hold (rzp_test_… or rzp_live_…)'),
});

export type RazorpaySettings = z.infer<typeof razorpaySettingsSchema>;
