/** The contract between the propagator and one consumer adapter (one folder per kind). */
import type { ZodType } from 'zod';
import type { CredentialGroup, RunRecord } from '../rotation/ports.js';
import type { RotationMessage } from './message.js';
import type { ConsumerConfig, ConsumerKind } from './settings.js';

export interface ConsumerDelivery {
  /** Consumer name (key in `rotation.json` → `consumers`). */
  name: string;
  run: RunRecord;
  group: CredentialGroup;
  message: RotationMessage;
  /** 1 for the first attempt. */
  attempt: number;
}

export interface ConsumerAdapter<C extends ConsumerConfig> {
  readonly kind: C['type'];
  readonly schema: ZodType<C>;
  /**
   * One attempt. Resolves to a short detail line for the run record (no values, no URLs); throws to fail.
   * The propagator retries errors that `classifyFailure` calls retryable.
   */
  deliver(config: C, delivery: ConsumerDelivery): Promise<string>;
}

export type ConsumerConfigOf<K extends ConsumerKind> = Extract<ConsumerConfig, { type: K }>;

/** One adapter per kind; the compiler insists every kind has one. */
export type ConsumerRegistry = { readonly [K in ConsumerKind]: ConsumerAdapter<ConsumerConfigOf<K>> };
