import { describe, expect, it } from 'vitest';
import { DAY, leakSurface, type ManualWorld, manualWorld, VAULT } from '../../test/support/manual-world.js';
import { enqueueRotation } from '../engine/index.js';
import { runRequest } from '../fakes/index.js';
import { runSweep } from '../sweep/run.js';
import { generationOf, nextGeneration } from './credential.js';
import { submitSecretVersion } from './submit.js';

/**
 * A hand-over as the rotator runs it: the HTTP trigger promotes, the worker (drained here) propagates and
 * ends the run. Returns the run as the journal holds it then.
 */
async function submitAndPropagate(w: ManualWorld, input: Parameters<typeof submitSecretVersion>[1]) {
  const promoted = await submitSecretVersion(w.world.deps, input);
  await w.world.drain();
  return { ...promoted, run: w.world.journal.peek(promoted.run.id)! };
}

import { handOverText } from './task.js';

describe('manual task: near expiry', () => {
  it('ends the run manual-action-required with a task (deadline = current expiry) and tells owners what to do', async () => {
    const w = manualWorld({ expiresInDays: 30 });
    const expiry = w.world.store.peek(VAULT, 'groq-api-key')!.expiresOn!;
    await enqueueRotation(
      w.world.deps,
      runRequest(w.world, { vault: VAULT, secret: 'groq-api-key', triggerVersion: undefined }),
    );
    const list = w.world.journal.list.bind(w.world.journal);
    let listings = 0;
    w.world.journal.list = (filter) => {
      listings += 1;
      return list(filter);
    };
    const [run] = await w.world.drain();
    expect(run).toMatchObject({ status: 'manual-action-required', phase: 'claimed' });
    // The group's runs are listed once: the start checks' listing also tells whether a task is open.
    expect(listings).toBe(1);
    expect(run!.task).toEqual({
      openedAt: w.world.clock.now().toISOString(),
      deadline: expiry.toISOString(),
      urgent: false,
      dashboardUrl: 'https://console.groq.invalid/keys',
      reminders: [],
    });
    const [alert] = w.world.notifier.ofKind('manual-action-required');
    for (const words of [
      'https://console.groq.invalid/keys',
      'Vault kv-test',
      'groq-api-key',
      `Deadline: ${expiry.toISOString()} (in 30 days)`,
      'ai-platform@example.com',
      'POST /api/secrets/groq-api-key/versions?vault=kv-test',
      "az keyvault secret set --vault-name kv-test --name groq-api-key --value '<new value>'",
      run!.id,
    ]) {
      expect(alert!.text).toContain(words);
    }
    expect(leakSurface(w)).not.toContain(w.groqKey);
  });

  it('a pair is handed over with "with"; both parts by az within 15 minutes', () => {
    const w = manualWorld();
    const text = handOverText({
      vault: VAULT,
      secrets: w.app.config.groups.find((g) => g.id === 'razorpay')!.secrets,
    });
    expect(text).toContain(
      'POST /api/secrets/razorpay-key-id/versions?vault=kv-test with {"value":"<keyId>","with":{"razorpay-key-secret":"<keySecret>"}}',
    );
    expect(text).toContain('--name razorpay-key-secret');
    expect(text).toContain('within 15 minutes');
  });
});

describe('manual task: compromise', () => {
  it('opens an urgent task and never disables the only working version; the replacement then retires it', async () => {
    const w = manualWorld();
    const leaked = w.world.store.peek(VAULT, 'groq-api-key')!;
    await enqueueRotation(
      w.world.deps,
      runRequest(w.world, {
        vault: VAULT,
        secret: 'groq-api-key',
        compromised: true,
        trigger: { kind: 'http' },
      }),
    );
    const [run] = await w.world.drain();
    expect(run).toMatchObject({
      status: 'manual-action-required',
      compromised: true,
      task: { urgent: true },
    });
    expect(run!.pendingHuman.join(' ')).toContain('URGENT');
    expect(w.world.notifier.alerts.at(-1)!.severity).toBe('critical');
    // Key Vault still serves the leaked value: consumers keep working until a replacement arrives.
    const versions = w.world.store.versions(VAULT, 'groq-api-key');
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: leaked.version, enabled: true, value: w.groqKey });

    const minted = w.groq.mint();
    const result = await submitAndPropagate(w, {
      vault: VAULT,
      secret: 'groq-api-key',
      value: minted,
    });
    expect(result.run).toMatchObject({ id: run!.id, compromised: true, credentialId: 'gen-4' });
    // The leaked key still waits for a human at the provider; its Key Vault version is disabled now.
    expect(result.run.status).toBe('manual-action-required');
    expect(result.run.pendingHuman.join(' ')).toContain(`…${w.groqKey.slice(-4)}`);
    expect(result.run.revoked).toContain(`version:groq-api-key/${leaked.version}`);
    expect(w.world.store.peek(VAULT, 'groq-api-key')).toMatchObject({ value: minted, enabled: true });
    expect(w.world.store.versions(VAULT, 'groq-api-key')[0]!.enabled).toBe(false);
    expect(w.world.notifier.alerts.at(-1)).toMatchObject({
      kind: 'manual-action-required',
      severity: 'critical',
    });
    expect(leakSurface(w, result)).not.toContain(minted);
    expect(leakSurface(w, result)).not.toContain(w.groqKey);
  });
});

