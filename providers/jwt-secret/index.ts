export {
  type DisabledVersion,
  disableAllPreviousVersions,
  disableExpiredJwtVersions,
  generateSigningSecret,
  jwtSecretProvider,
  newKid,
  signingKey,
} from './adapter.js';
export {
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type JwtSecretSettings,
  jwtSecretSettings,
  MIN_KEY_BYTES,
} from './settings.js';
