import type { DatabaseSync } from 'node:sqlite';

import { METADATA_TABLE_NAMES } from '../../domain/metadata/metadata-tables';
import { METADATA_COLUMNS } from '../database';

const META = `version INTEGER NOT NULL CHECK (version >= 1),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL`;
const bool = (c: string): string => `${c} INTEGER NOT NULL CHECK (${c} IN (0, 1))`;

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/** The change-log triggers of one metadata table: the contract the local runtime's SQL trigger reads. */
function changeTriggers(table: string, key: string): string {
  const log = (op: string, ref: string) =>
    `INSERT INTO metadata_changes (table_name, pk, operation, at) VALUES ('${table}', json_object('${key}', ${ref}.${key}), '${op}', ${NOW});`;
  return `
CREATE TRIGGER ${table}_log_insert AFTER INSERT ON ${table} BEGIN ${log('insert', 'NEW')} END;
CREATE TRIGGER ${table}_log_update AFTER UPDATE ON ${table} BEGIN ${log('update', 'NEW')} END;
CREATE TRIGGER ${table}_log_delete AFTER DELETE ON ${table} BEGIN ${log('delete', 'OLD')} END;
CREATE TRIGGER ${table}_key_immutable BEFORE UPDATE OF ${key} ON ${table} WHEN OLD.${key} <> NEW.${key}
  BEGIN SELECT RAISE(ABORT, '${table}.${key} is immutable: delete and insert instead'); END;`;
}

/**
 * One migration: an id, a name and the SQL it runs. Migrations are append-only: never edit one that shipped.
 */