describe('manual task: compromise reported while a task is open', () => {
  it('makes the open task urgent; Key Vault still serves the current value', async () => {
    const w = manualWorld();
    await enqueueRotation(w.world.deps, runRequest(w.world, { vault: VAULT, secret: 'groq-api-key' }));
    const [open] = await w.world.drain();
    expect(open?.task?.urgent).toBe(false);
    await enqueueRotation(
      w.world.deps,
      runRequest(w.world, {
        vault: VAULT,
        secret: 'groq-api-key',
        compromised: true,
        trigger: { kind: 'http' },
      }),
    );
    await w.world.drain();
    const run = w.world.journal.peek(open!.id)!;
    expect(run).toMatchObject({
      status: 'manual-action-required',
      compromised: true,
      task: { urgent: true },
    });
    expect(w.world.store.versions(VAULT, 'groq-api-key').map((v) => v.enabled)).toEqual([true]);
  });
});

describe('manual task: the worker propagates a hand-over', () => {
  it('a hand-over whose propagation could not be queued stays promoted, and the daily sweep resumes it', async () => {
    const w = manualWorld();
    w.world.faults.inject({ op: 'queue.enqueue' });
    const minted = w.groq.mint();
    const { run } = await submitSecretVersion(w.world.deps, {
      vault: VAULT,
      secret: 'groq-api-key',
      value: minted,
    });
    // Not an error for the caller: the credential is in Key Vault; only the consumers are still to come.
    expect(run).toMatchObject({ status: 'running', phase: 'promoted', credentialId: 'gen-4' });
    expect(w.world.store.peek(VAULT, 'groq-api-key')?.value).toBe(minted);
    expect(w.world.queue.messages).toHaveLength(0);
    expect(w.world.log.lines.map((l) => l.message)).toContain(
      'could not queue the propagation of a promoted hand-over; the daily sweep resumes it',
    );
    w.world.clock.advance(2 * 3_600_000);
    const swept = await runSweep({ engine: w.app.engine, config: w.app.config, concurrency: 4 });
    expect(swept.steps.find((s) => s.name === 'resume')?.counts).toMatchObject({ stale: 1 });
    await w.world.drain();
    expect(w.world.journal.peek(run.id)).toMatchObject({ status: 'done', credentialId: 'gen-4' });
    expect(w.world.propagator.calls).toHaveLength(1);
    expect(leakSurface(w)).not.toContain(minted);
  });
});

describe('manual task: a hand-over delivered twice', () => {
  it('a second delivery of the propagation request, after the run ended, changes nothing', async () => {
    const w = manualWorld();
    const { run } = await submitSecretVersion(w.world.deps, {
      vault: VAULT,
      secret: 'groq-api-key',
      value: w.groq.mint(),
    });
    const [message] = w.world.queue.messages;
    await w.world.drain();
    const ended = w.world.journal.peek(run.id)!;
    expect(ended.status).toBe('done');
    const alerts = w.world.notifier.alerts.length;
    await w.world.queue.enqueue(message!.request);
    const again = await w.world.drain();
    expect(again).toEqual([expect.objectContaining({ id: run.id, status: 'done' })]);
    expect(w.world.journal.peek(run.id)).toEqual(ended);
    expect(w.world.journal.all().filter((r) => r.group === run.group)).toHaveLength(1);
    expect(w.world.notifier.alerts).toHaveLength(alerts);
  });
});

describe('gen-N', () => {
  it('reads gen-N case-insensitively and counts up from the highest', () => {
    expect(generationOf('gen-7')).toBe(7);
    expect(generationOf('GEN-12')).toBe(12);
    expect(generationOf('key1')).toBeUndefined();
    expect(generationOf(undefined)).toBeUndefined();
    expect(nextGeneration([undefined, { credentialid: 'gen-2' }, { CredentialId: 'Gen-5' }])).toBe('gen-6');
    expect(nextGeneration([{ CredentialId: 'key1' }])).toBe('gen-1');
    expect(nextGeneration([])).toBe('gen-1');
  });

  it('never repeats: counts on from the highest generation any version carried (rollbacks, written-back values)', async () => {
    const w = manualWorld();
    const first = await submitAndPropagate(w, {
      vault: VAULT,
      secret: 'groq-api-key',
      value: w.groq.mint(),
    });
    expect(first.run.credentialId).toBe('gen-4');
    w.world.store.seed(VAULT, 'groq-api-key', {
      value: w.groqKey,
      tags: { RotatedBy: 'key-vault-rotator', CredentialId: 'gen-3' },
    });
    const next = await submitAndPropagate(w, {
      vault: VAULT,
      secret: 'groq-api-key',
      value: w.groq.mint(),
    });
    expect(next.run.credentialId).toBe('gen-5');
  });

  it('a second hand-over counts on from the first', async () => {
    const w = manualWorld();
    for (const expected of ['gen-4', 'gen-5']) {
      const value = w.groq.mint();
      const { run } = await submitAndPropagate(w, {
        vault: VAULT,
        secret: 'groq-api-key',
        value,
      });
      expect(run.credentialId).toBe(expected);
      w.world.clock.advance(DAY);
    }
  });
});
