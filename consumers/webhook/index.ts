export { createWebhookConsumer, type SignedPost, sendSignedWebhook, type WebhookDeps } from './adapter.js';
export { computeSignature, SIGNATURE_HEADER, signatureHeaders, TIMESTAMP_HEADER } from './sign.js';
export {
  type VerifyRotatorSignatureInput,
  type VerifyRotatorSignatureResult,
  verifyRotatorSignature,
} from './verify.js';
