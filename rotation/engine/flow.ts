/**
 * The state one run carries while a worker drives it: the journal writer, the group, the bound provider,
 * and what must never be journaled (the credential value, kept in memory only). Steps live in
 * `steps-issue.ts` and `steps-promote.ts`; `drive` runs them from the journaled phase to the end.
 */
import { describeError, isRotationError, RotationError } from '../errors.js';
import type { RunPhase } from '../kinds.js';
import type {
  Alert,
  CredentialGroup,
  IssuedCredential,
  RunRecord,
  RunRequest,
  SecretVersion,
} from '../ports.js';
import { redact, sendAlert } from './alerts.js';
import { type EngineDeps, type EngineTiming, timingOf } from './deps.js';
import { type BoundProvider, bindProvider } from './provider.js';
import type { RunWriter } from './records.js';

export class RunFlow {
  readonly timing: EngineTiming;
  /** The phase being attempted: a failure is reported "at" this phase. */
  attempting: RunPhase = 'claimed';
  /**
   * This attempt journaled its claim ahead of the start checks (`claimWhileChecking`), and they have not
   * passed yet: a run they skip or fail did not start, and its record says so (`takeBackClaim`).
   */
  claimedAhead = false;
  /**
   * The group's other runs as this attempt's start checks listed them, under the lease (normal runs; a
   * compromised one skips the spacing check and lists nothing there). Later steps of the attempt that need
   * them (`joinOpenTask`) use these instead of listing the group again.
   */
  othersAtStart: RunRecord[] | undefined;
  /** The new credential: memory only, never journaled. */
  credential: IssuedCredential | undefined;
  /** Values that must not appear in any message (current and new credentials). */
  readonly secretValues = new Set<string>();
  private currents: Promise<Map<string, SecretVersion | undefined>> | undefined;
  private bound: BoundProvider | undefined;
  private prepared = false;
  /** Reads started by the worker (`useHeadStart`), adopted by the first `loadCurrents`. */
  private earlyReads: Promise<GroupReads> | undefined;

  constructor(
    readonly deps: EngineDeps,
    readonly group: CredentialGroup,
    readonly request: RunRequest,
    readonly writer: RunWriter,
  ) {
    this.timing = timingOf(deps);
  }

  get run(): Readonly<RunRecord> {
    return this.writer.run;
  }

  now(): Date {
    return this.deps.clock.now();
  }

  provider(): BoundProvider {
    this.bound ??= bindProvider(this.deps, this.group);
    return this.bound;
  }

  /**
   * Lets the provider start what `issue` needs while the group is read (`CredentialProvider.prepare`).
   * Settings errors are left for `provider()` to report at the step that needs it.
   */
  prepareIssue(): void {
    if (this.prepared) return;
    this.prepared = true;
    const bound = prepareProvider(this.deps, this.group);
    if (bound) this.bound = bound;
  }

  /** The first secret of the group is the one whose current credential the provider is shown. */
  get primary(): CredentialGroup['secrets'][number] {
    return this.group.secrets[0]!;
  }

  /**
   * Current version of every secret of the group, read once per run attempt (the reads run in parallel:
   * they are independent, and a group's secrets all wait on them). The stale-trigger check, the claim,
   * the issue and the promotion of this attempt all use these reads.
   */
  async loadCurrents(): Promise<Map<string, SecretVersion | undefined>> {
    if (!this.currents) {
      const early = this.earlyReads;
      this.earlyReads = undefined;
      this.currents = this.adoptReads(early ?? readGroupCurrents(this.deps, this.group));
    }
    return this.currents;
  }

  /**
   * Takes over what the worker started before the flow existed, alongside the journal read (only once the
   * group's lease was held, so nothing else writes the group meanwhile): the group's reads and the
   * provider's preparation.
   */
  useHeadStart(head: { reads: Promise<GroupReads>; bound: BoundProvider | undefined }): void {
    this.earlyReads = head.reads;
    this.prepared = true;
    if (head.bound) this.bound = head.bound;
  }

