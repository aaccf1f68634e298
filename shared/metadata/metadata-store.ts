import { type Clock, systemClock } from '../domain/clock';
import {
  type InputOf,
  METADATA_TABLE_NAMES,
  type MetadataTableName,
  type RecordOf,
} from '../domain/metadata/metadata-tables';
import type { AuditAppend, AuditEntry } from './audit/audit-entry';
import { AuditLog } from './audit/audit-log';
import { EventReceipts } from './event-receipts';
import { type DeleteOptions, MetadataRepository, type UpsertOptions } from './metadata-repository';
import { SqliteBackend, type SqliteBackendOptions } from './sqlite/sqlite-backend';
import type { StoreBackend } from './store-backend';

/**
 * The metadata store: Warden's intent (eight metadata tables), the audit log and the event bookkeeping, on one
 * database (SQLite locally, Azure SQL on Azure) through Kysely.
 *
 * @remarks
 * Every metadata write is validated, version-checked, stamped with its actor and audited in one transaction; the
 * change log (`metadata_changes`, SQLite triggers) or change tracking (Azure SQL) records it for the SQL trigger.
 */
export class MetadataStore {
  readonly audit: AuditLog;
  readonly events: EventReceipts;
  readonly accessPolicies: MetadataRepository<'access_policies'>;
  readonly managedScopes: MetadataRepository<'managed_scopes'>;
  readonly secretReferences: MetadataRepository<'secret_references'>;
  readonly networkRules: MetadataRepository<'network_rules'>;
  readonly alertRules: MetadataRepository<'alert_rules'>;
  readonly models: MetadataRepository<'models'>;
  readonly exemptions: MetadataRepository<'exemptions'>;
  readonly approvals: MetadataRepository<'approvals'>;
  private readonly repositories: { [T in MetadataTableName]: MetadataRepository<T> };

  constructor(
    readonly backend: StoreBackend,
    readonly clock: Clock = systemClock,
  ) {
    this.audit = new AuditLog(backend, () => clock.now());
    this.events = new EventReceipts(backend, () => clock.now());
    const repo = <T extends MetadataTableName>(t: T) => new MetadataRepository(t, backend, this.audit, clock);
    this.repositories = {
      access_policies: repo('access_policies'),
      managed_scopes: repo('managed_scopes'),
      secret_references: repo('secret_references'),
      network_rules: repo('network_rules'),
      alert_rules: repo('alert_rules'),
      models: repo('models'),
      exemptions: repo('exemptions'),
      approvals: repo('approvals'),
    };
    this.accessPolicies = this.repositories.access_policies;
    this.managedScopes = this.repositories.managed_scopes;
    this.secretReferences = this.repositories.secret_references;
    this.networkRules = this.repositories.network_rules;
    this.alertRules = this.repositories.alert_rules;
    this.models = this.repositories.models;
    this.exemptions = this.repositories.exemptions;
    this.approvals = this.repositories.approvals;
  }

  /** The repository of a table by name (for code that handles every table alike: seeder, HTTP API, SQL trigger). */
  table<T extends MetadataTableName>(name: T): MetadataRepository<T> {
    return this.repositories[name];
  }

  /**
   * Several writes in one transaction: all commit (each audited, each logged as a change) or none does.
   */
  async batch<R>(fn: (tx: MetadataBatch) => Promise<R>): Promise<R> {
    return this.backend.write((trx) =>
      fn({
        upsert: (table, input, options) => this.repositories[table].upsertIn(trx, input, options),
        delete: (table, key, options) => this.repositories[table].deleteIn(trx, key, options),
        audit: (entry) => this.audit.appendIn(trx, entry),
      }),
    );
  }

  /** Row counts per metadata table, plus the audit log and change log. */
  async counts(): Promise<Record<MetadataTableName | 'audit_log' | 'metadata_changes', number>> {
    const out = {} as Record<MetadataTableName | 'audit_log' | 'metadata_changes', number>;
    for (const t of METADATA_TABLE_NAMES) out[t] = await this.repositories[t].count();
    for (const t of ['audit_log', 'metadata_changes'] as const) {
      const row = await this.backend.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      out[t] = Number(row?.n ?? 0);
    }
    return out;
  }

  /** Whether no metadata table holds a row (the seeder's precondition). */
  async isEmpty(): Promise<boolean> {
    for (const t of METADATA_TABLE_NAMES) if ((await this.repositories[t].count()) > 0) return false;
    return true;
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/** The writes available inside {@link MetadataStore.batch}. */
export interface MetadataBatch {
  upsert<T extends MetadataTableName>(table: T, input: InputOf<T>, options: UpsertOptions): Promise<RecordOf<T>>;
  delete<T extends MetadataTableName>(table: T, key: string, options: DeleteOptions): Promise<RecordOf<T>>;
  audit(entry: AuditAppend): Promise<AuditEntry>;
}

/** Opens (creating and migrating) a SQLite metadata store. */
export function openSqliteMetadataStore(options: SqliteBackendOptions & { clock?: Clock }): MetadataStore {
  return new MetadataStore(new SqliteBackend(options), options.clock);
}
