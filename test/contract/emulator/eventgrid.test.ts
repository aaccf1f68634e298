/**
 * Contract: the emulator's Event Grid — custom topics published to with @azure/eventgrid's EventGridPublisherClient
 * (key, SAS and token), the validation handshake, delivery with Event Grid's contract to a loopback webhook,
 * retries, dead-letter, durability across a restart, and ARM resource events compared with Azure's documented
 * example (test/fixtures/emulator/resource-write-success.json).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  AzureKeyCredential,
  AzureSASCredential,
  EventGridPublisherClient,
  generateSharedAccessSignature,
} from '@azure/eventgrid';
import { ClientSecretCredential } from '@azure/identity';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { findRepoRoot } from '../../../lib/find-repo-root';
import {
  notifications,
  probeModule,
  request,
  startWebhook,
  tempStateDir,
  testWorld,
  waitFor,
  waitForAsync,
  type Webhook,
} from './core-helpers';

const world = testWorld();
const SUB = world.subscriptionId;
const RG = `/subscriptions/${SUB}/resourceGroups/rg-fraud-ml`;
const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';

interface TopicInfo {
  endpoint: string;
  key1: string;
  id: string;
}

describe('emulator: Event Grid', () => {
  let emu: RunningEmulator;
  let state: ReturnType<typeof tempStateDir>;
  let hook: Webhook;
  let topic: TopicInfo;

  before(async () => {
    state = tempStateDir();
    hook = await startWebhook();
    emu = await startEmulator({
      port: 0,
      stateDir: state.dir,
      world,
      modules: [probeModule()],
      retryScale: 0.0005,
      pollIntervalMs: 10,
      clockFile: path.join(state.dir, 'clock.json'),
    });
    const t = await emu.admin('PUT', '/admin/eventgrid/topics/warden-events', {});
    assert.equal(t.status, 201);
    topic = t.body as TopicInfo;
  });
  after(async () => {
    await emu.stop();
    await hook.close();
    state.cleanup();
  });

  const subscribe = (name: string, body: Record<string, unknown>) =>
    emu.admin('PUT', `/admin/eventgrid/subscriptions/${name}`, { endpointUrl: hook.url, ...body });
  const forSub = (name: string) =>
    notifications(hook).filter((r) => r.headers['aeg-subscription-name'] === name.toUpperCase());

  test('subscription creation runs the validation handshake', async () => {
    const r = await subscribe('hs-ok', { topic: 'warden-events', includedEventTypes: ['Never.Sent'] });
    assert.equal(r.status, 201);
    assert.equal((r.body as { provisioningState: string }).provisioningState, 'Succeeded');
    const v = hook.requests.find((x) => x.headers['aeg-event-type'] === 'SubscriptionValidation')!;
    assert.equal(v.headers['aeg-subscription-name'], 'HS-OK');
    const [ev] = JSON.parse(v.body) as Array<Record<string, unknown>>;
    assert.equal(ev!.eventType, 'Microsoft.EventGrid.SubscriptionValidationEvent');
    assert.equal(ev!.topic, topic.id);
    assert.ok((ev!.data as { validationUrl: string }).validationUrl.startsWith(emu.baseUrl));

    hook.respond = (x) =>
      x.headers['aeg-event-type'] === 'SubscriptionValidation'
        ? { status: 200, body: '{"validationResponse":"wrong"}' }
        : { status: 200 };
    const bad = await subscribe('hs-bad', { topic: 'warden-events' });
    assert.equal(bad.status, 400);
    assert.match((bad.body as { error: { message: string } }).error.message, /validation handshake failed/);
    assert.equal((await emu.admin('GET', '/admin/eventgrid/subscriptions/hs-bad')).status, 404);

    // a 2xx without the code leaves it awaiting the manual validation link
    hook.respond = () => ({ status: 200 });
    const manual = await subscribe('hs-manual', { topic: 'warden-events' });
    assert.equal((manual.body as { provisioningState: string }).provisioningState, 'AwaitingManualAction');
    const link = (JSON.parse(hook.requests.at(-1)!.body) as Array<{ data: { validationUrl: string } }>)[0]!.data
      .validationUrl;
    const u = new URL(link);
    assert.equal((await request(emu.baseUrl, emu.caCert, 'GET', u.pathname + u.search)).status, 200);
    assert.equal(
      ((await emu.admin('GET', '/admin/eventgrid/subscriptions/hs-manual')).body as { provisioningState: string })
        .provisioningState,
      'Succeeded',
    );
    assert.equal((await emu.admin('DELETE', '/admin/eventgrid/subscriptions/hs-manual')).status, 200);

    hook.respond = (x) =>
      x.method === 'OPTIONS' ? { status: 200, headers: { 'webhook-allowed-origin': '*' } } : { status: 200 };
    const ce = await subscribe('hs-ce', {
      topic: 'warden-events',
      eventDeliverySchema: 'CloudEventSchemaV1_0',
      includedEventTypes: ['Never.Sent'],
    });
    assert.equal(ce.status, 201);
    assert.equal(hook.requests.at(-1)!.method, 'OPTIONS');
    assert.equal(hook.requests.at(-1)!.headers['webhook-request-origin'], 'eventgrid.azure.net');
  });

  test('custom topic: EventGridPublisherClient with a key, a SAS and a token → delivered with aeg-* headers', async () => {
    hook.requests.length = 0;
    hook.respond = (x) =>
      x.headers['aeg-event-type'] === 'SubscriptionValidation'
        ? {
            status: 200,
            body: JSON.stringify({
              validationResponse: (JSON.parse(x.body) as Array<{ data: { validationCode: string } }>)[0]!.data
                .validationCode,
            }),
          }
        : { status: 200 };
    assert.equal(
      (
        await subscribe('custom', {
          topic: 'warden-events',
          includedEventTypes: ['Warden.Test.Happened'],
          subjectBeginsWith: '/access/',
        })
      ).status,
      201,
    );
    const tls = { tlsOptions: { ca: emu.caCert } };
    const byKey = new EventGridPublisherClient(topic.endpoint, 'EventGrid', new AzureKeyCredential(topic.key1), tls);
    await byKey.send([
      {
        id: 'e-key',
        eventType: 'Warden.Test.Happened',
        subject: '/access/policy/1',
        dataVersion: '1.0',
        data: { n: 1 },
      },
      { id: 'e-filtered', eventType: 'Warden.Test.Happened', subject: '/other/1', dataVersion: '1.0', data: {} },
    ]);
    const sas = await generateSharedAccessSignature(
      topic.endpoint,
      new AzureKeyCredential(topic.key1),
      new Date(Date.now() + 3600_000),
    );
    await new EventGridPublisherClient(topic.endpoint, 'EventGrid', new AzureSASCredential(sas), tls).send([
      { id: 'e-sas', eventType: 'Warden.Test.Happened', subject: '/access/policy/2', dataVersion: '1.0', data: {} },
    ]);
    const secret = (
      (await emu.admin('POST', `/admin/apps/c1668f6c-5b42-4098-a44a-b87b56c1e998/secrets`, {})).body as {
        secret: string;
      }
    ).secret;
    const cred = new ClientSecretCredential(world.tenantId, 'c1668f6c-5b42-4098-a44a-b87b56c1e998', secret, {
      authorityHost: emu.baseUrl,
      disableInstanceDiscovery: true,
      ...tls,
    });
    await new EventGridPublisherClient(topic.endpoint, 'EventGrid', cred, tls).send([
      { id: 'e-token', eventType: 'Warden.Test.Happened', subject: '/access/policy/3', dataVersion: '1.0', data: {} },
    ]);
    await waitFor(() => forSub('custom').length >= 3, 'three deliveries');
    const got = forSub('custom').map((r) => JSON.parse(r.body) as Array<Record<string, unknown>>);
    assert.deepEqual(
      got.map((b) => b.length),
      [1, 1, 1],
    );
    assert.deepEqual(got.map((b) => b[0]!.id).sort(), ['e-key', 'e-sas', 'e-token']);
    const first = forSub('custom').find((r) => r.body.includes('e-key'))!;
    assert.equal(first.headers['aeg-event-type'], 'Notification');
    assert.equal(first.headers['aeg-delivery-count'], '0');
    assert.equal(first.headers['aeg-data-version'], '1.0');
    assert.equal(first.headers['aeg-metadata-version'], '1');
    assert.match(String(first.headers['content-type']), /^application\/json/);
    const ev = (JSON.parse(first.body) as Array<Record<string, unknown>>)[0]!;
    assert.equal(ev.topic, topic.id);
    assert.equal(ev.metadataVersion, '1');
    assert.deepEqual(ev.data, { n: 1 });
  });

  test('custom topic errors: bad key 401, bad SAS 401, bad body 400, oversized 413, unknown topic 404', async () => {
    const tls = { tlsOptions: { ca: emu.caCert } };
    const wrong = new EventGridPublisherClient(topic.endpoint, 'EventGrid', new AzureKeyCredential('d3Jvbmc='), tls);
    await assert.rejects(
      wrong.send([{ eventType: 't', subject: 's', dataVersion: '1', data: {} }]),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 401 && e.code === 'Unauthorized',
    );
    const sas = await generateSharedAccessSignature(
      topic.endpoint,
      new AzureKeyCredential(topic.key1),
      new Date(Date.now() - 1000),
    );
    await assert.rejects(
      new EventGridPublisherClient(topic.endpoint, 'EventGrid', new AzureSASCredential(sas), tls).send([
        { eventType: 't', subject: 's', dataVersion: '1', data: {} },
      ]),
      (e: { statusCode?: number }) => e.statusCode === 401,
    );
    const p = '/topics/warden-events/api/events?api-version=2018-01-01';
    const h = { 'aeg-sas-key': topic.key1, 'content-type': 'application/json' };
    const notArray = await request(emu.baseUrl, emu.caCert, 'POST', p, { headers: h, body: '{"id":"x"}' });
    assert.equal(notArray.status, 400);
    assert.equal((notArray.json as { error: { code: string } }).error.code, 'BadRequest');
    const missing = await request(emu.baseUrl, emu.caCert, 'POST', p, {
      headers: h,
      body: '[{"id":"x","eventType":"t"}]',
    });
    assert.equal(missing.status, 400);
    assert.ok((missing.json as { error: { details: unknown[] } }).error.details.length >= 1);
    const malformed = await request(emu.baseUrl, emu.caCert, 'POST', p, { headers: h, body: '[{' });
    assert.equal(malformed.status, 400);
    const wrongType = await request(emu.baseUrl, emu.caCert, 'POST', p, {
      headers: { ...h, 'content-type': 'text/plain' },
      body: '[]',
    });
    assert.equal(wrongType.status, 400);
    const big = await request(emu.baseUrl, emu.caCert, 'POST', p, {
      headers: h,
      body: JSON.stringify([
        {
          id: 'big',
          subject: 's',
          eventType: 't',
          eventTime: new Date().toISOString(),
          dataVersion: '1',
          data: 'x'.repeat(1024 * 1024),
        },
      ]),
    });
    assert.equal(big.status, 413);
    assert.equal((big.json as { error: { code: string } }).error.code, 'RequestEntityTooLarge');
    assert.equal(
      (
        await request(emu.baseUrl, emu.caCert, 'POST', '/topics/nope/api/events?api-version=2018-01-01', {
          headers: h,
          body: '[]',
        })
      ).status,
      404,
    );
    assert.equal(
      (
        await request(emu.baseUrl, emu.caCert, 'POST', p.replace('2018-01-01', '2099-01-01'), {
          headers: h,
          body: '[]',
        })
      ).status,
      400,
    );
    assert.equal(
      (
        await request(emu.baseUrl, emu.caCert, 'POST', p, {
          headers: { 'content-type': 'application/json' },
          body: '[]',
        })
      ).status,
      401,
    );
  });

  test('CloudEvents topic → CloudEvents subscription', async () => {
    const t = (await emu.admin('PUT', '/admin/eventgrid/topics/ce-events', { inputSchema: 'CloudEventSchemaV1_0' }))
      .body as TopicInfo;
    hook.respond = (x) =>
      x.method === 'OPTIONS'
        ? { status: 200, headers: { 'webhook-allowed-origin': 'eventgrid.azure.net' } }
        : { status: 200 };
    assert.equal(
      (await subscribe('ce-sub', { topic: 'ce-events', eventDeliverySchema: 'CloudEventSchemaV1_0' })).status,
      201,
    );
    await new EventGridPublisherClient(t.endpoint, 'CloudEvent', new AzureKeyCredential(t.key1), {
      tlsOptions: { ca: emu.caCert },
    }).send([{ type: 'Warden.Test.Cloud', source: '/warden', id: 'ce-1', data: { ok: true } }]);
    const r = await waitFor(() => forSub('ce-sub')[0], 'cloud event delivery');
    assert.match(String(r.headers['content-type']), /^application\/cloudevents\+json/);
    const ce = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(ce.id, 'ce-1');
    assert.equal(ce.specversion, '1.0');
    assert.equal(ce.type, 'Warden.Test.Cloud');
  });

  test('retries with back-off until 2xx; aeg-delivery-count counts attempts', async () => {
    let failures = 2;
    hook.respond = (x) => {
      if (x.headers['aeg-event-type'] === 'SubscriptionValidation') {
        return {
          status: 200,
          body: JSON.stringify({
            validationResponse: (JSON.parse(x.body) as Array<{ data: { validationCode: string } }>)[0]!.data
              .validationCode,
          }),
        };
      }
      if (x.headers['aeg-subscription-name'] === 'RETRY' && failures-- > 0) return { status: 500 };
      return { status: 200 };
    };
    assert.equal((await subscribe('retry', { topic: RG, includedEventTypes: ['Warden.Test.Retry'] })).status, 201);
    await emu.admin('POST', '/admin/eventgrid/events', {
      id: 'r-1',
      topic: `/subscriptions/${SUB}/resourceGroups/rg-fraud-ml`,
      subject: 'x',
      eventType: 'Warden.Test.Retry',
      data: {},
      dataVersion: '1',
    });
    await waitFor(() => forSub('retry').length >= 3, 'three attempts');
    assert.deepEqual(
      forSub('retry').map((r) => r.headers['aeg-delivery-count']),
      ['0', '1', '2'],
    );
    const delivered = (await emu.admin('GET', '/admin/eventgrid/delivered')).body as {
      value: Array<{ eventId: string; attempts: number }>;
    };
    assert.equal(delivered.value.find((d) => d.eventId === 'r-1')!.attempts, 3);
  });

  test('no retry on 400/401/403/413; dead-letter after max attempts, listed by the admin API', async () => {
    hook.respond = (x) => {
      if (x.headers['aeg-event-type'] === 'SubscriptionValidation') {
        return {
          status: 200,
          body: JSON.stringify({
            validationResponse: (JSON.parse(x.body) as Array<{ data: { validationCode: string } }>)[0]!.data
              .validationCode,
          }),
        };
      }
      if (x.headers['aeg-subscription-name'] === 'REJECTS') return { status: 403 };
      if (x.headers['aeg-subscription-name'] === 'FLAKY') return { status: 503 };
      return { status: 200 };
    };
    assert.equal((await subscribe('rejects', { topic: RG, includedEventTypes: ['Warden.Test.DL'] })).status, 201);
    assert.equal(
      (await subscribe('flaky', { topic: RG, includedEventTypes: ['Warden.Test.DL'], maxDeliveryAttempts: 3 })).status,
      201,
    );
    await emu.admin('POST', '/admin/eventgrid/events', {
      id: 'dl-1',
      topic: RG,
      subject: 'y',
      eventType: 'Warden.Test.DL',
      data: { a: 1 },
      dataVersion: '1',
    });
    const list = async () =>
      ((await emu.admin('GET', '/admin/eventgrid/deadletters')).body as { value: Array<Record<string, unknown>> })
        .value;
    const value = await waitForAsync(async () => {
      const v = await list();
      return v.length >= 2 ? v : undefined;
    }, 'two dead letters');
    const rejected = value.find((d) => d.subscriptionName === 'rejects')!;
    const flaky = value.find((d) => d.subscriptionName === 'flaky')!;
    assert.equal(rejected.deliveryAttempts, 1);
    assert.equal(rejected.lastHttpStatusCode, 403);
    assert.equal(flaky.deliveryAttempts, 3);
    assert.equal(flaky.deadLetterReason, 'MaxDeliveryAttemptsExceeded');
    assert.equal(flaky.id, 'dl-1');
    assert.equal(forSub('rejects').length, 1);
    assert.equal(forSub('flaky').length, 3);
  });

  test('ARM resource events reach resource-group and subscription topics, shaped like Azure documents them', async () => {
    hook.requests.length = 0;
    hook.respond = (x) =>
      x.headers['aeg-event-type'] === 'SubscriptionValidation'
        ? {
            status: 200,
            body: JSON.stringify({
              validationResponse: (JSON.parse(x.body) as Array<{ data: { validationCode: string } }>)[0]!.data
                .validationCode,
            }),
          }
        : { status: 200 };
    assert.equal(
      (
        await subscribe('rg-writes', {
          topic: RG,
          includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'],
          subjectEndsWith: '/stprobe',
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await subscribe('sub-writes', {
          topic: `/subscriptions/${SUB}`,
          includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'],
          subjectEndsWith: '/stprobe',
        })
      ).status,
      201,
    );
    const r = await emu.admin('POST', '/admin/probe/things', {}, { 'x-emulator-caller': ADA });
    assert.equal(r.status, 200);
    const [rgHit, subHit] = await waitFor(() => {
      const a = forSub('rg-writes')[0];
      const b = forSub('sub-writes')[0];
      return a && b ? [a, b] : undefined;
    }, 'resource event on both topics');
    const rgEvent = (JSON.parse(rgHit.body) as Array<Record<string, unknown>>)[0]!;
    const subEvent = (JSON.parse(subHit.body) as Array<Record<string, unknown>>)[0]!;
    assert.equal(rgEvent.topic, RG);
    assert.equal(subEvent.topic, `/subscriptions/${SUB}`);
    assert.equal(rgHit.headers['aeg-data-version'], '2');

    const fixture = (
      JSON.parse(
        readFileSync(
          path.join(findRepoRoot(__dirname), 'test', 'fixtures', 'emulator', 'resource-write-success.json'),
          'utf8',
        ),
      ) as { event: Record<string, unknown> }
    ).event;
    assert.deepEqual(Object.keys(subEvent).sort(), Object.keys(fixture).sort());
    assert.equal(subEvent.dataVersion, fixture.dataVersion);
    assert.equal(subEvent.metadataVersion, fixture.metadataVersion);
    const data = subEvent.data as Record<string, unknown>;
    const fdata = fixture.data as Record<string, unknown>;
    // every documented data field is present (httpRequest in addition, as for updates)
    assert.deepEqual(
      Object.keys(data)
        .filter((k) => k !== 'httpRequest')
        .sort(),
      Object.keys(fdata).sort(),
    );
    assert.deepEqual(
      Object.keys(data.authorization as object)
        .filter((k) => k !== 'evidence')
        .sort(),
      ['action', 'scope'],
    );
    assert.equal((data.authorization as { action: string }).action, 'Microsoft.Storage/storageAccounts/write');
    assert.equal(data.operationName, 'Microsoft.Storage/storageAccounts/write');
    assert.equal(data.resourceProvider, 'Microsoft.Storage');
    assert.equal(data.status, 'Succeeded');
    assert.equal(data.subscriptionId, SUB);
    assert.equal(data.tenantId, world.tenantId);
    const claims = data.claims as Record<string, unknown>;
    for (const v of Object.values(claims)) assert.equal(typeof v, 'string');
    for (const k of [
      'aud',
      'iss',
      'iat',
      'nbf',
      'exp',
      'appid',
      'appidacr',
      'name',
      'ver',
      'uti',
      'http://schemas.microsoft.com/identity/claims/objectidentifier',
      'http://schemas.microsoft.com/identity/claims/tenantid',
      'http://schemas.microsoft.com/identity/claims/scope',
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
    ]) {
      assert.ok(k in (fdata.claims as object), `fixture has ${k}`);
      assert.ok(k in claims, `event claims have ${k}`);
    }
    assert.equal(claims['http://schemas.microsoft.com/identity/claims/objectidentifier'], ADA);
    assert.equal(claims.iss, `https://sts.windows.net/${world.tenantId}/`);
    const http = data.httpRequest as Record<string, unknown>;
    assert.deepEqual(Object.keys(http).sort(), ['clientIpAddress', 'clientRequestId', 'method', 'url']);
    assert.equal(http.method, 'PUT');
  });

  test('queued deliveries survive a restart', async () => {
    const dir = tempStateDir();
    const h2 = await startWebhook();
    try {
      const first = await startEmulator({
        port: 0,
        stateDir: dir.dir,
        world,
        retryScale: 1,
        pollIntervalMs: 10,
        clockFile: path.join(dir.dir, 'clock.json'),
      });
      assert.equal(
        (await first.admin('PUT', '/admin/eventgrid/subscriptions/durable', { topic: RG, endpointUrl: h2.url })).status,
        201,
      );
      h2.respond = () => ({ status: 500 });
      await first.admin('POST', '/admin/eventgrid/events', {
        id: 'd-1',
        topic: RG,
        subject: 'z',
        eventType: 'Warden.Test.Durable',
        data: {},
        dataVersion: '1',
      });
      await waitForAsync(async () => {
        const q = (await first.admin('GET', '/admin/eventgrid/deliveries')).body as {
          value: Array<{ attempts: number }>;
        };
        return q.value[0]?.attempts === 1;
      }, 'first failed attempt recorded');
      await first.stop();
      h2.respond = () => ({ status: 200 });
      const second = await startEmulator({
        port: 0,
        stateDir: dir.dir,
        world,
        retryScale: 1,
        pollIntervalMs: 10,
        clockFile: path.join(dir.dir, 'clock.json'),
      });
      try {
        const pending = (await second.admin('GET', '/admin/eventgrid/deliveries')).body as {
          value: Array<{ eventId: string; attempts: number }>;
        };
        assert.equal(pending.value.length, 1);
        assert.equal(pending.value[0]!.eventId, 'd-1');
        await second.admin('POST', '/admin/eventgrid/flush', {});
        await waitFor(() => notifications(h2).length >= 2, 'redelivery after restart');
        assert.equal(notifications(h2).at(-1)!.headers['aeg-delivery-count'], '1');
      } finally {
        await second.stop();
      }
    } finally {
      await h2.close();
      dir.cleanup();
    }
  });
});
