/**
 * Queue message encoding as the Azure Functions queue extension expects by default
 * (`messageEncoding: base64`): the message text is base64 of the UTF-8 JSON. Whoever enqueues for a
 * queue-triggered function must send `Buffer.from(JSON.stringify(value)).toString('base64')`.
 * The handler receives the decoded text, JSON-parsed when it is JSON (as the Azure Node worker does).
 */

export function encodeQueueMessage(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.from(text, 'utf8').toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The decoded text, or undefined when `messageText` is not base64 (the extension poisons those). */
export function decodeQueueMessageText(messageText: string): string | undefined {
  const compact = messageText.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** JSON when it parses, else the text itself (the Node worker's `tryJsonParse`). */
export function parseQueuePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the handler gets the plain string, exactly as in Azure.
    return text;
  }
}
