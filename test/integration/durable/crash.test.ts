// Crash test: 300 orchestrations, kill -9 of the runtime mid-run, restart on the same state: every acknowledged
// start completes with the right output, and no completion is applied twice.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { Client, DurableTestEnv, waitFor } from './support/durable-runtime';

const env = new DurableTestEnv();
after(() => env.cleanup());

const COUNT = 300;

test('300 orchestrations survive a kill -9 mid-run', async () => {
  let rt = await env.start({ DURABLE_TEST_ACTIVITIES: '4' });
  let client = new Client(rt);
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, COUNT - i) }, (_, k) => client.start('CrashWork', i + k, `crash-${i + k}`)),
    );
    ids.push(...batch.map((b) => b.id));
  }
  assert.equal(ids.length, COUNT);
  const counts = async (): Promise<Record<string, number>> =>
    ((await client.admin('instances?top=1')).json as { counts: Record<string, number> }).counts;
  await waitFor('some progress', async () => ((await counts()).Completed ?? 0) >= 1 || undefined);
  const before = await counts();
  await rt.kill9();
  assert.ok((before.Completed ?? 0) < COUNT, `killed mid-run (${JSON.stringify(before)})`);

  rt = await env.start({ DURABLE_TEST_ACTIVITIES: '16' });
  client = new Client(rt);
  await waitFor('all complete', async () => ((await counts()).Completed === COUNT ? true : undefined), 120_000);
  for (let n = 0; n < COUNT; n++) {
    const r = await client.admin(`instances/crash-${n}/history`);
    const body = r.json as { runtimeStatus: string; output: unknown; history: Record<string, unknown>[] };
    assert.equal(body.runtimeStatus, 'Completed', `crash-${n}`);
    assert.deepEqual(body.output, { n, a: n * 10, b: n * 100, sum: 20 * n + 30 });
    const done = body.history.filter((e) => e.EventType === 5).map((e) => e.TaskScheduledId);
    assert.deepEqual(
      [...done].sort(),
      [0, 1, 2, 3],
      `crash-${n}: each activity result applied exactly once (${JSON.stringify(done)})`,
    );
    assert.equal(body.history.filter((e) => e.EventType === 1).length, 1, `crash-${n}: one ExecutionCompleted`);
    assert.equal(body.history.filter((e) => e.EventType === 0).length, 1, `crash-${n}: one ExecutionStarted`);
  }
  await rt.stop();
});