export interface SqliteMigration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    id: 1,
    name: 'metadata tables, change log, audit log, event receipts, poison messages',
    sql: `
CREATE TABLE access_policies (
  id TEXT PRIMARY KEY,
  principal_id TEXT NOT NULL,
  principal_type TEXT NOT NULL CHECK (principal_type IN ('User', 'Group', 'ServicePrincipal')),
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  data_access TEXT,
  expires_at TEXT,
  justification TEXT NOT NULL,
  approved_by TEXT,
  ${bool('enabled')},
  ${META}
) STRICT;
CREATE INDEX access_policies_scope ON access_policies (scope);
CREATE INDEX access_policies_principal ON access_policies (principal_id);
CREATE INDEX access_policies_expires ON access_policies (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE managed_scopes (
  scope TEXT PRIMARY KEY,
  mode TEXT NOT NULL CHECK (mode IN ('additive', 'exclusive')),
  enforcement TEXT NOT NULL CHECK (enforcement IN ('enforce', 'report-only')),
  allowed_roles TEXT NOT NULL CHECK (json_valid(allowed_roles)),
  break_glass TEXT NOT NULL CHECK (json_valid(break_glass)),
  ${META}
) STRICT;

CREATE TABLE secret_references (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  vault_uri TEXT NOT NULL,
  secret_name TEXT NOT NULL,
  current_version TEXT,
  current_expires_at TEXT,
  rotator TEXT NOT NULL CHECK (rotator IN ('random', 'storage-account-key', 'databricks-pat', 'http')),
  rotator_config TEXT NOT NULL CHECK (json_valid(rotator_config)),
  interval_days INTEGER NOT NULL CHECK (interval_days >= 1),
  notify_before_days INTEGER NOT NULL CHECK (notify_before_days >= 0),
  grace_hours INTEGER NOT NULL CHECK (grace_hours >= 0),
  consumers TEXT NOT NULL CHECK (json_valid(consumers)),
  last_rotated_at TEXT,
  status TEXT NOT NULL,
  next_rotation_at TEXT,
  next_notice_at TEXT,
  ${META},
  UNIQUE (vault_uri, secret_name)
) STRICT;
CREATE INDEX secret_references_rotation_due ON secret_references (next_rotation_at) WHERE next_rotation_at IS NOT NULL;
CREATE INDEX secret_references_notice_due ON secret_references (next_notice_at) WHERE next_notice_at IS NOT NULL;

CREATE TABLE network_rules (
  id TEXT PRIMARY KEY,
  resource_id TEXT NOT NULL,
  public_network_access TEXT CHECK (public_network_access IN ('Enabled', 'Disabled')),
  ${bool('private_endpoint_required')},
  allowed_ip_ranges TEXT NOT NULL CHECK (json_valid(allowed_ip_ranges)),
  integration_runtime TEXT,
  consumers TEXT NOT NULL CHECK (json_valid(consumers)),
  ${bool('enabled')},
  ${META}
) STRICT;
CREATE INDEX network_rules_resource ON network_rules (resource_id);

CREATE TABLE alert_rules (
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL,
  target TEXT NOT NULL,
  source TEXT NOT NULL CHECK (json_valid(source)),
  operator TEXT NOT NULL,
  threshold REAL NOT NULL,
  "window" TEXT NOT NULL CHECK ("window" IN ('PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H', 'PT12H', 'P1D')),
  frequency TEXT NOT NULL,
  failing_periods TEXT NOT NULL CHECK (json_valid(failing_periods)),
  action TEXT NOT NULL CHECK (action IN ('quarantine', 'notify')),
  ${bool('auto_release')},
  recovery_windows INTEGER NOT NULL,
  monitor_name TEXT,
  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 4),
  ${META}
) STRICT;
CREATE INDEX alert_rules_model ON alert_rules (model_id);

CREATE TABLE models (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  deployment TEXT NOT NULL,
  stage TEXT NOT NULL CHECK (stage IN ('Staging', 'Production', 'Quarantined', 'Archived')),
  last_good_version TEXT,
  next_check_at TEXT,
  owner TEXT NOT NULL,
  ${META},
  UNIQUE (name, model_version)
) STRICT;
CREATE INDEX models_check_due ON models (next_check_at) WHERE next_check_at IS NOT NULL;

CREATE TABLE exemptions (
  id TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('access', 'network', 'secret', 'model')),
  reason TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  ${META}
) STRICT;
CREATE INDEX exemptions_target ON exemptions (target);
CREATE INDEX exemptions_expires ON exemptions (expires_at);

CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  plan TEXT NOT NULL CHECK (json_valid(plan)),
  requested_by TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  decided_by TEXT,
  decision TEXT CHECK (decision IN ('approved', 'rejected')),
  decided_at TEXT,
  comment TEXT,
  ${META},
  CHECK (decided_by IS NULL OR decided_by <> requested_by)
) STRICT;
CREATE INDEX approvals_pending ON approvals (requested_at) WHERE decision IS NULL;

-- The change log (DESIGN.md "SQL trigger contract"): seq never reused (AUTOINCREMENT), written by triggers in the
-- writing transaction, so a rolled-back write leaves no change. pk is the JSON object of the key columns
-- ({"id":"ap-x"}, {"scope":"/subscriptions/..."}), the form the local runtime's SQL trigger decodes.
CREATE TABLE metadata_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  pk TEXT NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
  at TEXT NOT NULL
) STRICT;
${METADATA_TABLE_NAMES.map((table) => changeTriggers(table, METADATA_COLUMNS[table].key)).join('\n')}

-- The audit log: append-only (triggers refuse UPDATE and DELETE), hash-chained by the store.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY CHECK (seq >= 1),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before TEXT CHECK (before IS NULL OR json_valid(before)),
  after TEXT CHECK (after IS NULL OR json_valid(after)),
  reason TEXT,
  correlation_id TEXT,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX audit_log_target ON audit_log (target);
CREATE INDEX audit_log_correlation ON audit_log (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Processed events (Event Grid delivers at least once): dedupe by id with an atomic insert.
CREATE TABLE event_receipts (
  event_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  received_at TEXT NOT NULL
) STRICT;

-- Messages that can never succeed (invalid payloads): recorded with the reason instead of being lost.
CREATE TABLE poison_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  message_id TEXT,
  reason TEXT NOT NULL,
  body TEXT,
  received_at TEXT NOT NULL
) STRICT;
`,
  },
  {
    id: 2,
    name: 'audit_log index on action',
    // State derived from the audit trail (the breaker's quarantines, grants an access cut holds, breaker trips) is
    // read by action on every plan and signal: without an index that is a scan of the whole, ever-growing log.
    sql: `
CREATE INDEX audit_log_action ON audit_log (action);
`,
  },
  {
    id: 3,
    name: 'audit_log index on drift keys',
    // Fight detection reads, on every plan, when the plan's drifts were last reverted: indexed by action and the
    // entry's drift key (the same expression AuditLog.driftReverts queries), not a scan of the target's history. It
    // leads with the action, so it serves the reads by action alone too and replaces the index of migration 2 (with
    // both, the planner may pick the narrower one for a drift read).
    sql: `
CREATE INDEX audit_log_drift ON audit_log (action, json_extract(after, '$.driftKey'), at);
DROP INDEX audit_log_action;
`,
  },
];

const BUSY = 5;

function isBusy(error: unknown): boolean {
  return (
    error instanceof Error &&
    ((error as { errcode?: number }).errcode === BUSY ||
      (error as { errcode?: number }).errcode === 517 ||
      /database is locked/.test(error.message))
  );
}

/**
 * Applies pending migrations to a SQLite database, each in its own `BEGIN IMMEDIATE` transaction (SQLite DDL is
 * transactional), so concurrent starts apply each migration exactly once. Returns the ids applied now.
 */
export function migrateSqlite(db: DatabaseSync, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): number[] {
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`,
  );
  const applied: number[] = [];
  for (const m of migrations) {
    for (let attempt = 0; ; attempt++) {
      try {
        db.exec('BEGIN IMMEDIATE');
        break;
      } catch (error) {
        if (!isBusy(error) || attempt > 200) throw error;
      }
    }
    try {
      const done = db.prepare('SELECT 1 AS x FROM schema_migrations WHERE id = ?').get(m.id);
      if (!done) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(
          m.id,
          m.name,
          new Date().toISOString(),
        );
        applied.push(m.id);
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return applied;
}
