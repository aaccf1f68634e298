// The poison-message record: listing (newest first, by source, since, below an id), one by id, and redaction of
// credential-looking values at recording — on SQLite, and the same Kysely path compiled for MSSQL (TOP, not LIMIT).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixedClock } from '../../../shared/domain/clock';
import { MetadataStore } from '../../../shared/metadata/metadata-store';
import { MssqlBackend } from '../../../shared/metadata/mssql/mssql-backend';
import { RecordingMssqlDriver, recordingMssqlKysely } from './mssql/recording-driver';
import { tempStore } from './store-fixture';

test('poison listing on SQLite: newest first, exact source, since (inclusive), below an id, top', async () => {
  const t = tempStore('warden-poison-');
  try {
    const times: string[] = [];
    for (let i = 1; i <= 6; i++) {
      t.clock.advance(1000);
      times.push(t.clock.now().toISOString());
      await t.store.events.recordPoison({
        source: i <= 3 ? 'servicebus:warden-commands' : 'eventgrid:arm',
        messageId: i === 2 ? null : `m-${i}`,
        reason: `r${i}`,
        body: i === 2 ? null : `b${i}`,
      });
    }
    const ids = (rows: { messageId: string | null; reason: string }[]) => rows.map((r) => r.reason);
    assert.deepEqual(ids(await t.store.events.queryPoison({ top: 10 })), ['r6', 'r5', 'r4', 'r3', 'r2', 'r1']);
    assert.deepEqual(ids(await t.store.events.queryPoison({ top: 2 })), ['r6', 'r5']);
    assert.deepEqual(ids(await t.store.events.queryPoison({ top: 10, source: 'servicebus:warden-commands' })), [
      'r3',
      'r2',
      'r1',
    ]);
    assert.deepEqual(ids(await t.store.events.queryPoison({ top: 10, source: 'servicebus' })), []);
    assert.deepEqual(ids(await t.store.events.queryPoison({ top: 10, since: times[3]! })), ['r6', 'r5', 'r4']);
    // An instant with an offset is the same instant.
    const plusOne = new Date(Date.parse(times[3]!) + 3_600_000).toISOString().replace('Z', '+01:00');
    assert.equal((await t.store.events.queryPoison({ top: 10, since: plusOne })).length, 3);
    const all = await t.store.events.queryPoison({ top: 10 });
    const r4 = all.find((r) => r.reason === 'r4')!;
    assert.deepEqual(ids(await t.store.events.queryPoison({ top: 2, beforeId: r4.id })), ['r3', 'r2']);
    assert.deepEqual(
      ids(
        await t.store.events.queryPoison({
          top: 10,
          beforeId: r4.id,
          source: 'servicebus:warden-commands',
          since: times[1]!,
        }),
      ),
      ['r3', 'r2'],
    );
    const r2 = await t.store.events.getPoison(all.find((r) => r.reason === 'r2')!.id);
    assert.deepEqual(r2 && { ...r2, id: 0 }, {
      id: 0,
      source: 'servicebus:warden-commands',
      messageId: null,
      reason: 'r2',
      body: null,
      receivedAt: times[1],
    });
    assert.equal(await t.store.events.getPoison(9999), undefined);
    assert.deepEqual(ids(await t.store.events.listPoison(1)), ['r6'], 'listPoison keeps its meaning');
  } finally {
    await t.cleanup();
  }
});

test('a poison body or reason carrying a credential is stored redacted', async () => {
  const t = tempStore('warden-poison-');
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLWJ5dGVz';
  try {
    await t.store.events.recordPoison({
      source: 'servicebus:warden-commands',
      messageId: 'm-secret',
      reason: `invalid command (sent with Bearer ${jwt})`,
      body: JSON.stringify({ command: 'rotate', referenceId: 'sr-1', password: 'hunter2', note: `token ${jwt}` }),
    });
    const raw = t.raw().prepare('SELECT reason, body FROM poison_messages').get() as { reason: string; body: string };
    for (const value of ['hunter2', jwt]) {
      assert.ok(!raw.body.includes(value), raw.body);
      assert.ok(!raw.reason.includes(value), raw.reason);
    }
    assert.deepEqual(JSON.parse(raw.body), {
      command: 'rotate',
      referenceId: 'sr-1',
      password: '[redacted]',
      note: 'token [redacted]',
    });
  } finally {
    await t.cleanup();
  }
});

test('MSSQL: the poison listing and lookup compile to T-SQL with TOP and bound parameters', async () => {
  const driver = new RecordingMssqlDriver();
  const store = new MetadataStore(new MssqlBackend(recordingMssqlKysely(driver)), fixedClock('2026-06-01T12:00:00Z'));
  // The recording driver answers only the statements it knows; the statement sent is what is checked here.
  await store.events
    .queryPoison({ top: 101, source: 'eventgrid:keyvault', since: '2026-06-01T13:00:00+01:00', beforeId: 42 })
    .catch(() => undefined);
  assert.equal(
    driver.log.at(-1),
    'select top(101) * from "poison_messages" where "id" < @1 and "source" = @2 and "received_at" >= @3 order by "id" desc',
  );
  assert.deepEqual(driver.params.at(-1), [42, 'eventgrid:keyvault', '2026-06-01T12:00:00.000Z']);
  await store.events.queryPoison({ top: 5 }).catch(() => undefined);
  assert.equal(driver.log.at(-1), 'select top(5) * from "poison_messages" order by "id" desc');
  assert.equal(await store.events.getPoison(7), undefined);
  assert.equal(driver.log.at(-1), 'select * from "poison_messages" where "id" = @1');
  assert.ok(driver.log.every((s) => !/\blimit\b/i.test(s)));
});

test('MSSQL: the drift-revert read of the audit log compiles to T-SQL: JSON_VALUE with a literal path', async () => {
  const driver = new RecordingMssqlDriver();
  const store = new MetadataStore(new MssqlBackend(recordingMssqlKysely(driver)), fixedClock('2026-06-01T12:00:00Z'));
  await store.audit
    .driftReverts({ target: 'rg/a', action: 'access.step.applied', since: 'S', driftKeys: ['k1', 'k2', 'k1'] })
    .catch(() => undefined);
  assert.equal(
    driver.log.at(-1),
    `select "at", JSON_VALUE("after", '$.driftKey') as "drift_key" from "audit_log" ` +
      `where "action" = @1 and JSON_VALUE("after", '$.driftKey') in (@2, @3) and "at" >= @4 and "target" = @5`,
  );
  assert.deepEqual(driver.params.at(-1), ['access.step.applied', 'k1', 'k2', 'S', 'rg/a']);
});
