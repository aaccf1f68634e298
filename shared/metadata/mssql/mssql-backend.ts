import type { TokenCredential } from '@azure/identity';
import { Kysely, MssqlDialect, sql } from 'kysely';
import * as Tedious from 'tedious';

import type { WardenDatabase, WardenDb } from '../database';
import type { StoreBackend } from '../store-backend';
import { MiniPool } from './mini-pool';

/** The Entra ID scope of Azure SQL Database tokens. */
export const AZURE_SQL_SCOPE = 'https://database.windows.net/.default';
/** The application lock that serialises audit-chain appends (and with them every metadata write). */
export const AUDIT_LOCK_RESOURCE = 'warden.audit_log';

export interface MssqlBackendOptions {
  /** e.g. `warden-sql.database.windows.net` */
  readonly server: string;
  readonly database: string;
  readonly port?: number;
  /** Managed identity (DefaultAzureCredential / ManagedIdentityCredential): no passwords. */
  readonly credential: TokenCredential;
  readonly poolMax?: number;
  /** How long a writer waits for the audit-chain lock (default 15 s). */
  readonly lockTimeoutMs?: number;
}

/**
 * The T-SQL batch that takes the audit-chain lock for the rest of the transaction. `sp_getapplock` returns < 0 when
 * the lock was not granted (timeout, deadlock victim, error); the batch then throws so the transaction rolls back.
 */
export function auditLockSql(lockTimeoutMs: number) {
  return sql`DECLARE @lock_result int; EXEC @lock_result = sp_getapplock @Resource = ${sql.lit(AUDIT_LOCK_RESOURCE)}, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = ${sql.lit(Math.trunc(lockTimeoutMs))}; IF @lock_result < 0 THROW 51000, 'audit chain lock not granted', 1;`;
}

/** A Kysely instance on Azure SQL over tedious, authenticated with an Entra access token per connection. */
export function createMssqlKysely(options: MssqlBackendOptions): WardenDb {
  return new Kysely<WardenDatabase>({
    dialect: new MssqlDialect({
      tarn: { Pool: MiniPool, options: { min: 0, max: options.poolMax ?? 10 } },
      tedious: {
        ...Tedious,
        connectionFactory: async () => {
          // A fresh token per connection: tokens last about an hour, pooled connections may outlive one.
          const token = await options.credential.getToken(AZURE_SQL_SCOPE);
          if (!token) throw new Error('No Entra ID token for Azure SQL from the managed identity');
          return new Tedious.Connection({
            server: options.server,
            authentication: { type: 'azure-active-directory-access-token', options: { token: token.token } },
            options: {
              database: options.database,
              port: options.port ?? 1433,
              encrypt: true,
              trustServerCertificate: false,
            },
          });
        },
      },
    }),
  });
}

/**
 * The Azure SQL backend. Not exercised against a live server in this repository: its SQL is checked by compiling
 * the store's queries with the MSSQL dialect (test/unit/metadata/mssql-backend.test.ts).
 *
 * @remarks
 * A write runs in a READ COMMITTED transaction that first takes an exclusive application lock
 * ({@link AUDIT_LOCK_RESOURCE}, owner = transaction), so the chain head read and the append are serialised across
 * every instance of the app: the chain cannot fork. Change tracking (schema.sql) records the changes.
 */
export class MssqlBackend implements StoreBackend {
  readonly kind = 'mssql' as const;
  private readonly lockTimeoutMs: number;

  constructor(
    readonly db: WardenDb,
    options: { lockTimeoutMs?: number } = {},
  ) {
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
  }

  static connect(options: MssqlBackendOptions): MssqlBackend {
    return new MssqlBackend(createMssqlKysely(options), options);
  }

  async write<T>(fn: (trx: WardenDb) => Promise<T>, options: { readonly auditLock?: boolean } = {}): Promise<T> {
    return this.db
      .transaction()
      .setIsolationLevel('read committed')
      .execute(async (trx) => {
        if (options.auditLock !== false) await auditLockSql(this.lockTimeoutMs).execute(trx);
        return fn(trx);
      });
  }

  isUniqueViolation(error: unknown): boolean {
    const n = error instanceof Error ? (error as { number?: number }).number : undefined;
    return n === 2627 || n === 2601; // PRIMARY KEY / UNIQUE constraint, unique index
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
