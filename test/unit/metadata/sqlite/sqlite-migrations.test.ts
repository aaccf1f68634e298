import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { METADATA_TABLE_NAMES } from '../../../../shared/domain/metadata/metadata-tables';
import { allColumns, METADATA_COLUMNS } from '../../../../shared/metadata/database';
import { migrateSqlite } from '../../../../shared/metadata/sqlite/sqlite-migrations';
import { SAMPLE_ROWS } from '../../domain/metadata/sample-rows';
import { tempStore } from '../store-fixture';

const ACTOR = 'ada';

interface Change {
  seq: number;
  table_name: string;
  pk: string;
  operation: string;
  at: string;
}

describe('the change log (metadata_changes), the SQL trigger contract', () => {
  const t = tempStore('warden-changes-');
  after(() => t.cleanup());
  const changes = (): Change[] =>
    t
      .raw()
      .prepare('SELECT seq, table_name, pk, operation, at FROM metadata_changes ORDER BY seq')
      .all() as unknown as Change[];

  test('migrations create every table and are applied once', () => {
    const db = t.raw();
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    for (const name of [
      'access_policies',
      'managed_scopes',
      'secret_references',
      'network_rules',
      'alert_rules',
      'models',
      'exemptions',
      'approvals',
      'audit_log',
      'metadata_changes',
      'event_receipts',
      'poison_messages',
      'schema_migrations',
    ])
      assert.ok(tables.includes(name), `${name} exists`);
    assert.deepEqual(migrateSqlite(db), [], 'nothing left to apply');
    // Reads of audit-derived state go through the action index, not a scan of the whole log.
    const plan = (
      db
        .prepare("EXPLAIN QUERY PLAN SELECT seq, target, after FROM audit_log WHERE action IN ('a', 'b') ORDER BY seq")
        .all() as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('; ');
    assert.match(plan, /USING INDEX audit_log_drift \(action=\?\)/, plan);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  });

  test('every metadata table has exactly the columns the store maps, key first', () => {
    const db = t.raw();
    for (const table of METADATA_TABLE_NAMES) {
      const info = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; pk: number }[];
      assert.deepEqual(info.map((c) => c.name).sort(), allColumns(table).sort(), table);
      assert.deepEqual(
        info.filter((c) => c.pk > 0).map((c) => c.name),
        [METADATA_COLUMNS[table].key],
        `${table} primary key`,
      );
    }
  });

  test('one change per write, in order, with the key as JSON', async () => {
    const p = await t.store.accessPolicies.upsert(SAMPLE_ROWS.access_policies, { actor: ACTOR });
    const s = await t.store.managedScopes.upsert(SAMPLE_ROWS.managed_scopes, { actor: ACTOR });
    await t.store.accessPolicies.upsert({ ...p, justification: 'again' }, { actor: ACTOR });
    await t.store.managedScopes.delete(s.scope, { actor: ACTOR, expectedVersion: 1 });
    const log = changes();
    assert.deepEqual(
      log.map((c) => [c.table_name, JSON.parse(c.pk) as unknown, c.operation]),
      [
        ['access_policies', { id: p.id }, 'insert'],
        ['managed_scopes', { scope: s.scope }, 'insert'],
        ['access_policies', { id: p.id }, 'update'],
        ['managed_scopes', { scope: s.scope }, 'delete'],
      ],
    );
    assert.deepEqual(
      log.map((c) => c.seq),
      [...log.map((c) => c.seq)].sort((a, b) => a - b),
    );
    assert.ok(log.every((c) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(c.at)));
  });

  test('a rolled-back write leaves no change, no audit entry and no row', async () => {
    const before = { changes: changes().length, audit: t.count('audit_log'), models: t.count('models') };
    await assert.rejects(
      t.store.batch(async (tx) => {
        await tx.upsert('models', SAMPLE_ROWS.models, { actor: ACTOR });
        assert.equal(changes().length, before.changes, 'another connection does not see the uncommitted change');
        throw new Error('abort the batch');
      }),
      /abort the batch/,
    );
    assert.equal(changes().length, before.changes);
    assert.equal(t.count('audit_log'), before.audit);
    assert.equal(t.count('models'), before.models);
  });

  test('a batch commits its writes together, each with its change and audit entry', async () => {
    const before = changes().length;
    await t.store.batch(async (tx) => {
      await tx.upsert('models', SAMPLE_ROWS.models, { actor: ACTOR });
      await tx.upsert('alert_rules', SAMPLE_ROWS.alert_rules, { actor: ACTOR });
    });
    assert.deepEqual(
      changes()
        .slice(before)
        .map((c) => c.table_name),
      ['models', 'alert_rules'],
    );
  });

  test('writes outside the store are logged too, and primary keys are immutable', () => {
    const db = t.raw();
    const before = changes().length;
    db.prepare("UPDATE models SET stage = 'Archived' WHERE id = ?").run(SAMPLE_ROWS.models.id);
    assert.equal(changes().length, before + 1);
    assert.throws(
      () => db.prepare("UPDATE models SET id = 'm-other' WHERE id = ?").run(SAMPLE_ROWS.models.id),
      /immutable/,
    );
  });

  test('the audit log refuses UPDATE and DELETE', () => {
    const db = t.raw();
    assert.throws(() => db.exec("UPDATE audit_log SET actor = 'mallory'"), /append-only/);
    assert.throws(() => db.exec('DELETE FROM audit_log'), /append-only/);
  });
});
