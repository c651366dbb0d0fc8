/** The storage fault proxy: Azurite behind injectable faults (see `proxy.ts`). */
export {
  type FaultProxyTarget,
  type ProxyLogEntry,
  type RunningFaultProxy,
  startFaultProxy,
} from './proxy.js';
export {
  type ProxiedRequest,
  type ProxyFault,
  type ProxyFaultInput,
  type ProxyFaultRule,
  ProxyFaultSet,
  STORAGE_SERVICES,
  type StorageService,
} from './rules.js';
