/**
 * What `keyVaultEvents` does with a `SecretNewVersionCreated` of a managed secret that the rotator did
 * not write (its `onVersionSetByHand` default): manual providers' values are checked, then promoted or
 * reverted (`hand-set.ts`); other providers' are logged. Throws only what Event Grid should redeliver.
 */
import type { EngineDeps } from '../engine/deps.js';
import type { KeyVaultSecretEvent } from '../events/index.js';
import type { Logger, ManagedSecret } from '../ports.js';
import { handleHandSetVersion } from './hand-set.js';

export async function checkVersionSetByHand(
  app: { engine: EngineDeps },
  event: KeyVaultSecretEvent,
  secret: ManagedSecret,
  log: Logger,
): Promise<void> {
  const outcome = await handleHandSetVersion(app.engine, {
    vault: event.vault,
    secret: secret.name,
    version: event.version,
    eventId: event.id,
    eventType: event.eventType,
  });
  const fields = { vault: event.vault, secret: secret.name, version: event.version, group: secret.group };
  switch (outcome.kind) {
    case 'promoted':
      log.info('value set by hand accepted and promoted', {
        ...fields,
        runId: outcome.run.id,
        status: outcome.run.status,
        credentialId: outcome.run.credentialId,
      });
      return;
    case 'reverted':
      log.warn('value set by hand rejected by the provider; last valid value restored', {
        ...fields,
        restoredFrom: outcome.restoredFrom,
        restoredAs: outcome.version,
        runId: outcome.runId,
        reason: outcome.reason,
      });
      return;
    case 'ignored':
      log.info('new version set outside the rotator; not acted on', { ...fields, reason: outcome.reason });
      return;
  }
}
