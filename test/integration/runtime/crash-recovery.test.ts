import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { SharedClock } from '../../../runtime/clock/shared-clock';
import {
  adminCall,
  type AppRecord,
  createMetadataDb,
  eventually,
  makeTriggersApp,
  readRecords,
  TRIGGERS_APP_MAIN,
} from '../../fixtures/apps/triggers-app/test-support/harness';

/** The runtime's command line, compiled next to this test. */
const MAIN = path.resolve(__dirname, '../../../runtime/main.js');

const app = makeTriggersApp({ values: { WARDEN_SERVICEBUS_LOCK_DURATION: '00:00:02' } });
const children: ChildProcess[] = [];

after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  app.cleanup();
});

interface Child {
  process: ChildProcess;
  baseUrl: string;
  output: () => string;
}

/** The test's environment without WARDEN_* variables, so local.settings.json alone configures the child. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WARDEN_')) env[k] = v;
  return { ...env, WARDEN_LOG_LEVEL: 'info' };
}

/** Starts the runtime CLI as a child process and waits until it listens. */
async function startChild(): Promise<Child> {
  const child = spawn(
    process.execPath,
    [MAIN, '--app', app.appDir, '--main', TRIGGERS_APP_MAIN, '--port', '0', '--state-dir', app.stateDir],
    { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() },
  );
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  let baseUrl: string | undefined;
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`the runtime exited early:\n${out.slice(-4000)}`);
      baseUrl = /listening on (http:\/\/\S+?) /.exec(out)?.[1];
      return baseUrl !== undefined;
    },
    'the runtime to listen',
    30_000,
  );
  return { process: child, baseUrl: baseUrl!, output: () => out };
}

function masterKey(): string {
  return (JSON.parse(readFileSync(path.join(app.stateDir, 'keys.json'), 'utf8')) as { masterKey: string }).masterKey;
}

const commands = (filter: (r: AppRecord) => boolean) =>
  readRecords(app.logFile).filter((r) => r.fn === 'commands' && filter(r));

test('after kill -9 while handlers run, a restart loses nothing acknowledged: messages, SQL changes, timer occurrences', async () => {
  const db = createMetadataDb(app.dbFile);
  try {
    const first = await startChild();
    const key = masterKey();
    const ids = Array.from({ length: 12 }, (_, i) => `k-${i}`);
    for (const id of ids) {
      const r = await adminCall(first.baseUrl, key, 'POST', '/admin/servicebus/commands/messages', {
        body: { id, sleepMs: 2500 },
      });
      assert.equal(r.status, 201, 'acknowledged');
    }
    db.exec(
      `INSERT INTO access_policies (id, principal, role) VALUES ('before-1', 'a', 'Reader'), ('before-2', 'b', 'Reader')`,
    );
    await eventually(() => commands((r) => r.phase === 'start').length >= 4, 'handlers running', 20_000);
    db.exec(`INSERT INTO access_policies (id, principal, role) VALUES ('at-crash', 'c', 'Reader')`);
    const firstPid = first.process.pid;
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));
    const inFlightAtCrash = new Set(
      commands((r) => r.pid === firstPid && r.phase === 'start').map((r) => String(r.id)),
    );
    for (const done of commands((r) => r.pid === firstPid && r.phase === 'done'))
      inFlightAtCrash.delete(String(done.id));
    assert.ok(inFlightAtCrash.size > 0, 'some handlers were running when the process died');

    // Time passes while the runtime is down: the hourly timer misses an occurrence.
    new SharedClock(app.clockFile, true).advance(2 * 3_600_000);
    db.exec(`INSERT INTO access_policies (id, principal, role) VALUES ('while-down', 'd', 'Reader')`);

    const second = await startChild();
    const secondPid = second.process.pid;
    await eventually(
      () => ids.every((id) => commands((r) => r.id === id && r.phase === 'done').length > 0),
      'every acknowledged message to be processed',
      40_000,
    );
    for (const id of inFlightAtCrash) {
      const redelivered = commands((r) => r.id === id && r.pid === secondPid && r.phase === 'start');
      assert.ok(redelivered.length > 0, `${id} was redelivered after the crash`);
      assert.ok(Number(redelivered[0]?.deliveryCount) >= 2, `${id} counts the delivery that died with the process`);
    }
    await eventually(
      () => {
        const audited = new Set(
          readRecords(app.logFile)
            .filter((r) => r.fn === 'audit')
            .map((r) => (r.message as { audited: string }).audited),
        );
        return ids.every((id) => audited.has(id));
      },
      'every output-binding message to be consumed',
      20_000,
    );
    const delivered = () =>
      new Set(
        readRecords(app.logFile)
          .filter((r) => r.fn === 'accessPoliciesChanged')
          .flatMap((r) => (r.changes as { Item: { id: string } }[]).map((c) => c.Item.id)),
      );
    await eventually(
      () => ['before-1', 'before-2', 'at-crash', 'while-down'].every((id) => delivered().has(id)),
      'every committed metadata change to reach app.sql',
      20_000,
    );
    await eventually(
      () => readRecords(app.logFile).some((r) => r.fn === 'sweep' && r.pid === secondPid && r.isPastDue === true),
      'the timer occurrence missed while down to run at start-up',
      20_000,
    );
    await eventually(async () => {
      const q = await adminCall(second.baseUrl, key, 'GET', '/admin/servicebus/queues');
      const entities = q.json.entities as {
        name: string;
        activeMessageCount: number;
        lockedMessageCount: number;
        deadLetterMessageCount: number;
      }[];
      return entities
        .filter((e) => e.name === 'commands' || e.name === 'audit')
        .every((e) => e.activeMessageCount === 0 && e.lockedMessageCount === 0 && e.deadLetterMessageCount === 0);
    }, 'the queues to drain');

    // A graceful stop exits cleanly.
    second.process.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => second.process.once('exit', (c) => resolve(c)));
    assert.equal(code, 0, second.output().slice(-2000));
  } finally {
    db.close();
  }
});
