/** Public types of the emulator's provider data planes (Azure OpenAI/Speech/ACS and the manual providers). */
import type { ProviderKind } from '../../../rotation/kinds.js';
import type { EmulatorModule, Route } from '../types.js';

/** Manual providers that have a data plane here (MongoDB has none). */
export const MANUAL_DATA_PLANE_KINDS = [
  'together-ai',
  'groq',
  'deepseek',
  'qwen',
  'razorpay',
  'recaptcha',
] as const;
export type ManualDataPlaneKind = (typeof MANUAL_DATA_PLANE_KINDS)[number];

/** A credential minted (or seeded) as valid at a manual provider. */
export interface MintedCredential {
  kind: ManualDataPlaneKind;
  /** Stable id for revocation (`cred-N`). */
  id: string;
  /**
   * The value a human would copy from the dashboard. Razorpay: `key_id:key_secret` (the pair as basic auth
   * carries it); also given apart in `keyId`/`keySecret`.
   */
  value: string;
  keyId?: string;
  keySecret?: string;
  /** Last 4 characters of `value` (what dashboards show). */
  last4: string;
  revoked: boolean;
  /** Emulator clock time (ISO). */
  createdAt: string;
}

export interface DataPlanesModule extends EmulatorModule {
  /** Control API routes under `/_emulator/providers/…`. */
  controlRoutes: Route[];
  /** Mints a fresh valid credential in the provider's real format (random at run time). */
  mintCredential(kind: ManualDataPlaneKind): MintedCredential;
  /** Registers a given value as valid (Razorpay: `key_id:key_secret`). Throws on a malformed value. */
  seedCredential(kind: ManualDataPlaneKind, value: string): MintedCredential;
  /** Revokes by id, by last 4 characters, or by full value. Returns how many credentials were revoked. */
  revokeCredential(kind: ManualDataPlaneKind, idOrLast4: string): number;
  /** Credentials of a kind (including revoked). */
  credentials(kind: ManualDataPlaneKind): MintedCredential[];
  /**
   * Whether `value` would be accepted right now. `resourceOrProvider` is the ARM id or account name for
   * Azure kinds; ignored for manual kinds. Throws for kinds without a data plane here (`jwt-secret`, `mongodb`).
   */
  isValid(kind: ProviderKind, resourceOrProvider: string, value: string): boolean;
}