  private async adoptReads(reads: Promise<GroupReads>): Promise<Map<string, SecretVersion | undefined>> {
    const settled = await reads;
    const currents = new Map<string, SecretVersion | undefined>();
    settled.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        if (result.value) this.secretValues.add(result.value.value);
        currents.set(this.group.secrets[i]!.name, result.value);
      }
    });
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.currents = undefined; // the next step reads again
      throw failed.reason;
    }
    return currents;
  }

  /** In a draft of the record: undoes a claim journaled ahead of start checks that did not pass. */
  takeBackClaim(d: RunRecord): void {
    if (!this.claimedAhead || d.phase !== 'claimed' || d.phases.at(-1)?.phase !== 'claimed') return;
    d.phases.pop();
    d.phase = d.phases.at(-1)?.phase ?? 'queued';
  }

  adoptCredential(credential: IssuedCredential): void {
    this.credential = credential;
    this.secretValues.add(credential.value);
    for (const value of Object.values(credential.parts ?? {})) this.secretValues.add(value);
  }

  /** Sends an alert about this run; the deliveries are to be recorded by the caller's next save. */
  async alert(
    kind: Alert['kind'],
    severity: Alert['severity'],
    title: string,
    text: string,
  ): Promise<RunRecord['alerts']> {
    return sendAlert(this.deps, {
      kind,
      severity,
      title: this.safe(title),
      text: this.safe(text),
      vault: this.group.vault,
      secrets: this.group.secrets.map((s) => s.name),
      runId: this.run.id,
      channels: [...this.group.channels],
    });
  }

  safe(text: string): string {
    return redact(text, this.secretValues);
  }

  /**
   * Records the failure at the phase being attempted and alerts. Lease loss and journal conflicts are
   * rethrown untouched: another worker may own the run now, so this one must not write.
   */
  async fail(error: unknown): Promise<RunRecord> {
    if (isRotationError(error, 'LeaseLost') || isRotationError(error, 'RunInProgress')) throw error;
    const phase = this.attempting;
    const { code } = describeError(error);
    const message = this.safe(describeError(error).message);
    this.deps.log.error('run failed', { runId: this.run.id, group: this.group.id, phase, code, message });
    const alerts = await this.alert(
      'run-failed',
      this.run.compromised ? 'critical' : 'warning',
      `Rotation of ${this.group.id} failed at ${phase}`,
      `Run ${this.run.id} (vault ${this.group.vault}, secrets ${this.run.secrets.join(', ')}) failed at ` +
        `${phase}: ${code}: ${message}. ${failureConsequence(phase)}`,
    );
    try {
      return await this.writer.save((d) => {
        this.takeBackClaim(d);
        d.status = 'failed';
        d.error = { code, message, phase };
        d.finishedAt = this.now().toISOString();
        d.alerts.push(...alerts);
      });
    } catch (writeError) {
      if (isRotationError(writeError, 'LeaseLost') || isRotationError(writeError, 'RunInProgress')) {
        throw writeError;
      }
      const write = describeError(writeError);
      throw new RotationError(
        'AzureUnavailable',
        `run ${this.run.id} failed at ${phase} (${code}) and the failure could not be journaled (${write.code})`,
        { transient: true, cause: new Error(`${write.code}: ${this.safe(write.message)}`) },
      );
    }
  }
}

/**
 * Lets the group's provider start what `issue` needs (`CredentialProvider.prepare`) while the group is
 * read. Settings errors are left for the step that needs the provider to report: returns undefined.
 */
export function prepareProvider(deps: EngineDeps, group: CredentialGroup): BoundProvider | undefined {
  const provider = deps.providers[group.provider];
  if (!provider?.prepare || !provider.settingsSchema.safeParse(group.settings).success) return undefined;
  const bound = bindProvider(deps, group);
  provider.prepare(bound.ctx);
  return bound;
}

/** The group's current versions, in the order of `group.secrets`, each read's outcome as it settled. */
export type GroupReads = PromiseSettledResult<SecretVersion | undefined>[];

/** Reads the current version of every secret of the group in parallel (they are independent). */
export function readGroupCurrents(
  deps: Pick<EngineDeps, 'store'>,
  group: CredentialGroup,
): Promise<GroupReads> {
  return Promise.allSettled(group.secrets.map((s) => deps.store.getCurrent(group.vault, s.name)));
}

function failureConsequence(phase: RunPhase): string {
  switch (phase) {
    case 'claimed':
    case 'issued':
    case 'validated':
      return 'Nothing was promoted: Key Vault still serves the previous credential.';
    case 'promoted':
      return 'Some secrets of the group may hold the new credential: retry the run to finish promotion.';
    default:
      return 'The new credential is in Key Vault; the remaining steps need a retry.';
  }
}
