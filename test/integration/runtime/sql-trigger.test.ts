import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import type { RuntimeLogger } from '../../../runtime/host/runtime-services';
import { type RunningRuntime, startRuntime } from '../../../runtime/runtime';
import {
  type AppRecord,
  createMetadataDb,
  eventually,
  makeTriggersApp,
  readRecords,
  TRIGGERS_APP_MAIN,
} from '../../fixtures/apps/triggers-app/test-support/harness';

interface Change {
  Item: Record<string, unknown>;
  Operation: number;
}

const app = makeTriggersApp();
const db = createMetadataDb(app.dbFile);
const events: { level: string; event: string; fields: Record<string, unknown> }[] = [];
const capture =
  (level: string) =>
  (event: string, fields: Record<string, unknown> = {}) =>
    events.push({ level, event, fields });
const logger: RuntimeLogger = {
  debug: capture('debug'),
  info: capture('info'),
  warn: capture('warn'),
  error: capture('error'),
};
let runtime: RunningRuntime | undefined;

after(async () => {
  await runtime?.stop();
  db.close();
  app.cleanup();
});

function start(): Promise<RunningRuntime> {
  return startRuntime({
    appDir: app.appDir,
    main: TRIGGERS_APP_MAIN,
    port: 0,
    stateDir: app.stateDir,
    logger,
    printTable: false,
  });
}

const batches = (): Change[][] =>
  readRecords(app.logFile)
    .filter((r: AppRecord) => r.fn === 'accessPoliciesChanged')
    .map((r) => r.changes as Change[]);

test('metadata changes reach app.sql merged, in order, in batches of at most 100; failures retry, then give up after 5', async () => {
  db.exec(`INSERT INTO access_policies (id, principal, role) VALUES ('ap-1', 'alice', 'Reader');
           UPDATE access_policies SET role = 'Contributor' WHERE id = 'ap-1';
           INSERT INTO access_policies (id, principal, role) VALUES ('ap-2', 'bob', 'Reader');
           DELETE FROM access_policies WHERE id = 'ap-2';`);
  runtime = await start();
  await eventually(() => batches().length === 1, 'the first batch');
  assert.deepEqual(batches()[0], [
    { Item: { id: 'ap-1', principal: 'alice', role: 'Contributor', fail: 0 }, Operation: 0 },
    { Item: { id: 'ap-2' }, Operation: 2 },
  ]);

  db.exec('BEGIN');
  const insert = db.prepare('INSERT INTO access_policies (id, principal, role) VALUES (?, ?, ?)');
  for (let i = 0; i < 230; i++) insert.run(`bulk-${String(i).padStart(3, '0')}`, `p${i}`, 'Reader');
  db.exec('COMMIT');
  await eventually(() => batches().length === 4, 'three more batches');
  const bulk = batches().slice(1);
  assert.deepEqual(
    bulk.map((b) => b.length),
    [100, 100, 30],
  );
  assert.deepEqual(
    bulk.flat().map((c) => c.Item.id),
    Array.from({ length: 230 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`),
  );

  db.exec(`INSERT INTO access_policies (id, principal, role, fail) VALUES ('poison', 'mallory', 'Owner', 1)`);
  await eventually(() => events.some((e) => e.event === 'sql.change-given-up'), 'the give-up');
  db.exec(`UPDATE access_policies SET role = 'Owner' WHERE id = 'ap-1'`);
  await eventually(
    () => batches().some((b) => b.some((c) => c.Item.id === 'ap-1' && c.Item.role === 'Owner')),
    'the next change',
  );
  assert.equal(
    batches().filter((b) => b.some((c) => c.Item.id === 'poison')).length,
    5,
    'five attempts, then given up',
  );

  // The cursor is the runtime's own state: a restart delivers only what changed meanwhile.
  await runtime.stop();
  runtime = undefined;
  const before = batches().length;
  db.exec(`UPDATE access_policies SET principal = 'alice2' WHERE id = 'ap-1'`);
  runtime = await start();
  await eventually(() => batches().length === before + 1, 'the change made while stopped');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(batches().length, before + 1);
  assert.deepEqual(batches()[before], [
    { Item: { id: 'ap-1', principal: 'alice2', role: 'Owner', fail: 0 }, Operation: 1 },
  ]);
});
