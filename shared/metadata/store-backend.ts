import type { WardenDb } from './database';

export type SqlDialectKind = 'sqlite' | 'mssql';

/**
 * What differs between SQLite and Azure SQL under the store: how a write transaction is opened (and the audit
 * chain serialised), how "first row" is spelled, and how a duplicate key is reported.
 */
export interface StoreBackend {
  readonly kind: SqlDialectKind;
  readonly db: WardenDb;
  /**
   * Runs `fn` in a write transaction that also holds the audit-chain lock, so appends from any number of
   * connections or processes form one chain. Commits when `fn` resolves, rolls back when it throws.
   * `auditLock: false` is for writes that append no audit entry (event receipts, poison messages): on Azure SQL they
   * then do not queue behind metadata writes; SQLite has one write lock either way.
   */
  write<T>(fn: (trx: WardenDb) => Promise<T>, options?: { readonly auditLock?: boolean }): Promise<T>;
  /** Whether an error is a primary-key/unique violation. */
  isUniqueViolation(error: unknown): boolean;
  close(): Promise<void>;
}
