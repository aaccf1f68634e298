import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, test } from 'node:test';

import type { RuntimeComponent } from '../../../../runtime/host/runtime-services';
import { sqliteFileOf, unqualifiedTableName } from '../../../../runtime/sql/sql-connection';
import { createSqlTriggerComponent } from '../../../../runtime/sql/sql-trigger-component';
import {
  type FakeRuntime,
  fakeRuntime,
  fn,
  type Invocation,
  settle,
  waitFor,
} from '../../../fixtures/apps/triggers-app/test-support/fake-services';

interface Change {
  Item: Record<string, unknown>;
  Operation: number;
}

const running: { component: RuntimeComponent; rt: FakeRuntime; db?: DatabaseSync }[] = [];

afterEach(async () => {
  for (const { component, rt, db } of running.splice(0)) {
    await component.stop();
    db?.close();
    rt.cleanup();
  }
});

/** The app's side of the contract: a watched table and SQLite triggers writing metadata_changes. */
function createAppDb(file: string, table = 'access_policies', keys: string[] = ['id']): DatabaseSync {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  const keyJson = (prefix: string) => `json_object(${keys.map((k) => `'${k}', ${prefix}.${k}`).join(', ')})`;
  db.exec(`
    CREATE TABLE IF NOT EXISTS metadata_changes (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, pk TEXT NOT NULL, operation TEXT NOT NULL,
      at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
    CREATE TABLE ${table} (${keys.map((k) => `${k} TEXT NOT NULL`).join(', ')}, name TEXT, fail INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (${keys.join(', ')}));
    CREATE TRIGGER ${table}_ins AFTER INSERT ON ${table} BEGIN
      INSERT INTO metadata_changes (table_name, pk, operation) VALUES ('${table}', ${keyJson('NEW')}, 'insert'); END;
    CREATE TRIGGER ${table}_upd AFTER UPDATE ON ${table} BEGIN
      INSERT INTO metadata_changes (table_name, pk, operation) VALUES ('${table}', ${keyJson('NEW')}, 'update'); END;
    CREATE TRIGGER ${table}_del AFTER DELETE ON ${table} BEGIN
      INSERT INTO metadata_changes (table_name, pk, operation) VALUES ('${table}', ${keyJson('OLD')}, 'delete'); END;
  `);
  return db;
}

function sqlFn(name = 'policiesChanged', tableName = 'dbo.access_policies') {
  return fn(name, {
    sqlTrigger1: { type: 'sqlTrigger', direction: 'in', tableName, connectionStringSetting: 'MetadataDb' },
  });
}

function changesOf(inv: Invocation | undefined): Change[] {
  const json = inv?.options.request.inputData?.[0]?.data?.json;
  assert.ok(json, 'the SQL trigger input is JSON');
  return JSON.parse(json) as Change[];
}

function setup(
  options: { stateDir?: string; maxBatchSize?: number; table?: string; keys?: string[]; connection?: string } = {},
) {
  const rt = fakeRuntime({ functions: [sqlFn()], ...(options.stateDir ? { stateDir: options.stateDir } : {}) });
  const file = path.join(rt.stateDir, 'app.db');
  const db = createAppDb(file, options.table, options.keys);
  rt.services.env.MetadataDb = options.connection ?? `Data Source=${file}`;
  const component = createSqlTriggerComponent({
    pollingIntervalMs: 20,
    ...(options.maxBatchSize ? { maxBatchSize: options.maxBatchSize } : {}),
  });
  running.push({ component, rt, db });
  return { rt, db, component, file };
}

