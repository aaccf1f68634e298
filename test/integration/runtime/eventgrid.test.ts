import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { readEventFixture, startTestRuntime, type TestRuntime } from './startup-fixture';

interface Recorded {
  functionName: string;
  invocationId: string;
  event: Record<string, unknown>;
  triggerMetadata: Record<string, unknown>;
}

function recorded(): Recorded[] {
  return (globalThis as unknown as { __runtimeApp: { events: Recorded[] } }).__runtimeApp.events;
}

describe('Event Grid trigger through the runtime', () => {
  let rt: TestRuntime;
  let key: string;
  before(async () => {
    rt = await startTestRuntime({ env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '65536' } });
    key = rt.keys.snapshot().systemKeys.eventgrid_extension ?? '';
    assert.ok(key.length > 20);
  });
  after(async () => {
    await rt.stop();
  });
  const webhook = (functionName = 'onEvent', code: string | null = key): string =>
    `${rt.baseUrl}/runtime/webhooks/eventgrid?functionName=${functionName}${code === null ? '' : `&code=${code}`}`;
  const post = (
    body: unknown,
    headers: Record<string, string> = { 'aeg-event-type': 'Notification' },
    target = webhook(),
  ) =>
    fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('an Event Grid schema batch (ResourceWriteSuccess) is delivered: 202, the event as sent, trigger metadata', async () => {
    recorded().length = 0;
    const events = readEventFixture('resource-write-success.json') as Record<string, unknown>[];
    const res = await post(events);
    assert.equal(res.status, 202);
    assert.equal(recorded().length, 1);
    const got = recorded()[0] as Recorded;
    assert.deepEqual(got.event, events[0]);
    assert.equal(got.functionName, 'onEvent');
    const meta = got.triggerMetadata;
    assert.equal((meta.data as { resourceProvider: string }).resourceProvider, 'Microsoft.Storage');
    assert.equal((meta.sys as { methodName: string }).methodName, 'onEvent');
    assert.ok(typeof (meta.sys as { utcNow: string }).utcNow === 'string');
  });

  test('Key Vault SecretNearExpiry keeps its PascalCase data in the event (the worker camel-cases only metadata)', async () => {
    recorded().length = 0;
    const events = readEventFixture('key-vault-secret-near-expiry.json') as Record<string, unknown>[];
    assert.equal((await post(events, { 'aeg-event-type': 'Notification' }, webhook('onevent'))).status, 202);
    const got = recorded()[0] as Recorded;
    assert.equal((got.event.data as { VaultName: string }).VaultName, '{key-vault-name}');
    assert.equal((got.triggerMetadata.data as { vaultName: string }).vaultName, '{key-vault-name}');
  });

  test('a single CloudEvent and a CloudEvents batch: one invocation per event, concurrently', async () => {
    recorded().length = 0;
    const single = readEventFixture('key-vault-secret-near-expiry.cloudevent.json');
    assert.equal(
      (await post(single, { 'aeg-event-type': 'Notification', 'content-type': 'application/cloudevents+json' })).status,
      202,
    );
    const batch = readEventFixture('storage-blob-created.cloudevents-batch.json') as Record<string, unknown>[];
    assert.equal(
      (await post(batch, { 'aeg-event-type': 'Notification', 'content-type': 'application/cloudevents-batch+json' }))
        .status,
      202,
    );
    assert.deepEqual(
      recorded().map((r) => r.event.id),
      ['00eccf70-95a7-4e7c-8299-2eb17ee9ad64', ...batch.map((e) => e.id)],
    );
    const ids = new Set(recorded().map((r) => r.invocationId));
    assert.equal(ids.size, 3);
  });

  test('the batch is invoked concurrently: a failing event makes the delivery 500, the others still ran', async () => {
    recorded().length = 0;
    const events = [1, 2, 3].map((n) => ({
      id: `e${n}`,
      subject: 's',
      eventType: 'Test.Event',
      eventTime: '2024-01-01T00:00:00Z',
      data: { n, fail: n === 2 },
      dataVersion: '1',
    }));
    const res = await post(events);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /event handler failed on purpose/);
    assert.equal(recorded().length, 3);
  });

  test('SubscriptionValidation handshake: 200 with validationResponse, no invocation', async () => {
    recorded().length = 0;
    const res = await post(readEventFixture('subscription-validation.json'), {
      'aeg-event-type': 'SubscriptionValidation',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    assert.equal(recorded().length, 0);
    // CloudEvents flavour: data double-encoded.
    const ce = await post(
      {
        specversion: '1.0',
        id: 'v',
        source: 's',
        type: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        data: JSON.stringify({ validationCode: 'abc' }),
      },
      { 'aeg-event-type': 'SubscriptionValidation' },
    );
    assert.deepEqual(await ce.json(), { validationResponse: 'abc' });
  });

  test('CloudEvents abuse-protection OPTIONS handshake echoes the origin', async () => {
    const res = await fetch(webhook(), {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('webhook-allowed-origin'), 'eventgrid.azure.net');
    assert.equal((await fetch(webhook(), { method: 'OPTIONS' })).status, 400);
  });

  test('Unsubscribe is acknowledged with 202', async () => {
    assert.equal((await post([], { 'aeg-event-type': 'Unsubscribe' })).status, 202);
  });

  test('bad input: missing/unknown aeg-event-type 400, non-JSON 400, wrong schema 400, unknown function 404', async () => {
    recorded().length = 0;
    const event = readEventFixture('resource-write-success.json');
    const missing = await post(event, {});
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /aeg-event-type/);
    assert.equal((await post(event, { 'aeg-event-type': 'Bogus' })).status, 400);
    assert.equal(
      (await post(event, { 'aeg-event-type': 'notification' })).status,
      202,
      'the header is case-insensitive',
    );
    recorded().length = 0;
    const notJson = await post('{"id": ', { 'aeg-event-type': 'Notification' });
    assert.equal(notJson.status, 400);
    assert.match(await notJson.text(), /not valid JSON/);
    const wrong = await post([{ hello: 'world' }]);
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /neither an Event Grid event/);
    assert.equal((await post(['text'])).status, 400);
    const unknown = await post(event, { 'aeg-event-type': 'Notification' }, webhook('nope'));
    assert.equal(unknown.status, 404);
    assert.equal(await unknown.text(), "cannot find function: 'nope'");
    assert.equal((await post(event, { 'aeg-event-type': 'Notification' }, webhook('echo'))).status, 404);
    assert.equal(recorded().length, 0);
  });

  test('keys: none or a wrong one → 401; the master key and x-functions-key work', async () => {
    const event = readEventFixture('resource-write-success.json');
    assert.equal((await post(event, { 'aeg-event-type': 'Notification' }, webhook('onEvent', null))).status, 401);
    assert.equal((await post(event, { 'aeg-event-type': 'Notification' }, webhook('onEvent', 'wrong'))).status, 401);
    assert.equal(
      (await post(event, { 'aeg-event-type': 'Notification' }, webhook('onEvent', rt.keys.masterKey))).status,
      202,
    );
    assert.equal(
      (await post(event, { 'aeg-event-type': 'Notification', 'x-functions-key': key }, webhook('onEvent', null)))
        .status,
      202,
    );
  });

  test('an oversized delivery is a 413 and the runtime keeps serving', async () => {
    recorded().length = 0;
    const big = [
      { id: 'big', subject: 's', eventType: 'T', eventTime: '2024-01-01T00:00:00Z', data: 'x'.repeat(70_000) },
    ];
    const res = await post(big);
    assert.equal(res.status, 413);
    assert.match(await res.text(), /larger than the limit/);
    assert.equal(recorded().length, 0);
    assert.equal((await post(readEventFixture('resource-write-success.json'))).status, 202);
  });
});
