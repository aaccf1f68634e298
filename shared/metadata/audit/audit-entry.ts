import { createHash } from 'node:crypto';

import { canonicalJson } from '../../domain/canonical-json';

/** The previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a caller appends: who did what to which target, why, under which correlation id. */
export interface AuditAppend {
  readonly actor: string;
  /** Dotted verb, e.g. `access_policies.update`, `rbac.roleAssignment.delete`. */
  readonly action: string;
  /** What was acted on: `access_policies/ap-x`, an ARM id, … */
  readonly target: string;
  /** State before and after (metadata rows, plans): versions and fingerprints only, never secret values. */
  readonly before?: unknown;
  readonly after?: unknown;
  readonly reason?: string | null;
  readonly correlationId?: string | null;
}

/** A stored, chained audit entry. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly reason: string | null;
  readonly correlation_id: string | null;
  readonly prev_hash: string;
  readonly hash: string;
}

/** The hashed content of an entry: everything but the hashes themselves. */
export function hashedContent(e: Omit<AuditEntry, 'prev_hash' | 'hash'>): string {
  return canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target,
    before: e.before ?? null,
    after: e.after ?? null,
    reason: e.reason,
    correlation_id: e.correlation_id,
  });
}

/** SHA-256 (hex) over the previous hash followed by the canonical JSON of the entry. */
export function auditHash(prevHash: string, e: Omit<AuditEntry, 'prev_hash' | 'hash'>): string {
  return createHash('sha256').update(prevHash).update(hashedContent(e)).digest('hex');
}

/** The outcome of walking the chain. */
export type AuditChainVerdict =
  | { readonly ok: true; readonly entries: number; readonly headSeq: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly entries: number;
      /** The first entry that does not hold. */
      readonly firstBadSeq: number;
      readonly problem: string;
    };
