/**
 * `LockManager` over blob leases (container `rotation-locks`, one empty blob per credential group).
 *
 * A lease is finite (15–60 s, Azure's limits) and renewed by its holder while the run lives; a worker that
 * crashes stops renewing and the lease expires, so the next worker can take over. Infinite leases are
 * refused on purpose: a crashed holder would block the group until someone breaks the lease by hand.
 */
import type { BlobLeaseClient, ContainerClient } from '@azure/storage-blob';
import { RotationError } from '../rotation/errors.js';
import type { Lease, LockManager } from '../rotation/ports.js';
import { azureCodeOf, azureStatusOf, wrapAzureError } from './errors.js';

export const LOCK_CONTAINER = 'rotation-locks';
export const MIN_LEASE_SECONDS = 15;
export const MAX_LEASE_SECONDS = 60;

/** The lock key of a credential group: `<vault>/<group>`, lowercased. */
export function groupLockKey(vault: string, group: string): string {
  return `${vault.toLowerCase()}/${group.toLowerCase()}`;
}

/**
 * Blob name for a key: each `/`-separated segment percent-encoded, so `\`, `?`, `#`, `..` and control
 * characters cannot change the path. `kv1/openai` stays `kv1/openai`.
 */
export function lockBlobName(key: string): string {
  const segments = key.split('/');
  if (key.length === 0 || key.length > 512 || segments.some((s) => s.length === 0)) {
    throw new RotationError('BadRequest', `invalid lock key '${key.slice(0, 80)}'`);
  }
  return segments
    .map((s) =>
      s === '.' || s === '..' ? encodeURIComponent(s).replace(/\./g, '%2E') : encodeURIComponent(s),
    )
    .join('/');
}

class BlobLease implements Lease {
  private released = false;

  constructor(
    readonly key: string,
    private readonly lease: BlobLeaseClient,
  ) {}

  /** The lease id (for diagnostics; not a secret, but useless to anyone without storage access). */
  get leaseId(): string {
    return this.lease.leaseId;
  }

  async renew(): Promise<void> {
    if (this.released) {
      throw new RotationError('LeaseLost', `lease on ${this.key} was released`, { transient: true });
    }
    try {
      await this.lease.renewLease();
    } catch (error) {
      const status = azureStatusOf(error);
      // 409: another lease id holds it, or it was broken; 412: lease id mismatch; 404: lock blob deleted.
      if (status === 409 || status === 412 || status === 404) {
        throw new RotationError(
          'LeaseLost',
          `lease on ${this.key} was lost (${azureCodeOf(error) ?? status})`,
          { transient: true, cause: { status, code: azureCodeOf(error) } },
        );
      }
      throw wrapAzureError(error, { action: `renew lease on ${this.key}` });
    }
  }

  /** Idempotent: releasing a lease that was already lost or released is not an error. */
  async release(): Promise<void> {
    if (this.released) return;
    try {
      await this.lease.releaseLease();
      this.released = true;
    } catch (error) {
      const status = azureStatusOf(error);
      if (status === 409 || status === 412 || status === 404) {
        // Someone else holds it now, or it is gone: either way we no longer hold it.
        this.released = true;
        return;
      }
      throw wrapAzureError(error, { action: `release lease on ${this.key}` });
    }
  }
}

export class BlobLockManager implements LockManager {
  private ready: Promise<ContainerClient> | undefined;

  /** @param container - lazily builds the client, e.g. `() => factory.blobContainer(LOCK_CONTAINER)`. */
  constructor(private readonly container: () => Promise<ContainerClient>) {}

  private client(): Promise<ContainerClient> {
    this.ready ??= (async () => {
      const client = await this.container();
      try {
        await client.createIfNotExists();
      } catch (error) {
        throw wrapAzureError(error, { action: `create container ${LOCK_CONTAINER}` });
      }
      return client;
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async tryAcquire(key: string, durationSeconds: number): Promise<Lease | undefined> {
    if (
      !Number.isInteger(durationSeconds) ||
      durationSeconds < MIN_LEASE_SECONDS ||
      durationSeconds > MAX_LEASE_SECONDS
    ) {
      throw new RotationError(
        'BadRequest',
        `lease duration must be a whole number of seconds from ${MIN_LEASE_SECONDS} to ${MAX_LEASE_SECONDS} (got ${durationSeconds})`,
      );
    }
    const container = await this.client();
    const blob = container.getBlockBlobClient(lockBlobName(key));
    for (let attempt = 0; attempt < 2; attempt++) {
      const lease = blob.getBlobLeaseClient();
      try {
        await lease.acquireLease(durationSeconds);
        return new BlobLease(key, lease);
      } catch (error) {
        const status = azureStatusOf(error);
        if (status === 409) return undefined; // LeaseAlreadyPresent: someone else holds it
        if (status !== 404 || attempt > 0) throw wrapAzureError(error, { action: `acquire lease on ${key}` });
      }
      await this.createLockBlob(blob, key);
    }
    throw new RotationError('InternalError', `could not create the lock blob for ${key}`);
  }

  /** Creates the empty lock blob unless it exists (a concurrent worker may create it first). */
  private async createLockBlob(
    blob: ReturnType<ContainerClient['getBlockBlobClient']>,
    key: string,
  ): Promise<void> {
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      const status = azureStatusOf(error);
      if (status !== 409 && status !== 412)
        throw wrapAzureError(error, { action: `create lock blob for ${key}` });
    }
  }
}
