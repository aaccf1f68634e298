import { z } from 'zod';

import { ValidationError } from '../domain/errors';

/** Page size bounds of every list route. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `limit` query parameter: 1–200, default 50 (query values arrive as text). */
export const LimitSchema = z
  .string()
  .regex(/^\d{1,3}$/, { error: 'must be a whole number from 1 to 200' })
  .transform(Number)
  .refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, { error: `must be from 1 to ${MAX_PAGE_SIZE}` })
  .optional();

/** `continuationToken` query parameter: opaque text from a previous page. */
export const ContinuationTokenSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,1024}$/, { error: 'is not a continuation token from a previous page' })
  .optional();

/** A page of items and, when more remain, the token for the next one. */
export interface Page<T> {
  readonly items: T[];
  readonly continuationToken?: string;
}

/**
 * Encodes a position as an opaque continuation token (base64url JSON, tagged with what it pages so a token from
 * one list is refused by another).
 */
export function encodeContinuation(kind: string, after: string | number): string {
  return Buffer.from(JSON.stringify({ k: kind, a: after }), 'utf8').toString('base64url');
}

/** Decodes a token from {@link encodeContinuation}; a foreign or corrupt token is a 400 naming the parameter. */
export function decodeContinuation<T extends string | number>(
  kind: string,
  token: string | undefined,
  type: T extends string ? 'string' : 'number',
): T | undefined {
  if (token === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const p = parsed as { k?: unknown; a?: unknown } | undefined;
  if (p === null || typeof p !== 'object' || p.k !== kind || typeof p.a !== type)
    throw new ValidationError('query', [
      { path: 'continuationToken', message: 'is not a continuation token from a previous page of this list' },
    ]);
  return p.a as T;
}
