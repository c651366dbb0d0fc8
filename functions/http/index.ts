export {
  formatIssuePath,
  isJsonContentType,
  type ReadJsonBodyOptions,
  readBodyBytes,
  readJsonBody,
} from './body.js';
export {
  DEFAULT_RETRY_AFTER_SECONDS,
  ERROR_STATUS,
  type ErrorBody,
  errorResponse,
  internalErrorResponse,
  rotationErrorResponse,
  statusForErrorCode,
} from './errors.js';
export { withErrorHandling } from './handler.js';
