// End to end: commands on the `warden-commands` queue of the local runtime's broker (enqueued through its admin API,
// as built by the documented @azure/service-bus example), processed by the real app (functions/index.ts) against
// the emulator: session order, poison messages, and dead-lettering after the max delivery count.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { freePort, type NodeChild } from '../../../lib/node-child';
import { openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { enforceNetworkInstanceId, reconcileAccessInstanceId } from '../../../shared/orchestrations/catalog';
import { startAppRuntime } from '../../support/app-runtime';
import { waitUntil } from '../../support/e2e-wait';
import { commandMessage, type WardenCommand } from './enqueue-command.example';

const SUB = '748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-fraud-ml`;
const RAW = `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
const MAX_DELIVERY_COUNT = 3;

interface AuditRow {
  seq: number;
  actor: string;
  action: string;
  target: string;
  after: string | null;
}

interface EntityCounts {
  name: string;
  requiresSession: boolean;
  activeMessageCount: number;
  lockedMessageCount: number;
  deadLetterMessageCount: number;
}

describe('Service Bus commands end to end: the runtime broker, the real app, the emulator', () => {
  const root = findRepoRoot(__dirname);
  const build = path.resolve(__dirname, '..', '..', '..');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-commands-e2e-'));
  const db = path.join(tmp, 'metadata.db');
  let emulator: RunningEmulator;
  let runtime: NodeChild | undefined;
  let base = '';
  let masterKey = '';
  let output: string[] = [];
  let metadata: DatabaseSync;

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      stateDir: path.join(tmp, 'emulator'),
      world: path.join(root, 'demo', 'world.json'),
      pollIntervalMs: 50,
      deferDrifts: true,
      log: () => undefined,
    });
    const store = openSqliteMetadataStore({ file: db });
    await seedDemoWorld(store, JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')));
    await store.close();

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const stateDir = path.join(tmp, 'runtime');
    runtime = await startAppRuntime({
      emulator,
      root,
      build,
      port,
      stateDir,
      noSettingsFile: path.join(tmp, 'no-local-settings.json'),
      metadataDb: db,
      taskHub: 'wardencommandse2e',
      env: {
        WARDEN_HOST_OVERRIDES: JSON.stringify(emulator.endpoints.origins),
        WARDEN_API_AUDIENCES: 'api://warden',
        // Notifications through a Service Bus topic output binding (the local broker's), from every function kind
        // that notifies — the command trigger, the rotation's activities, the remediation activities.
        WARDEN_NOTIFIER: 'servicebus',
        WARDEN_SERVICEBUS__fullyQualifiedNamespace: 'local.servicebus.windows.net',
        WARDEN_CLOCK_FILE: path.join(tmp, 'clock.json'),
        // The queue's MaxDeliveryCount (Azure: an entity property; the local broker: this setting).
        WARDEN_SERVICEBUS_MAX_DELIVERY_COUNT: String(MAX_DELIVERY_COUNT),
      },
    });
    output = runtime.output;
    masterKey = (JSON.parse(readFileSync(path.join(stateDir, 'keys.json'), 'utf8')) as { masterKey: string }).masterKey;
    metadata = new DatabaseSync(db, { readOnly: true });
  });

  after(async () => {
    if (process.env.WARDEN_E2E_LOG)
      (await import('node:fs')).writeFileSync(process.env.WARDEN_E2E_LOG, output.join(''));
    metadata?.close();
    await runtime?.stop();
    await emulator?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function admin(method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { 'x-functions-key': masterKey, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : {} };
  }

  /** Enqueues through the admin API the message the documented @azure/service-bus example builds. */
  async function send(command: WardenCommand, messageId: string, scheduledEnqueueTime?: string): Promise<unknown> {
    const m = commandMessage(command, messageId);
    const r = await admin('POST', '/admin/servicebus/warden-commands/messages', {
      body: m.body as unknown,
      messageId: m.messageId,
      sessionId: m.sessionId,
      contentType: m.contentType,
      ...(m.correlationId ? { correlationId: m.correlationId } : {}),
      applicationProperties: m.applicationProperties,
      ...(scheduledEnqueueTime ? { scheduledEnqueueTime } : {}),
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return (r.json as { scheduled?: unknown }).scheduled;
  }

  async function queue(): Promise<EntityCounts> {
    const r = await admin('GET', '/admin/servicebus/queues');
    const q = (r.json as { entities: EntityCounts[] }).entities.find((e) => e.name === 'warden-commands');
    assert.ok(q, 'the trigger declared the queue');
    return q;
  }

  const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000) =>
    waitUntil(what, probe, ms, () => output.join(''));

  const accepted = (target: string): AuditRow[] =>
    metadata
      .prepare(`SELECT * FROM audit_log WHERE action = 'command.accepted' AND target = ? ORDER BY seq`)
      .all(target) as unknown as AuditRow[];
  const poison = (messageId: string): { reason: string; source: string; body: string | null }[] =>
    metadata.prepare('SELECT * FROM poison_messages WHERE message_id = ?').all(messageId) as unknown as {
      reason: string;
      source: string;
      body: string | null;
    }[];

  test('the trigger declared warden-commands as a session queue', async () => {
    const q = await queue();
    assert.equal(q.requiresSession, true);
    const unsessioned = await admin('POST', '/admin/servicebus/warden-commands/messages', {
      body: { command: 'reconcile', scope: RG, requestedBy: 'p' },
    });
    assert.equal(unsessioned.status, 400, 'a message without a SessionId is refused by the broker');
  });

  test('commands for one target are processed in the order sent, each on behalf of its requester', async () => {
    // Two targets interleaved: four reconciles of the scope (one session), three enforcements of the storage account
    // (another session, a hashed SessionId: its id is longer than 128). All become visible at the same moment (one
    // scheduled enqueue time), so without sessions the trigger would run them concurrently (maxConcurrentCalls 16).
    const at = new Date(Date.now() + 1500).toISOString();
    const sent: { target: string; requester: string }[] = [];
    for (let n = 1; n <= 4; n++) {
      assert.equal(
        await send({ command: 'reconcile', scope: RG, requestedBy: `e2e-pipeline-${n}` }, `order-rg-${n}`, at),
        true,
        'held until the common enqueue time',
      );
      sent.push({ target: RG, requester: `e2e-pipeline-${n}` });
      if (n <= 3) {
        await send({ command: 'enforce', resourceId: RAW, requestedBy: `e2e-network-${n}` }, `order-raw-${n}`, at);
        sent.push({ target: RAW, requester: `e2e-network-${n}` });
      }
    }
    await waitFor('every command accepted', () => accepted(RG).length === 4 && accepted(RAW).length === 3);
    for (const target of [RG, RAW]) {
      const rows = accepted(target);
      assert.deepEqual(
        rows.map((r) => r.actor),
        sent.filter((s) => s.target === target).map((s) => `${s.requester} (via warden-commands)`),
        `${target}: audited in the order sent`,
      );
      for (const r of rows) {
        const a = JSON.parse(r.after ?? '{}') as { action: string; instanceId: string; deliveryCount: number };
        assert.ok(['started', 'requeued'].includes(a.action), `start-or-requeue: ${a.action}`);
        assert.equal(a.deliveryCount, 1);
      }
    }
    const instances = (target: string) =>
      new Set(accepted(target).map((r) => (JSON.parse(r.after ?? '{}') as { instanceId: string }).instanceId));
    assert.deepEqual([...instances(RG)], [reconcileAccessInstanceId(RG)], 'the API’s start use case: one instance');
    assert.deepEqual([...instances(RAW)], [enforceNetworkInstanceId(RAW)]);
    // After the last command a run plans the scope again: the coalesced rerun, on behalf of the latest requester — or,
    // when the rerun was raised while the running instance was completing (Durable drops events for a completed
    // instance, on Azure too; docs/commands.md), the next minute's sweep. Never only a run for an earlier requester.
    const lastAccepted = Math.max(...accepted(RG).map((r) => r.seq));
    await waitFor(
      'a run after the last command, on behalf of its requester or the sweep',
      () =>
        metadata
          .prepare(
            `SELECT 1 FROM audit_log WHERE action = 'access.plan' AND target = ? AND seq > ? AND actor IN (?, ?)`,
          )
          .get(RG, lastAccepted, 'e2e-pipeline-4 (via warden-commands)', 'warden (sweep)'),
      130_000,
    );
    const q = await queue();
    assert.equal(q.deadLetterMessageCount, 0);
  });

  test('a dry run plans without starting anything; the plan summary is audited for the requester', async () => {
    await send(
      { command: 'reconcile', scope: RG, requestedBy: 'e2e-planner', dryRun: true, correlationId: 'e2e-dry-1' },
      'e2e-dry-1',
    );
    const row = await waitFor('the dry run accepted', () =>
      accepted(RG).find((r) => r.actor === 'e2e-planner (via warden-commands)'),
    );
    const after = JSON.parse(row.after ?? '{}') as {
      action: string;
      instanceId: string | null;
      plan: { kind: string; target: string; stepCount: number; steps: string[] };
    };
    assert.equal(after.action, 'planned');
    assert.equal(after.instanceId, null);
    assert.equal(after.plan.kind, 'access');
    assert.equal(after.plan.target, RG);
    assert.equal(after.plan.steps.length, Math.min(after.plan.stepCount, 50));
    assert.equal(
      metadata.prepare(`SELECT count(*) AS n FROM audit_log WHERE actor = 'e2e-planner (via warden-commands)'`).get()
        ?.n,
      1,
      'nothing but the command itself is audited for a dry run',
    );
  });

  test('rotate, quarantine and release map onto the rotation and model use cases; an unknown target is poison', async () => {
    const REF = 'sr-databricks-training-token';
    const MODEL = 'm-fraud-detector-3';
    await send({ command: 'rotate', referenceId: REF, requestedBy: 'e2e-rotate-plan', dryRun: true }, 'e2e-rot-dry');
    await send({ command: 'quarantine', modelId: MODEL, requestedBy: 'e2e-q-plan', dryRun: true }, 'e2e-q-dry');
    await send({ command: 'quarantine', modelId: 'm-no-such-model', requestedBy: 'e2e-q' }, 'e2e-q-unknown');
    await send({ command: 'rotate', referenceId: 'sr-no-such-ref', requestedBy: 'e2e-r' }, 'e2e-rot-unknown');
    await send({ command: 'release', modelId: MODEL, requestedBy: 'e2e-rel', dryRun: true }, 'e2e-rel-dry');
    await send({ command: 'rotate', referenceId: REF, requestedBy: 'e2e-rotator' }, 'e2e-rot-start');

    const rotPlan = await waitFor('the rotation dry run', () =>
      accepted(REF).find((r) => r.actor === 'e2e-rotate-plan (via warden-commands)'),
    );
    const rp = JSON.parse(rotPlan.after ?? '{}') as { action: string; plan: { kind: string; steps: string[] } };
    assert.equal(rp.action, 'planned');
    assert.equal(rp.plan.kind, 'rotation');
    assert.ok(rp.plan.steps.length > 1, 'the rotation steps are listed');
    const qPlan = await waitFor('the quarantine dry run', () =>
      accepted(MODEL).find((r) => r.actor === 'e2e-q-plan (via warden-commands)'),
    );
    const qp = JSON.parse(qPlan.after ?? '{}') as { action: string; plan: { kind: string; decision: string } };
    assert.equal(qp.action, 'planned');
    assert.equal(qp.plan.kind, 'quarantine');
    assert.equal(typeof qp.plan.decision, 'string');

    const started = await waitFor('the rotation started', () =>
      accepted(REF).find((r) => r.actor === 'e2e-rotator (via warden-commands)'),
    );
    const sp = JSON.parse(started.after ?? '{}') as { action: string; instanceId: string };
    assert.ok(['started', 'joined'].includes(sp.action), sp.action);
    assert.equal(sp.instanceId, `rotateSecret-${REF}`, 'the same instance the API starts');

    await waitFor('the refusals recorded as poison', () =>
      ['e2e-q-unknown', 'e2e-rot-unknown', 'e2e-rel-dry'].every((id) => poison(id).length > 0),
    );
    assert.match(poison('e2e-q-unknown')[0]!.reason, /^'quarantine' refused: .*m-no-such-model/);
    assert.match(poison('e2e-rot-unknown')[0]!.reason, /^'rotate' refused: .*sr-no-such-ref/);
    assert.match(poison('e2e-rel-dry')[0]!.reason, /^'release' refused: .*no dry run/);
    assert.doesNotMatch(
      poison('e2e-q-dry')
        .map((p) => p.reason)
        .join(''),
      /not available/,
    );
  });

  test("under WARDEN_NOTIFIER=servicebus the runs notify through their functions' output binding: no publish fails", async () => {
    // The rotation started above notifies at every step from its activities; before activities declared the binding,
    // each of those publishes was refused and audited as notification.failed.
    const recorded = await waitFor('the rotation recorded its new version', () =>
      metadata
        .prepare(`SELECT seq FROM audit_log WHERE action = 'secret.rotation.recorded' AND target = ?`)
        .get('secret_references/sr-databricks-training-token'),
    );
    assert.ok(recorded);
    const steps = metadata
      .prepare(`SELECT count(*) AS n FROM audit_log WHERE action LIKE 'secret.rotation.%' AND target = ?`)
      .get('secret_references/sr-databricks-training-token') as { n: number };
    assert.ok(steps.n >= 4, `rotation steps audited (and notified): ${steps.n}`);
    const failed = metadata.prepare(`SELECT target, reason FROM audit_log WHERE action = 'notification.failed'`).all();
    assert.deepEqual(failed, []);
    assert.doesNotMatch(output.join(''), /BUG: a Service Bus notification/);
  });

  test('an invalid message is completed and recorded as poison with its reason, never redelivered', async () => {
    const bad = await admin('POST', '/admin/servicebus/warden-commands/messages', {
      body: '{"command": "reconcile", "scope": ',
      messageId: 'e2e-bad-json',
      sessionId: 'garbage',
    });
    assert.equal(bad.status, 201);
    await send({ command: 'reconcile', scope: RG, requestedBy: 'p', ...{ scopee: 'typo' } }, 'e2e-bad-field');
    const wrongSession = commandMessage({ command: 'reconcile', scope: RG, requestedBy: 'p' }, 'e2e-bad-session');
    await admin('POST', '/admin/servicebus/warden-commands/messages', {
      body: wrongSession.body as unknown,
      messageId: 'e2e-bad-session',
      sessionId: 'some-other-target',
    });
    await waitFor('the poison records', () =>
      ['e2e-bad-json', 'e2e-bad-field', 'e2e-bad-session'].every((id) => poison(id).length > 0),
    );
    assert.match(poison('e2e-bad-json')[0]!.reason, /^the body is not JSON .*\[session "garbage", delivery 1\]$/);
    assert.equal(poison('e2e-bad-json')[0]!.body, '{"command": "reconcile", "scope": ');
    assert.equal(poison('e2e-bad-json')[0]!.source, 'servicebus:warden-commands');
    assert.match(poison('e2e-bad-field')[0]!.reason, /^invalid 'reconcile' command: scopee: is not a known field/);
    assert.match(poison('e2e-bad-session')[0]!.reason, /SessionId "some-other-target" is not the target's session/);
    // Completed: nothing left on the queue, nothing dead-lettered, one delivery each.
    await waitFor('the queue drained', async () => {
      const q = await queue();
      return q.activeMessageCount === 0 && q.lockedMessageCount === 0 ? q : undefined;
    });
    assert.equal((await queue()).deadLetterMessageCount, 0);
    await new Promise((r) => setTimeout(r, 1000));
    for (const id of ['e2e-bad-json', 'e2e-bad-field', 'e2e-bad-session'])
      assert.equal(poison(id).length, 1, `${id} was handled once`);
    assert.equal(accepted(RG).filter((r) => /e2e-bad/.test(r.after ?? '')).length, 0, 'nothing invalid was accepted');
  });

  test('operators read the poison with `warden poison list/get` (the API), reasons shown, a credential redacted', async () => {
    // One more invalid command, carrying a credential by mistake (an unknown field): refused, recorded redacted.
    await send({ command: 'reconcile', scope: RG, requestedBy: 'p', ...{ password: 'hunter2-e2e' } }, 'e2e-bad-secret');
    await waitFor('the poison record', () => poison('e2e-bad-secret').length > 0);
    emulator.emulator.writeEndpointsFile();
    const configDir = path.join(tmp, 'cli-config');
    const warden = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(build, 'cli', 'main.js'), ...args], {
          cwd: tmp,
          env: {
            PATH: process.env.PATH ?? '',
            WARDEN_CONFIG_DIR: configDir,
            WARDEN_EMULATOR_STATE: path.join(tmp, 'emulator'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const login = await warden('login', '--local', '--user', 'ada', '--api', base);
    assert.equal(login.code, 0, login.stderr);
    const list = await warden('poison', 'list', '--source', 'servicebus:warden-commands', '--since', '1h', '--json');
    assert.equal(list.code, 0, list.stderr);
    const items = (
      JSON.parse(list.stdout) as { items: { id: number; message_id: string; reason: string; source: string }[] }
    ).items;
    const byMessage = new Map(items.map((i) => [i.message_id, i]));
    assert.match(byMessage.get('e2e-bad-json')?.reason ?? '', /^the body is not JSON /);
    assert.match(byMessage.get('e2e-bad-field')?.reason ?? '', /scopee: is not a known field/);
    assert.match(byMessage.get('e2e-bad-session')?.reason ?? '', /is not the target's session/);
    assert.ok(items.every((i) => i.source === 'servicebus:warden-commands'));
    assert.deepEqual(
      items.map((i) => i.id),
      [...items.map((i) => i.id)].sort((a, b) => b - a),
      'newest first',
    );
    const secret = byMessage.get('e2e-bad-secret');
    assert.ok(secret, list.stdout);
    const get = await warden('poison', 'get', String(secret.id), '--json');
    assert.equal(get.code, 0, get.stderr);
    const record = JSON.parse(get.stdout) as { body: string; reason: string };
    assert.match(record.reason, /password: is not a known field/);
    assert.equal((JSON.parse(record.body) as { password?: string }).password, '[redacted]');
    assert.ok(!get.stdout.includes('hunter2-e2e') && !list.stdout.includes('hunter2-e2e'));
    const stored = metadata.prepare('SELECT body FROM poison_messages WHERE message_id = ?').get('e2e-bad-secret') as {
      body: string;
    };
    assert.ok(!stored.body.includes('hunter2-e2e'), 'not in the database either');
    const missing = await warden('poison', 'get', '99999999');
    assert.equal(missing.code, 4, missing.stderr);
  });

  test('a message whose handler keeps failing (the metadata store locked) is dead-lettered after the max delivery count', async () => {
    // A real transient failure: another writer holds the metadata database's write lock, so the command's audit
    // entry cannot be written; the handler throws after the store's lock timeout and the broker redelivers.
    const locker = new DatabaseSync(db, { timeout: 10_000 });
    locker.exec('BEGIN IMMEDIATE');
    const command: WardenCommand = { command: 'enforce', resourceId: RAW, requestedBy: 'e2e-locked', dryRun: true };
    try {
      await send(command, 'e2e-transient');
      const dead = await waitFor(
        'the dead letter',
        async () => {
          const r = await admin('GET', '/admin/servicebus/warden-commands/deadletter');
          const list = (
            r.json as { messages: { messageId: string; deadLetterReason: string; deliveryCount: number }[] }
          ).messages;
          return list.find((m) => m.messageId === 'e2e-transient');
        },
        (MAX_DELIVERY_COUNT + 2) * 20_000,
      );
      assert.equal(dead.deadLetterReason, 'MaxDeliveryCountExceeded');
      assert.equal(dead.deliveryCount, MAX_DELIVERY_COUNT);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    // Each delivery failed (the child's log lines may arrive after the admin API answered).
    const failures = () => output.join('').split('servicebus.handler-failed').length - 1;
    // node:sqlite waits for a lock synchronously: writers queued behind the test's lock (sweeps, triggers) hold the
    // runtime's event loop for up to the busy timeout each after it is released, so the log lines can come late.
    await waitFor(`${MAX_DELIVERY_COUNT} handler failures logged`, () => failures() >= MAX_DELIVERY_COUNT, 60_000);
    assert.equal(poison('e2e-transient').length, 0, 'a transient failure is not poison');
    assert.equal(
      accepted(RAW).filter((r) => r.actor === 'e2e-locked (via warden-commands)').length,
      0,
      'nothing was accepted while the store was unavailable',
    );
    const q = await queue();
    assert.equal(q.deadLetterMessageCount, 1);
    assert.equal(q.activeMessageCount + q.lockedMessageCount, 0);
  });
});
