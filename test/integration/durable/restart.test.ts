// Durability across restarts: a timer persisted and fired after a restart, a renamed activity detected as
// non-determinism after a "redeploy", and entities refused at start-up.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { Client, DurableTestEnv, waitFor } from './support/durable-runtime';

const env = new DurableTestEnv();
after(() => env.cleanup());

const historyOf = async (client: Client, id: string): Promise<Record<string, unknown>[]> => {
  const r = await client.admin(`instances/${encodeURIComponent(id)}/history`);
  return (r.json as { history: Record<string, unknown>[] }).history;
};

test('a durable timer survives a kill -9 and fires after the restart', async () => {
  let rt = await env.start();
  let client = new Client(rt);
  const { id } = await client.start('Timer', { ms: 2 * 3_600_000 });
  await waitFor('timer persisted', async () =>
    (await historyOf(client, id)).some((e) => e.EventType === 10) ? true : undefined,
  );
  await rt.kill9();
  env.clock.advance(2 * 3_600_000 + 1000); // time passes while the runtime is down
  rt = await env.start();
  client = new Client(rt);
  const s = await client.waitStatus(id);
  assert.equal(s.runtimeStatus, 'Completed');
  assert.ok((s.output as { waitedAtLeast: number }).waitedAtLeast >= 2 * 3_600_000);
  await rt.stop();
});

test('a renamed activity after a redeploy fails the instance with a non-determinism error', async () => {
  let rt = await env.start();
  let client = new Client(rt);
  const { id } = await client.start('Renamed');
  await waitFor('waiting for Continue', async () =>
    (await historyOf(client, id)).some((e) => e.EventType === 5) ? true : undefined,
  );
  await rt.stop();
  rt = await env.start({ DURABLE_APP_VARIANT: '2' });
  client = new Client(rt);
  await client.op('raise', { id, event: 'Continue', data: null });
  const s = await client.waitStatus(id);
  assert.equal(s.runtimeStatus, 'Failed');
  assert.match(
    String(s.output),
    /^Non-Deterministic workflow detected: .*CallActivity 'Hello'.*CallActivity 'HelloRenamed'/s,
  );
  await rt.stop();
});

test('registering a durable entity fails start-up with a clear message', async () => {
  await assert.rejects(env.start({ DURABLE_APP_ENTITY: '1' }), /Counter.*durable entities are not supported/);
});
