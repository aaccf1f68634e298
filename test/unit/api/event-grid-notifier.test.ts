import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ensureTlsMaterial } from '../../../emulator/core/tls';
import { EventGridNotifier, toCloudEvent } from '../../../shared/cloud/azure/event-grid-notifier';
import { fixedClock } from '../../../shared/domain/clock';

// The adapter against a loopback HTTPS server speaking the topic contract (certificate from the emulator's TLS helper) (the end-to-end test runs it against the
// emulator's custom topic and a subscriber).
describe('EventGridNotifier', () => {
  const clock = fixedClock('2026-11-25T12:00:00Z');
  let server: https.Server;
  let endpoint = '';
  let ca = '';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-eg-'));
  let status = 200;
  const requests: { headers: http.IncomingHttpHeaders; body: unknown }[] = [];

  before(async () => {
    const tls = ensureTlsMaterial(dir);
    ca = tls.caCertPem;
    server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(status === 200 ? '' : '{"error":{"code":"BadRequest","message":"no"}}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a notification is a CloudEvents 1.0 event with the correlation id as an extension attribute', () => {
    const e = toCloudEvent(
      { type: 'Warden.Approval.Requested', subject: 'approvals/a', data: { a: 1 }, correlationId: 'c-1' },
      clock,
      () => 'id-1',
    );
    assert.deepEqual(e, {
      type: 'Warden.Approval.Requested',
      source: '/warden',
      id: 'id-1',
      time: clock.now(),
      subject: 'approvals/a',
      datacontenttype: 'application/json',
      data: { a: 1 },
      extensionAttributes: { correlationid: 'c-1' },
    });
  });

  test('publishes a CloudEvents batch with the topic key', async () => {
    status = 200;
    const n = new EventGridNotifier({
      endpoint,
      credential: { key: 'topic-key' },
      clock,
      caCert: ca,
      newId: () => 'id-2',
    });
    await n.publish([
      { type: 'Warden.Audit.ChainHead', subject: 'audit/head', data: { seq: 3 }, correlationId: 'c-2' },
    ]);
    const last = requests.at(-1)!;
    assert.equal(last.headers['aeg-sas-key'], 'topic-key');
    assert.match(String(last.headers['content-type']), /application\/cloudevents-batch\+json/);
    const [event] = last.body as Record<string, unknown>[];
    assert.equal(event?.specversion, '1.0');
    assert.equal(event?.correlationid, 'c-2');
    assert.equal(event?.source, '/warden');
    assert.deepEqual(event?.data, { seq: 3 });
  });

  test('a refusal (4xx) is a plain error naming the status, not a retryable one', async () => {
    status = 400;
    const n = new EventGridNotifier({ endpoint, credential: { key: 'k' }, clock, caCert: ca, newId: () => 'id-3' });
    await assert.rejects(
      n.publish([{ type: 't', subject: 's', data: {}, correlationId: 'c' }]),
      (e: unknown) => e instanceof Error && e.name === 'Error' && /refused the notification \(400\)/.test(e.message),
    );
  });
});
