import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { findRepoRoot } from '../../../../lib/find-repo-root';
import { fixedClock } from '../../../../shared/domain/clock';
import { PreconditionFailedError } from '../../../../shared/domain/errors';
import { METADATA_TABLE_NAMES } from '../../../../shared/domain/metadata/metadata-tables';
import { allColumns } from '../../../../shared/metadata/database';
import { MetadataStore } from '../../../../shared/metadata/metadata-store';
import { AUDIT_LOCK_RESOURCE, auditLockSql, MssqlBackend } from '../../../../shared/metadata/mssql/mssql-backend';
import { SAMPLE_ROWS } from '../../domain/metadata/sample-rows';
import { RecordingMssqlDriver, recordingMssqlKysely } from './recording-driver';

function mssqlStore() {
  const driver = new RecordingMssqlDriver();
  const store = new MetadataStore(new MssqlBackend(recordingMssqlKysely(driver)), fixedClock('2026-06-01T12:00:00Z'));
  return { driver, store };
}

test('MSSQL: an insert runs in a READ COMMITTED transaction holding the audit app lock, then audits', async () => {
  const { driver, store } = mssqlStore();
  const row = await store.accessPolicies.upsert(SAMPLE_ROWS.access_policies, { actor: 'ada' });
  assert.equal(row.version, 1);
  assert.equal(row.enabled, true, 'BIT 0/1 decoded to boolean');
  const log = driver.log;
  assert.equal(log[0], 'BEGIN TRANSACTION (read committed)');
  assert.match(
    log[1] ?? '',
    /^DECLARE @lock_result int; EXEC @lock_result = sp_getapplock @Resource = 'warden\.audit_log', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 15000; IF @lock_result < 0 THROW 51000/,
  );
  assert.equal(log[2], 'select * from "access_policies" where "id" = @1');
  assert.match(
    log[3] ?? '',
    /^insert into "access_policies" \("id", "principal_id", .*"version", "created_at", "updated_at", "updated_by"\) values \(@1, @2, /,
  );
  assert.equal(log[4], 'select * from "access_policies" where "id" = @1');
  assert.equal(log[5], 'select top(1) "seq", "hash" from "audit_log" order by "seq" desc');
  assert.match(
    log[6] ?? '',
    /^insert into "audit_log" \("seq", "at", "actor", "action", "target", "before", "after", "reason", "correlation_id", "prev_hash", "hash"\) values/,
  );
  assert.equal(log[7], 'COMMIT');
  assert.equal(log.length, 8);
});

test('MSSQL: updates and deletes are version-checked in the WHERE clause; a stale version rolls back', async () => {
  const { driver, store } = mssqlStore();
  const m = await store.models.upsert(SAMPLE_ROWS.models, { actor: 'ada' });
  driver.log.length = 0;
  const q = await store.models.upsert({ ...m, stage: 'Quarantined' } as never, { actor: 'warden' });
  assert.equal(q.version, 2);
  const update = driver.log.find((s) => s.startsWith('update'));
  assert.match(
    update ?? '',
    /^update "models" set "name" = @1, .*"next_check_at" = @\d+, .*"updated_by" = @\d+ where "id" = @\d+ and "version" = @\d+$/,
  );
  assert.doesNotMatch(update ?? '', /set "id"/, 'the key is never updated');

  driver.log.length = 0;
  await assert.rejects(store.models.delete(m.id, { actor: 'ada', expectedVersion: 1 }), PreconditionFailedError);
  assert.equal(driver.log.at(-1), 'ROLLBACK');
  await store.models.delete(m.id, { actor: 'ada', expectedVersion: 2 });
  assert.ok(driver.log.includes('delete from "models" where "id" = @1 and "version" = @2'));
  assert.equal(driver.log.at(-1), 'COMMIT');

  const audit = driver.tables.get('audit_log') ?? [];
  assert.deepEqual(
    audit.map((e) => [e.seq, e.action]),
    [
      [1, 'models.insert'],
      [2, 'models.update'],
      [3, 'models.delete'],
    ],
  );
  assert.equal(audit[1]?.prev_hash, audit[0]?.hash, 'the chain links through the MSSQL path too');
});

test('MSSQL: an event receipt is its own transaction without the audit lock', async () => {
  const { driver, store } = mssqlStore();
  assert.equal(await store.events.firstReceipt('evt-1', 'eventgrid'), true);
  assert.deepEqual(driver.log, [
    'BEGIN TRANSACTION (read committed)',
    'insert into "event_receipts" ("event_id", "source", "received_at") values (@1, @2, @3)',
    'COMMIT',
  ]);
});

test('MSSQL: list, limits and due queries compile to T-SQL (TOP, not LIMIT)', () => {
  const { store } = mssqlStore();
  const db = store.backend.db;
  const list = db
    .selectFrom('secret_references')
    .selectAll()
    .where('next_rotation_at', 'is not', null)
    .where('next_rotation_at', '<=', '2026-07-01T00:00:00.000Z')
    .orderBy('id', 'asc')
    .top(50)
    .compile();
  assert.equal(
    list.sql,
    'select top(50) * from "secret_references" where "next_rotation_at" is not null and "next_rotation_at" <= @1 order by "id" asc',
  );
  const receipt = db.insertInto('event_receipts').values({ event_id: 'e', source: 's', received_at: 't' }).compile();
  assert.equal(receipt.sql, 'insert into "event_receipts" ("event_id", "source", "received_at") values (@1, @2, @3)');
  assert.equal(auditLockSql(5000).compile(db).sql.includes(`@Resource = '${AUDIT_LOCK_RESOURCE}'`), true);
});

test('the T-SQL schema script declares every table and column the store uses, with change tracking', () => {
  const schema = readFileSync(path.join(findRepoRoot(__dirname), 'shared', 'metadata', 'mssql', 'schema.sql'), 'utf8');
  for (const table of METADATA_TABLE_NAMES) {
    const block = new RegExp(`CREATE TABLE dbo\\.\\[${table}\\] \\(([\\s\\S]*?)\\n\\);`).exec(schema);
    assert.ok(block, `schema.sql creates ${table}`);
    for (const column of allColumns(table))
      assert.match(block[1] ?? '', new RegExp(`\\[${column}\\]`), `${table}.${column}`);
    assert.match(
      schema,
      new RegExp(`ALTER TABLE dbo\\.\\[${table}\\] ENABLE CHANGE_TRACKING`),
      `change tracking on ${table}`,
    );
  }
  assert.match(schema, /ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON/);
  assert.match(schema, /GRANT VIEW CHANGE TRACKING ON SCHEMA::dbo TO \[\$\(AppIdentityName\)\]/);
  assert.match(schema, /CREATE SCHEMA az_func|GRANT CREATE SCHEMA/);
  assert.match(schema, /DENY UPDATE, DELETE ON dbo\.\[audit_log\]/);
});