test('several changes to one row arrive as one change with its current state; deletes carry only the key', async () => {
  const { rt, db, component } = setup();
  db.exec(`INSERT INTO access_policies (id, name) VALUES ('p1', 'a');
           UPDATE access_policies SET name = 'b' WHERE id = 'p1';
           INSERT INTO access_policies (id, name) VALUES ('p2', 'x');
           UPDATE access_policies SET name = 'y' WHERE id = 'p2';
           DELETE FROM access_policies WHERE id = 'p2';
           INSERT INTO access_policies (id, name) VALUES ('p3', 'c');`);
  db.exec(`UPDATE access_policies SET name = 'c2' WHERE id = 'p3'`);
  await component.start(rt.services);
  await waitFor(() => rt.invocations.length === 1, 'the first batch');
  assert.deepEqual(changesOf(rt.invocations[0]), [
    { Item: { id: 'p1', name: 'b', fail: 0 }, Operation: 0 },
    { Item: { id: 'p2' }, Operation: 2 },
    { Item: { id: 'p3', name: 'c2', fail: 0 }, Operation: 0 },
  ]);
  db.exec(`UPDATE access_policies SET name = 'b2' WHERE id = 'p1'`);
  await waitFor(() => rt.invocations.length === 2, 'the update');
  assert.deepEqual(changesOf(rt.invocations[1]), [{ Item: { id: 'p1', name: 'b2', fail: 0 }, Operation: 1 }]);
});

test('batches hold at most 100 changes and arrive in change order', async () => {
  const { rt, db, component } = setup();
  db.exec('BEGIN');
  const insert = db.prepare('INSERT INTO access_policies (id, name) VALUES (?, ?)');
  for (let i = 0; i < 250; i++) insert.run(`p${String(i).padStart(3, '0')}`, `n${i}`);
  db.exec('COMMIT');
  await component.start(rt.services);
  await waitFor(() => rt.invocations.length === 3, 'three batches');
  await settle(100);
  assert.equal(rt.invocations.length, 3);
  const batches = rt.invocations.map(changesOf);
  assert.deepEqual(
    batches.map((b) => b.length),
    [100, 100, 50],
  );
  const ids = batches.flat().map((c) => c.Item.id);
  assert.deepEqual(
    ids,
    Array.from({ length: 250 }, (_, i) => `p${String(i).padStart(3, '0')}`),
  );
});

test('a failing batch is retried and the cursor advances only after success, surviving a restart', async () => {
  const { rt, db, component } = setup();
  let failures = 2;
  rt.setInvoke(() =>
    failures-- > 0 ? { status: 'failure', error: new Error('transient') } : { status: 'success', response: {} },
  );
  db.exec(`INSERT INTO access_policies (id, name) VALUES ('p1', 'a'), ('p2', 'b')`);
  await component.start(rt.services);
  await waitFor(() => rt.invocations.length === 3, 'two failures and a success');
  await settle(100);
  assert.equal(rt.invocations.length, 3, 'nothing is redelivered after the success');
  for (const inv of rt.invocations)
    assert.deepEqual(
      changesOf(inv).map((c) => c.Item.id),
      ['p1', 'p2'],
    );
  await component.stop();

  // A new runtime on the same state continues from the committed cursor.
  const rt2 = fakeRuntime({ functions: [sqlFn()], stateDir: rt.stateDir, env: rt.services.env });
  const again = createSqlTriggerComponent({ pollingIntervalMs: 20 });
  running.push({ component: again, rt: rt2 });
  db.exec(`UPDATE access_policies SET name = 'c' WHERE id = 'p2'`);
  await again.start(rt2.services);
  await waitFor(() => rt2.invocations.length === 1, 'the change made while stopped');
  await settle(100);
  assert.deepEqual(changesOf(rt2.invocations[0]), [{ Item: { id: 'p2', name: 'c', fail: 0 }, Operation: 1 }]);
});

