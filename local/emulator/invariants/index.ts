/**
 * The rotation invariant checker (test support, in-process only): mount it with
 * `startEmulator({ invariants: { managed } })` and read `emulator.invariants`.
 */
export {
  InvariantChecker,
  type InvariantOptions,
  type InvariantStats,
  type InvariantViolation,
  type VaultReader,
  type ViolationCause,
} from './checker.js';
export {
  JWT_MIN_KEY_BYTES,
  jwtKeyBytes,
  jwtVerdict,
  type ManagedRef,
  mongoVerdict,
  type ValidityRule,
  type Verdict,
  verdictOf,
} from './validity.js';
