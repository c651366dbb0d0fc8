/**
 * Memoises an ARM read that never changes for a resource (an account's kind and endpoint, a Communication
 * resource's host name): one call per process and resource, forgotten after a failure so the next run asks
 * again.
 */
import type { ArmResourceId } from './arm-id.js';

export function oncePerResource<T>(
  load: (resource: ArmResourceId) => Promise<T>,
): (resource: ArmResourceId) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (resource) => {
    const key = resource.id.toLowerCase();
    let value = cache.get(key);
    if (!value) {
      value = load(resource);
      cache.set(key, value);
      value.catch(() => cache.delete(key));
    }
    return value;
  };
}