test('a change whose batch failed 5 times is given up and logged; later changes flow', async () => {
  const { rt, db, component } = setup();
  rt.setInvoke((_name, opts) => {
    const changes = JSON.parse(opts.request.inputData?.[0]?.data?.json ?? '[]') as Change[];
    return changes.some((c) => c.Item.fail === 1)
      ? { status: 'failure', error: new Error('poison') }
      : { status: 'success', response: {} };
  });
  db.exec(`INSERT INTO access_policies (id, name, fail) VALUES ('bad', 'x', 1)`);
  await component.start(rt.services);
  await waitFor(() => rt.logs.some((l) => l.event === 'sql.change-given-up'), 'the give-up');
  db.exec(`INSERT INTO access_policies (id, name) VALUES ('good', 'y')`);
  await waitFor(() => rt.invocations.some((i) => changesOf(i).some((c) => c.Item.id === 'good')), 'the next change');
  await settle(100);
  const badAttempts = rt.invocations.filter((i) => changesOf(i).some((c) => c.Item.id === 'bad')).length;
  assert.equal(badAttempts, 5);
  const givenUp = rt.logs.find((l) => l.event === 'sql.change-given-up');
  assert.equal(givenUp?.level, 'error');
  assert.equal(givenUp?.fields.pk, '{"id":"bad"}');
  assert.deepEqual(
    changesOf(rt.invocations[rt.invocations.length - 1]).map((c) => c.Item.id),
    ['good'],
  );
});

test('composite keys, a plain path setting and a database created after start-up', async () => {
  const rt = fakeRuntime({ functions: [sqlFn('itemsChanged', '[dbo].[items]')] });
  const file = path.join(rt.stateDir, 'later.db');
  rt.services.env.MetadataDb = file;
  const component = createSqlTriggerComponent({ pollingIntervalMs: 20 });
  running.push({ component, rt });
  await component.start(rt.services);
  await waitFor(() => rt.logs.some((l) => l.event === 'sql.database-missing'), 'the missing-database warning');
  const db = createAppDb(file, 'items', ['tenant', 'id']);
  running[running.length - 1]!.db = db;
  db.exec(`INSERT INTO items (tenant, id, name) VALUES ('t1', '7', 'seven');
           DELETE FROM items WHERE tenant = 't1' AND id = '7';
           INSERT INTO items (tenant, id, name) VALUES ('t2', '8', 'eight');`);
  await waitFor(() => rt.invocations.length === 1, 'the batch');
  assert.deepEqual(changesOf(rt.invocations[0]), [
    { Item: { tenant: 't1', id: '7' }, Operation: 2 },
    { Item: { tenant: 't2', id: '8', name: 'eight', fail: 0 }, Operation: 0 },
  ]);
});

test('connection settings name a SQLite file; SQL Server strings are refused', () => {
  assert.equal(sqliteFileOf('Data Source=meta.db;Cache=Shared', '/app'), '/app/meta.db');
  assert.equal(sqliteFileOf('/abs/meta.db', '/app'), '/abs/meta.db');
  assert.equal(sqliteFileOf('file:data/meta.db', '/app'), '/app/data/meta.db');
  assert.throws(() => sqliteFileOf('Server=tcp:x.database.windows.net;Database=w', '/app'), /not a SQLite file/);
  assert.equal(unqualifiedTableName('dbo.Items'), 'Items');
  assert.equal(unqualifiedTableName('[dbo].[Items]'), 'Items');
  assert.equal(unqualifiedTableName('Items'), 'Items');
});

test('a database recreated under the same name is reopened and its new change log read from the start', async () => {
  const { rt, db, component, file } = setup();
  db.exec(`INSERT INTO access_policies (id, name) VALUES ('old-1', 'a'), ('old-2', 'b'), ('old-3', 'c')`);
  await component.start(rt.services);
  await waitFor(() => rt.invocations.length === 1, 'the old changes');
  db.close();
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  const fresh = createAppDb(file);
  running[running.length - 1]!.db = fresh;
  fresh.exec(`INSERT INTO access_policies (id, name) VALUES ('new-1', 'n')`);
  await waitFor(() => rt.invocations.length === 2, 'the change in the recreated database');
  assert.deepEqual(changesOf(rt.invocations[1]), [{ Item: { id: 'new-1', name: 'n', fail: 0 }, Operation: 0 }]);
  assert.ok(rt.logs.some((l) => l.event === 'sql.cursor-reset'));
});
