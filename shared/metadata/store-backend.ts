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
   */
  write<T>(fn: (trx: WardenDb) => Promise<T>): Promise<T>;
  /** Whether an error is a primary-key/unique violation. */
  isUniqueViolation(error: unknown): boolean;
  close(): Promise<void>;
}
