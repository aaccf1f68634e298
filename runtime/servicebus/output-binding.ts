import type { RpcTypedData } from '../host/core-types';
import type { OutgoingMessage } from './broker';

/**
 * Turns a `serviceBus` output binding value into messages, as the extension does for the Node worker: an array
 * (JSON array or typed collection) is one message per element; a string is one text message; bytes one binary
 * message; any other JSON value one message holding its JSON text (content type `application/json`). Node output
 * bindings carry bodies only (no SessionId or application properties).
 */
export function messagesFromOutput(data: RpcTypedData): OutgoingMessage[] {
  if (data.string !== undefined && data.string !== null) return [text(data.string)];
  if (data.bytes) return [{ body: data.bytes, bodyIsText: false }];
  if (data.stream) return [{ body: data.stream, bodyIsText: false }];
  if (data.int !== undefined && data.int !== null) return [text(String(data.int))];
  if (data.double !== undefined && data.double !== null) return [text(String(data.double))];
  if (data.collectionString) return data.collectionString.string.map(text);
  if (data.collectionBytes) return data.collectionBytes.bytes.map((b) => ({ body: b, bodyIsText: false }));
  if (data.collectionDouble) return data.collectionDouble.double.map((d) => text(String(d)));
  if (data.collectionSint64) return data.collectionSint64.sint64.map((d) => text(String(d)));
  if (data.json !== undefined && data.json !== null) {
    const value: unknown = JSON.parse(data.json);
    return (Array.isArray(value) ? value : [value]).map(fromJsonValue);
  }
  return [];
}

function fromJsonValue(value: unknown): OutgoingMessage {
  if (typeof value === 'string') return text(value);
  return { ...text(JSON.stringify(value ?? null)), contentType: 'application/json' };
}

function text(s: string): OutgoingMessage {
  return { body: Buffer.from(s, 'utf8'), bodyIsText: true };
}
