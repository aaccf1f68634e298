// Pure pieces of the durable engine: client binding JSON, API formatting and validation, retry delays, signatures,
// the timer heap and the store's paging.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { durableClientData, INSTANCE_ID_PLACEHOLDER } from '../../../../runtime/durable/client-binding';
import { apiTime, historyForApi, HttpError, validInstanceId } from '../../../../runtime/durable/durable-http-api';
import { DurableStore, type InstanceRow } from '../../../../runtime/durable/durable-store';
import {
  actionSignature,
  decodeActionInput,
  describeSignature,
  retryDelayMs,
} from '../../../../runtime/durable/library-internals';
import { MinHeap } from '../../../../runtime/durable/min-heap';

test('the durableClient binding JSON has what the library checks, with rpcBaseUrl ending in /', () => {
  const d = durableClientData('http://127.0.0.1:5000', 'Hub');
  assert.equal(d.taskHubName, 'Hub');
  assert.equal(d.rpcBaseUrl, 'http://127.0.0.1:5000/runtime/webhooks/durabletask/');
  assert.equal(d.managementUrls.id, INSTANCE_ID_PLACEHOLDER);
  assert.ok(d.managementUrls.statusQueryGetUri!.includes(`/instances/${INSTANCE_ID_PLACEHOLDER}?taskHub=Hub`));
  assert.ok(d.creationUrls.createNewInstancePostUri.includes('{functionName}[/{instanceId}]'));
});

test('instance ids: control characters, route characters, @ and over-long ids are refused', () => {
  for (const ok of ['abc', 'a-b_c.d:e', 'x'.repeat(256), 'with space']) validInstanceId(ok);
  for (const bad of ['', 'a/b', 'a#b', 'a?b', 'a\\b', 'a\u0001b', '@counter@k', 'x'.repeat(257)]) {
    assert.throws(
      () => validInstanceId(bad),
      (e: unknown) => e instanceof HttpError && e.status === 400,
      bad,
    );
  }
});

test('API times are whole seconds with Z', () => {
  assert.equal(apiTime(Date.parse('2024-01-02T03:04:05.678Z')), '2024-01-02T03:04:05Z');
});

test('history for the API: string event types, scheduled events merged, output only on request', () => {
  const events = [
    { EventType: 12, EventId: -1, IsPlayed: true, Timestamp: 't0' },
    { EventType: 0, EventId: -1, IsPlayed: true, Timestamp: 't0', Name: 'Orch', Input: '1' },
    { EventType: 4, EventId: 0, IsPlayed: true, Timestamp: 't1', Name: 'Act', Input: '"x"' },
    { EventType: 13, EventId: -1, IsPlayed: true, Timestamp: 't1' },
    { EventType: 5, EventId: -1, IsPlayed: true, Timestamp: 't2', TaskScheduledId: 0, Result: '"y"' },
    { EventType: 11, EventId: -1, IsPlayed: true, Timestamp: 't3', TimerId: 1, FireAt: 't3' },
  ];
  const plain = historyForApi(events, false, false);
  assert.deepEqual(
    plain.map((e) => e.EventType),
    ['ExecutionStarted', 'TaskCompleted', 'TimerFired'],
  );
  assert.equal(plain[0]!.FunctionName, 'Orch');
  assert.equal(plain[0]!.Input, undefined);
  assert.equal(plain[1]!.FunctionName, 'Act');
  assert.equal(plain[1]!.ScheduledTime, 't1');
  assert.equal(plain[1]!.Result, undefined);
  assert.equal(plain[2]!.TimerId, undefined);
  assert.equal(historyForApi(events, true, true)[1]!.Result, '"y"');
});

test('retry delays follow DTFx: first × coefficient^(k-1), capped by the max interval', () => {
  const o = { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 5, backoffCoefficient: 2 };
  assert.deepEqual(
    [1, 2, 3, 4].map((k) => retryDelayMs(o, k)),
    [100, 200, 400, 800],
  );
  assert.equal(retryDelayMs({ ...o, maxRetryIntervalInMilliseconds: 300 }, 4), 300);
  assert.equal(retryDelayMs({ firstRetryIntervalInMilliseconds: 50, maxNumberOfAttempts: 2 }, 3), 50);
});

test('action signatures compare type and name, recursively', () => {
  const a = { actionType: 12, compoundActions: [{ actionType: 0, functionName: 'A' }, { actionType: 5 }] };
  assert.equal(actionSignature(a), '12[0:A,5:]');
  assert.notEqual(
    actionSignature({ actionType: 0, functionName: 'A' }),
    actionSignature({ actionType: 0, functionName: 'B' }),
  );
  assert.equal(describeSignature('0:Hello'), "CallActivity 'Hello'");
  assert.equal(describeSignature(undefined), 'nothing');
  assert.equal(decodeActionInput('"Tokyo"'), 'Tokyo');
  assert.deepEqual(decodeActionInput({ a: 1 }), { a: 1 });
});

test('the timer heap pops in due order', () => {
  const h = new MinHeap<number>();
  const keys = [50, 10, 40, 10, 30, 20, 60, 0];
  keys.forEach((k) => h.push(k, k));
  const out: number[] = [];
  while (h.size) out.push(h.pop()!);
  assert.deepEqual(
    out,
    [...keys].sort((x, y) => x - y),
  );
});

test('the store pages instances by (createdTime, id) and updates rows in place', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-durable-store-'));
  const store = new DurableStore(path.join(dir, 'd.sqlite'));
  try {
    const row = (id: string, created: number): InstanceRow => ({
      id,
      name: 'O',
      version: null,
      execution_id: 'e',
      status: 'Completed',
      input: null,
      output: '1',
      custom_status: null,
      created_at: created,
      updated_at: created,
      parent_id: null,
      parent_execution_id: null,
      parent_seq: null,
      next_seq: 0,
      action_sig: '[]',
      generation: 0,
      episodes: 0,
    });
    store.begin();
    for (let i = 0; i < 25; i++) store.upsertInstance(row(`i${String(i).padStart(2, '0')}`, 1000 + (i % 5)));
    store.commit();
    const seen: string[] = [];
    let after: { createdAt: number; id: string } | undefined;
    for (;;) {
      const page = store.list({ limit: 10, ...(after ? { after } : {}) });
      seen.push(...page.map((r) => r.id));
      if (page.length < 10) break;
      const last = page[page.length - 1]!;
      after = { createdAt: last.created_at, id: last.id };
    }
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25);
    store.begin();
    store.updateInstance({ ...row('i00', 1000), status: 'Running', output: null });
    store.commit();
    assert.equal(store.getInstance('i00')?.status, 'Running');
    assert.deepEqual(store.countByStatus(), { Completed: 24, Running: 1 });
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
