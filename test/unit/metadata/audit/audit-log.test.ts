import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { auditHash, GENESIS_HASH } from '../../../../shared/metadata/audit/audit-entry';
import { tempStore } from '../store-fixture';

describe('audit chain', () => {
  test('entries chain from the genesis hash; verify accepts an intact chain', async () => {
    const t = tempStore('warden-audit-');
    try {
      const a = await t.store.audit.append({ actor: 'ada', action: 'test.one', target: 't/1', after: { b: 2, a: 1 } });
      const b = await t.store.audit.append({
        actor: 'grace',
        action: 'test.two',
        target: 't/2',
        reason: 'why',
        correlationId: 'c',
      });
      assert.equal(a.seq, 1);
      assert.equal(a.prev_hash, GENESIS_HASH);
      assert.equal(b.prev_hash, a.hash);
      assert.equal(a.hash, auditHash(GENESIS_HASH, a));
      assert.deepEqual(await t.store.audit.verify(), { ok: true, entries: 2, headSeq: 2, headHash: b.hash });
      assert.deepEqual(await t.store.audit.head(), { seq: 2, hash: b.hash });
    } finally {
      await t.cleanup();
    }
  });

  test('altering one stored entry is detected and the entry named', async () => {
    const t = tempStore('warden-audit-');
    try {
      for (let i = 1; i <= 5; i++)
        await t.store.audit.append({ actor: 'ada', action: 'test', target: `t/${i}`, after: { i } });
      const db = t.raw();
      db.exec('DROP TRIGGER audit_log_no_update'); // an attacker with file access
      db.prepare(`UPDATE audit_log SET after = '{"i":99}' WHERE seq = 3`).run();
      const verdict = await t.store.audit.verify();
      assert.equal(verdict.ok, false);
      assert.ok(!verdict.ok);
      assert.equal(verdict.firstBadSeq, 3);
      assert.match(verdict.problem, /entry 3's content does not match its hash/);
      assert.equal(verdict.entries, 2);
    } finally {
      await t.cleanup();
    }
  });

  test('a rewritten entry with a recomputed hash breaks the link to the next one', async () => {
    const t = tempStore('warden-audit-');
    try {
      for (let i = 1; i <= 4; i++) await t.store.audit.append({ actor: 'ada', action: 'test', target: `t/${i}` });
      const [e2] = await t.store.audit.list({ fromSeq: 2, limit: 1 });
      assert.ok(e2);
      const forged = { ...e2, actor: 'mallory' };
      const db = t.raw();
      db.exec('DROP TRIGGER audit_log_no_update');
      db.prepare('UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 2').run(
        'mallory',
        auditHash(e2.prev_hash, forged),
      );
      const verdict = await t.store.audit.verify();
      assert.ok(!verdict.ok);
      assert.equal(verdict.firstBadSeq, 3);
      assert.match(verdict.problem, /prev_hash does not match entry 2/);
    } finally {
      await t.cleanup();
    }
  });

  test('verify walks long chains page by page', async () => {
    const t = tempStore('warden-audit-');
    try {
      await t.store.batch(async (tx) => {
        for (let i = 1; i <= 620; i++) await tx.audit({ actor: 'ada', action: 'test', target: `t/${i}` });
      });
      const verdict = await t.store.audit.verify();
      assert.ok(verdict.ok);
      assert.equal(verdict.entries, 620);
      assert.equal(verdict.headSeq, 620);
      const db = t.raw();
      db.exec('DROP TRIGGER audit_log_no_update');
      db.prepare("UPDATE audit_log SET target = 'x' WHERE seq = 550").run();
      const broken = await t.store.audit.verify();
      assert.ok(!broken.ok);
      assert.equal(broken.firstBadSeq, 550);
    } finally {
      await t.cleanup();
    }
  });

  test('a removed entry is named', async () => {
    const t = tempStore('warden-audit-');
    try {
      for (let i = 1; i <= 4; i++) await t.store.audit.append({ actor: 'ada', action: 'test', target: `t/${i}` });
      const db = t.raw();
      db.exec('DROP TRIGGER audit_log_no_delete');
      db.exec('DELETE FROM audit_log WHERE seq = 2');
      const verdict = await t.store.audit.verify();
      assert.ok(!verdict.ok);
      assert.equal(verdict.firstBadSeq, 2);
      assert.match(verdict.problem, /entry 2 is missing/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('drift reverts (what fight detection reads)', () => {
  test('the reverts of the given drift keys on one target since a time, through the drift index', async () => {
    const t = tempStore('warden-audit-drift-');
    try {
      const append = (action: string, target: string, after: unknown) =>
        t.store.audit.append({ actor: 'warden', action, target, after });
      await append('access.step.applied', 'rg/a', { driftKey: 'k1' }); // 12:00:00, before the window
      t.clock.advance(60_000);
      await append('access.step.applied', 'rg/a', { driftKey: 'k1' });
      await append('access.step.refused', 'rg/a', { driftKey: 'k2' }); // another action
      await append('access.step.applied', 'rg/b', { driftKey: 'k2' }); // another target
      await append('access.step.applied', 'rg/a', { driftKey: 'k2' });
      t.clock.advance(1_000);
      await append('access.step.applied', 'rg/a', { driftKey: 'k1' });
      await append('access.step.applied', 'rg/a', { driftKey: 'not asked' });
      await append('access.step.applied', 'rg/a', { no: 'drift key' });
      const read = async (driftKeys: string[]) =>
        (
          await t.store.audit.driftReverts({
            target: 'rg/a',
            action: 'access.step.applied',
            since: '2026-06-01T12:00:30.000Z',
            driftKeys,
          })
        )
          .map((r) => `${r.driftKey}@${r.at.slice(11, 19)}`)
          .sort();
      assert.deepEqual(await read(['k1', 'k2', 'k1']), ['k1@12:01:00', 'k1@12:01:01', 'k2@12:01:00']);
      assert.deepEqual(await read(['k1']), ['k1@12:01:00', 'k1@12:01:01']);
      assert.deepEqual(await read([]), []);
      assert.deepEqual(await read(['unknown']), []);
      // The read (the statement the store sends, as Kysely renders it for SQLite) seeks the asked keys through the
      // (action, drift key, at) expression index.
      const plan = (
        t
          .raw()
          .prepare(
            `EXPLAIN QUERY PLAN select "at", json_extract("after", '$.driftKey') as "drift_key" from "audit_log" ` +
              `where "action" = ? and json_extract("after", '$.driftKey') in (?, ?) and "at" >= ? and "target" = ?`,
          )
          .all('access.step.applied', 'k1', 'k2', '2026-06-01T12:00:30.000Z', 'rg/a') as { detail: string }[]
      )
        .map((r) => r.detail)
        .join('; ');
      assert.match(plan, /USING INDEX audit_log_drift \(action=\? AND <expr>=\? AND at>\?\)/, plan);
    } finally {
      await t.cleanup();
    }
  });
});

describe('concurrent appends form one chain', () => {
  const t = tempStore('warden-audit-concurrent-');
  after(() => t.cleanup());

  test('two connections in one process, interleaved', async () => {
    const other = t.open();
    const append = (store: typeof other, name: string, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          store.audit.append({ actor: name, action: 'test', target: `${name}/${i}` }),
        ),
      );
    await Promise.all([
      append(t.store, 'one', 40),
      append(other, 'two', 40),
      t.store.models.upsert({ ...sampleModel }, { actor: 'three' }),
    ]);
    const verdict = await t.store.audit.verify();
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.entries, 81);
  });

  test('two processes appending at the same time', async () => {
    const worker = path.join(__dirname, 'append-worker.js');
    const run = (name: string) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(worker, [t.file, name, '60'], {
          execArgv: ['--no-warnings'],
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        });
        let stderr = '';
        child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`worker ${name} exited ${code}: ${stderr}`)),
        );
      });
    const before = (await t.store.audit.head())?.seq ?? 0;
    await Promise.all([
      run('proc-a'),
      run('proc-b'),
      t.store.audit.append({ actor: 'parent', action: 'test', target: 'p' }),
    ]);
    const verdict = await t.store.audit.verify();
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.entries, before + 121);
    const entries = await t.store.audit.list({ fromSeq: before + 1, limit: 200 });
    assert.equal(entries.filter((e) => e.actor === 'proc-a').length, 60);
    assert.equal(entries.filter((e) => e.actor === 'proc-b').length, 60);
    assert.equal(new Set(entries.map((e) => e.prev_hash)).size, entries.length, 'no two entries share a predecessor');
  });
});

const sampleModel = {
  id: 'm-1',
  name: 'fraud-detector',
  model_version: '3',
  endpoint:
    '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud/onlineEndpoints/fraud-scoring',
  deployment: 'blue',
  stage: 'Production' as const,
  owner: '95d764b4-de42-46a3-bb72-8b382714c04a',
};
