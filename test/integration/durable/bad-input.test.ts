// Bad input to the durable HTTP API: clear 4xx answers, and none of them touches stored state.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client, type DurableRuntime, DurableTestEnv } from './support/durable-runtime';

const env = new DurableTestEnv();
let rt: DurableRuntime;
let client: Client;
let completedId: string;

before(async () => {
  rt = await env.start();
  client = new Client(rt);
  completedId = (await client.start('HelloCities')).id;
  await client.waitStatus(completedId);
});
after(async () => {
  await rt?.stop().catch(() => undefined);
  await env.cleanup();
});

const snapshot = async (): Promise<unknown> => {
  const r = await client.admin('instances?top=100000');
  const j = r.json as { counts: unknown; instances: { instanceId: string; lastUpdatedTime: string }[] };
  return { counts: j.counts, instances: j.instances.map((i) => [i.instanceId, i.lastUpdatedTime]) };
};

test('unknown orchestrator → 400 naming the ones that exist', async () => {
  const before = await snapshot();
  const r = await client.webhook('POST', 'orchestrators/NoSuchOrchestrator', '');
  assert.equal(r.status, 400);
  assert.match(r.text, /The function 'NoSuchOrchestrator' doesn't exist/);
  assert.match(r.text, /'HelloCities'/);
  assert.match(r.text, /'Timer'/);
  const viaClient = await client.start('NoSuchOrchestrator').catch((e: Error) => e);
  assert.ok(viaClient instanceof Error);
  assert.deepEqual(await snapshot(), before);
});

test('malformed instance ids, event names and bodies → 400', async () => {
  const before = await snapshot();
  const cases: [string, string, unknown, number][] = [
    ['POST', 'orchestrators/HelloCities/bad%23id', '', 400],
    ['POST', 'orchestrators/HelloCities/bad%01id', '', 400],
    ['POST', `orchestrators/HelloCities/${'x'.repeat(300)}`, '', 400],
    ['POST', 'orchestrators/HelloCities/%40entity', '', 400],
    ['POST', 'orchestrators/HelloCities/ok-id', '{not json', 400],
    ['POST', `instances/${completedId}/raiseEvent/bad%01name`, '{}', 400],
    ['POST', `instances/${completedId}/raiseEvent/${'e'.repeat(300)}`, '{}', 400],
    ['POST', `instances/${completedId}/raiseEvent/ok`, '{nope', 400],
    ['GET', 'instances/?runtimeStatus=Bogus', undefined, 400],
    ['GET', 'instances/?createdTimeFrom=yesterday', undefined, 400],
    ['GET', `instances/${completedId}?showHistory=maybe`, undefined, 400],
    ['DELETE', 'instances/', undefined, 400],
  ];
  for (const [method, p, body, status] of cases) {
    const r = await client.webhook(method, p, body);
    assert.equal(r.status, status, `${method} ${p.slice(0, 60)} → ${r.status} ${r.text.slice(0, 200)}`);
  }
  const textBody = await client.webhook('POST', `instances/${completedId}/raiseEvent/ok`, 'plain', {
    'content-type': 'text/plain',
  });
  assert.equal(textBody.status, 400);
  assert.deepEqual(await snapshot(), before);
});

test('raise event on a completed instance → 410, on an unknown one → 404', async () => {
  const before = await snapshot();
  assert.equal((await client.webhook('POST', `instances/${completedId}/raiseEvent/Approval`, '1')).status, 410);
  assert.equal((await client.webhook('POST', 'instances/nobody-home/raiseEvent/Approval', '1')).status, 404);
  assert.equal((await client.webhook('POST', 'instances/nobody-home/terminate?reason=x')).status, 404);
  assert.equal((await client.webhook('GET', 'instances/nobody-home')).status, 404);
  assert.equal((await client.webhook('DELETE', 'instances/nobody-home')).status, 404);
  const viaClient = await client.op('raise', { id: 'nobody-home', event: 'Approval', data: 1 });
  assert.equal(viaClient.status, 500);
  assert.match(String(viaClient.error), /No instance with ID/);
  assert.deepEqual(await snapshot(), before);
});

test('oversized input → 413', async () => {
  const before = await snapshot();
  const big = JSON.stringify({ blob: 'x'.repeat(70 * 1024) });
  assert.equal((await client.webhook('POST', 'orchestrators/HelloCities/too-big', big)).status, 413);
  const running = await client.start('WaitForever');
  const afterStart = await snapshot();
  assert.equal((await client.webhook('POST', `instances/${running.id}/raiseEvent/Go`, big)).status, 413);
  assert.deepEqual(await snapshot(), afterStart);
  assert.notDeepEqual(afterStart, before);
  assert.equal((await client.status(running.id)).runtimeStatus, 'Running');
});
