/**
 * Key Vault's service limits and the errors it answers when they are broken: name pattern, 25 KB values,
 * 15 tags, timestamps as integer Unix seconds.
 */
import { HttpError } from '../core/http-error.js';
import type { SecretAttributesInput } from './model.js';

export const RECOVERY_LEVEL = 'CustomizedRecoverable+Purgeable';
export const RECOVERABLE_DAYS = 7;
export const MAX_VALUE_BYTES = 25 * 1024;
export const MAX_TAGS = 15;
export const MAX_TAG_NAME_LENGTH = 512;
export const MAX_TAG_VALUE_LENGTH = 256;
export const MAX_CONTENT_TYPE_LENGTH = 255;
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
export const VERSION_ID = /^[0-9a-f]{32}$/;

export const badParameter = (message: string) => new HttpError(400, 'BadParameter', message);

export function secretNotFound(name: string, version?: string): HttpError {
  const id = version ? `${name}/${version}` : name;
  return new HttpError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${id} was not found in this key vault. If you recently deleted this secret you may ` +
      'be able to recover it using the correct recovery command. For help resolving this issue, please see ' +
      'https://go.microsoft.com/fwlink/?linkid=2125182',
  );
}

export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
}

function checkTimestamp(field: string, value: number | null | undefined): void {
  if (value === undefined || value === null) return;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw badParameter(`Property attributes.${field} has invalid value: expected integer Unix seconds.`);
  }
}

export function checkTags(tags: Record<string, string> | null | undefined): void {
  if (!tags) return;
  const entries = Object.entries(tags);
  // Key Vault answers a 16th tag with this terse message (seen in public bug reports against the service).
  if (entries.length > MAX_TAGS) throw badParameter('Property has invalid value');
  for (const [name, value] of entries) {
    if (typeof value !== 'string') throw badParameter(`Property tags.${name} has invalid value.`);
    if (name.length === 0 || name.length > MAX_TAG_NAME_LENGTH || value.length > MAX_TAG_VALUE_LENGTH) {
      throw badParameter('Property has invalid value');
    }
  }
}

export function checkContentType(contentType: string | null | undefined): void {
  if (typeof contentType === 'string' && contentType.length > MAX_CONTENT_TYPE_LENGTH) {
    throw badParameter('Property contentType has invalid value: too long.');
  }
}

export function checkAttributes(attributes: SecretAttributesInput | null | undefined): void {
  if (!attributes) return;
  checkTimestamp('nbf', attributes.nbf);
  checkTimestamp('exp', attributes.exp);
}
