/**
 * Getting the run's credential back after the worker lost it (crash, retry of a failed run): the value
 * is never journaled. In order of trust:
 *   1. versions this run already wrote (`RotationId` tag) — what Key Vault serves is what siblings must get;
 *   2. `provider.retrieve(credentialId)` — the provider still holds it;
 *   3. issue again — only when nothing was written; the run goes back to `issued` and validates again.
 */

import { RotationError } from '../errors.js';
import { readTag, TAGS } from '../kinds.js';
import type { IssuedCredential, IssueResult, ManagedSecret, SecretVersion } from '../ports.js';
import type { RunFlow } from './flow.js';
import { enterPhase, notePrevious, type RunChange } from './records.js';
import { keyHint, rotationIdOf } from './tags.js';

export type CredentialSource = 'memory' | 'written' | 'retrieved' | 'reissued';

/** Part key of a secret: its `part`, or '' for single-part credentials. */
function partKey(secret: Pick<ManagedSecret, 'part'>): string {
  return secret.part ?? '';
}

/** The value a secret of the group gets: its part when the credential has one, else the main value. */
export function valueFor(credential: IssuedCredential, secret: Pick<ManagedSecret, 'part' | 'name'>): string {
  if (secret.part !== undefined && credential.parts?.[secret.part] !== undefined) {
    return credential.parts[secret.part]!;
  }
  return credential.value;
}

/** Current versions of the group that this run wrote, by secret name. */
export async function writtenByRun(flow: RunFlow): Promise<Map<string, SecretVersion>> {
  const written = new Map<string, SecretVersion>();
  for (const secret of flow.group.secrets) {
    const current = await flow.deps.store.getCurrent(flow.group.vault, secret.name);
    if (current && rotationIdOf(current.tags) === flow.run.id) {
      flow.secretValues.add(current.value);
      written.set(secret.name, current);
    }
  }
  return written;
}

/**
 * Rebuilds the credential from what this run already wrote, or names the first secret whose part no
 * written sibling holds (multi-part credentials written only in part).
 */
function fromWritten(
  flow: RunFlow,
  written: Map<string, SecretVersion>,
): { credential: IssuedCredential } | { missing: string } {
  const byPart = new Map<string, SecretVersion>();
  for (const secret of flow.group.secrets) {
    const version = written.get(secret.name);
    if (version && !byPart.has(partKey(secret))) byPart.set(partKey(secret), version);
  }
  const missing = flow.group.secrets.find((secret) => !byPart.has(partKey(secret)));
  if (missing) return { missing: missing.name };
  const main = byPart.get('') ?? [...byPart.values()][0]!;
  const parts: Record<string, string> = {};
  for (const [part, version] of byPart) if (part !== '') parts[part] = version.value;
  const providerAddress = readTag(main.tags, TAGS.providerAddress);
  return {
    credential: {
      value: main.value,
      credentialId: readTag(main.tags, TAGS.credentialId) ?? flow.run.credentialId ?? 'unknown',
      ...(providerAddress ? { providerAddress } : {}),
      ...(Object.keys(parts).length > 0 ? { parts } : {}),
    },
  };
}

/**
 * The run's credential, recovered when needed (see the module comment). `reissued` means the run went
 * back to `issued` (journaled) and must validate again.
 */
export async function ensureCredential(flow: RunFlow): Promise<CredentialSource> {
  if (flow.credential) return 'memory';
  const written = await writtenByRun(flow);
  const rebuilt = written.size > 0 ? fromWritten(flow, written) : undefined;
  if (rebuilt && 'credential' in rebuilt) {
    flow.adoptCredential(rebuilt.credential);
    return 'written';
  }
  const { provider, ctx } = flow.provider();
  if (provider.retrieve && flow.run.credentialId) {
    const retrieved = await provider.retrieve(ctx, flow.run.credentialId);
    if (retrieved) {
      flow.adoptCredential(retrieved);
      return 'retrieved';
    }
  }
  if (rebuilt) {
    // Issuing again would leave the written siblings on a different credential than the rest.
    throw new RotationError(
      'InternalError',
      `cannot finish promotion of ${rebuilt.missing}: no written sibling holds its part and the provider cannot retrieve it`,
    );
  }
  await issueCredential(flow);
  return 'reissued';
}

/** Asks the provider for a new credential, showing it what Key Vault serves now (nothing journaled). */
export async function callIssue(flow: RunFlow): Promise<IssueResult> {
  const { provider, ctx } = flow.provider();
  const currents = await flow.loadCurrents();
  const current = currents.get(flow.primary.name);
  return provider.issue(
    ctx,
    current
      ? {
          value: current.value,
          version: current.version,
          credentialId: readTag(current.tags, TAGS.credentialId),
          tags: current.tags,
        }
      : undefined,
  );
}

/**
 * Keeps the credential in memory and journals `issued` with its id and hint (never the value), and what
 * Key Vault served before the run when the claim was journaled ahead of the reads (`notePrevious`).
 */
export async function recordIssued(
  flow: RunFlow,
  credential: IssuedCredential,
  currents: ReadonlyMap<string, SecretVersion | undefined>,
): Promise<void> {
  flow.adoptCredential(credential);
  await flow.writer.save(issuedChange(flow, credential, currents));
}

/** What `issued` journals: the credential's id and hint, and what Key Vault served before the run. */
export function issuedChange(
  flow: RunFlow,
  credential: IssuedCredential,
  currents: ReadonlyMap<string, SecretVersion | undefined>,
): RunChange {
  return (d) => {
    notePrevious(d, currents, flow.primary.name);
    enterPhase(d, 'issued', flow.now());
    d.credentialId = credential.credentialId;
    d.keyHint = keyHint(credential.value);
  };
}

/** Issues again after the first credential was lost (nothing written, provider cannot retrieve). */
async function issueCredential(flow: RunFlow): Promise<void> {
  const result = await callIssue(flow);
  if (result.kind !== 'issued') {
    throw new RotationError(
      'InternalError',
      `provider ${flow.group.provider} asked for a human while re-issuing`,
    );
  }
  await recordIssued(flow, result.credential, await flow.loadCurrents());
}
