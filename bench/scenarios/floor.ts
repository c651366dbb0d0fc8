/**
 * The floor for item 2 of issue 11: a strategy's unavoidable chain made by hand, without the engine.
 *
 * The same adapters the engine drives (the Key Vault store, the provider, the propagator: the rotator's
 * real SDK clients and HTTPS stack) make the strategy's minimum calls back to back, overlapped as far as
 * their data allows — reads ∥ → issue → validate → writes ∥ → consumers ∥ — with no journal, no lease,
 * no queue and no checks. What the engine adds on top of this, measured side by side in the same run, is
 * its overhead: leases, journal writes, start checks and its own hand-offs. What this costs above N × the
 * injected latency is this machine's price for a call (the emulator answering, TLS, the SDK pipeline),
 * which any client pays.
 *
 * The fenced floor (`kind: 'fenced'`) makes the same chain inside the storage DESIGN.md requires of any
 * rotator (`floor-fences.ts`): the group's lease, a journal write per phase, the lease let go. What it
 * costs above the bare floor is DESIGN's price on this machine; what the engine costs above it is the
 * engine's own.
 *
 * It rotates a twin of the strategy's group: its own secrets (`floor-…`) on its own provider resource, so
 * the engine's rounds never see a version or a key it made. The consumers are the same.
 */
import { randomUUID } from 'node:crypto';
import { behindCalls } from '../../rotation/engine/behind-calls.js';
import { valueFor } from '../../rotation/engine/credential.js';
import { bindProvider } from '../../rotation/engine/provider.js';
import { enterPhase, newRunRecord } from '../../rotation/engine/records.js';
import { buildRotationTags, mergeTags } from '../../rotation/engine/tags.js';
import { readTag, TAGS } from '../../rotation/kinds.js';
import type { CredentialGroup } from '../../rotation/ports.js';
import { type Call, nowMs } from '../support/calls.js';
import type { BenchStack } from '../support/stack.js';
import { prepareFences } from './floor-fences.js';

export interface FloorSample {
  /** When it started (epoch ms, the call log's clock). */
  startMs: number;
  /** First call started (fenced: the lease asked for) → last consumer answered (fenced: lease let go). */
  wallMs: number;
  /** Of `wallMs`, letting the lease go (fenced; 0 for bare). */
  releaseMs: number;
  /** Every call the chain made (Azure and storage): storage is none for bare. */
  calls: Call[];
}

/** The twin of `group`: secrets renamed `floor-<name>`, settings pointing at `resourceId` when given. */
export function floorGroup(group: CredentialGroup, resourceId?: string): CredentialGroup {
  return {
    ...group,
    id: `floor-${group.id}`,
    secrets: group.secrets.map((s) => ({ ...s, name: `floor-${s.name}` })),
    settings: resourceId ? { ...group.settings, resourceId } : group.settings,
  };
}

/**
 * `bare`: the chain alone. `fenced`: the chain inside the storage DESIGN.md requires (`floor-fences.ts`):
 * the group's lease before, a journal write per phase, the final write and the lease let go after.
 */
export type FloorKind = 'bare' | 'fenced';

/** One rotation of `group` by hand (see the module comment). Throws if a step does not succeed. */
export async function floorOnce(
  stack: BenchStack,
  group: CredentialGroup,
  kind: FloorKind = 'bare',
): Promise<FloorSample> {
  const deps = stack.app.engine;
  const runId = randomUUID();
  const fences = kind === 'fenced' ? await prepareFences(stack, group) : undefined;
  const mark = await stack.azure.mark();
  const started = nowMs();
  await fences?.take();
  // As the engine does: announce the restart (no coalescing wait), start the provider's own reads.
  const withdraw = deps.propagator.expect?.(group, runId);
  try {
    const { provider, ctx } = bindProvider(deps, group);
    provider.prepare?.(ctx);
    const [currents] = await Promise.all([
      Promise.all(group.secrets.map((s) => deps.store.getCurrent(group.vault, s.name))),
      fences && behindCalls(() => fences.write('claimed')),
    ]);
    const first = currents[0];
    if (!first) throw new Error(`floor: ${group.secrets[0]?.name} has no current version`);
    const issued = await provider.issue(ctx, {
      value: first.value,
      version: first.version,
      credentialId: readTag(first.tags, TAGS.credentialId),
      tags: first.tags,
    });
    if (issued.kind !== 'issued') throw new Error(`floor: ${group.provider} did not issue a credential`);
    const credential = issued.credential;
    // Minted in process: `issued` and `validated` are one write, before Key Vault is written. Otherwise
    // `issued` goes alongside the validation call and `validated` alongside the Key Vault writes.
    const inProcess = provider.issuing === 'in-process';
    const [validation] = await Promise.all([
      provider.validate(ctx, credential),
      fences && !inProcess && behindCalls(() => fences.write('issued')),
    ]);
    if (!validation.ok) throw new Error(`floor: validation failed (${validation.reason})`);
    if (fences && inProcess) await fences.write('issued', 'validated');
    deps.propagator.prepare?.(group);
    const rotationTags = buildRotationTags({
      runId,
      provider: group.provider,
      credentialId: credential.credentialId,
      validityDays: group.validityDays,
      ...(credential.providerAddress ? { providerAddress: credential.providerAddress } : {}),
    });
    const [written] = await Promise.all([
      Promise.all(
        group.secrets.map((s, i) =>
          deps.store.setSecret(group.vault, s.name, {
            value: valueFor(credential, s),
            tags: mergeTags(currents[i]?.tags, rotationTags),
          }),
        ),
      ),
      fences && !inProcess && behindCalls(() => fences.write('validated')),
    ]);
    const now = deps.clock.now();
    const run = newRunRecord({
      id: runId,
      group,
      triggerVersion: first.version,
      request: {
        vault: group.vault,
        secret: first.name,
        trigger: { kind: 'http' },
        requestedAt: now.toISOString(),
      },
      now,
    });
    enterPhase(run, 'promoted', now);
    run.newVersions = Object.fromEntries(group.secrets.map((s, i) => [s.name, written[i]!.version]));
    const [outcomes] = await Promise.all([
      deps.propagator.propagate(run, group),
      fences && behindCalls(() => fences.write('promoted')),
    ]);
    const failed = outcomes.filter((o) => o.status !== 'ok');
    if (failed.length > 0)
      throw new Error(`floor: consumers failed: ${failed.map((o) => o.name).join(', ')}`);
    let releaseMs = 0;
    if (fences) {
      await fences.write('propagated', 'done');
      const releasing = nowMs();
      await fences.release();
      releaseMs = nowMs() - releasing;
    }
    const wallMs = nowMs() - started;
    return { startMs: started, wallMs, releaseMs, calls: await callsSince(stack, mark, started) };
  } finally {
    withdraw?.();
    await fences?.release();
  }
}

async function callsSince(stack: BenchStack, mark: number, started: number): Promise<Call[]> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  await stack.azure.deliveriesIdle();
  // The versions written raise SecretNewVersionCreated: those deliveries are not the chain's.
  return (await stack.azure.calls(mark)).filter((c) => c.startMs >= started && c.label !== 'kv read version');
}
