import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { apiHandler } from '../../../functions/_edge/api-handler';
import { notificationOutput } from '../../../functions/_edge/notification-output';
import type { CloudEventMessage } from '../../../shared/cloud/azure/service-bus-output-notifier';
import { ApiHarness, policyBody } from './support/api-harness';

describe('Service Bus notifier variant: notifications leave through the invocation output binding', () => {
  const h = new ApiHarness();
  before(async () => {
    await h.start();
  });
  after(() => h.stop());

  test('only when WARDEN_NOTIFIER=servicebus; topic from settings, connection WARDEN_SERVICEBUS', () => {
    assert.equal(notificationOutput({ WARDEN_NOTIFIER: 'eventgrid' }), undefined);
    const out = notificationOutput({ WARDEN_NOTIFIER: 'servicebus', WARDEN_NOTIFY_SERVICEBUS_TOPIC: 'notes' });
    assert.equal(out?.type, 'serviceBus');
    assert.equal((out as unknown as { topicName: string }).topicName, 'notes');
    assert.equal((out as unknown as { connection: string }).connection, 'WARDEN_SERVICEBUS');
  });

  test('a privileged policy put emits the approval request as a CloudEvent message carrying the correlation id', async () => {
    const out = notificationOutput({ WARDEN_NOTIFIER: 'servicebus' })!;
    const handler = apiHandler(h.route('putAccessPolicies'), () => Promise.resolve(h.edge), out);
    const request = new HttpRequest({
      method: 'PUT',
      url: 'http://localhost/api/metadata/access_policies/ap-sb-owner',
      params: { id: 'ap-sb-owner' },
      headers: {
        authorization: `Bearer ${await h.ada()}`,
        'content-type': 'application/json',
        'x-correlation-id': 'corr-sb',
      },
      body: { string: JSON.stringify(policyBody('ap-sb-owner', { role: 'Owner' })) },
    });
    const context = new InvocationContext({ functionName: 'putAccessPolicies', invocationId: 'inv-1' });
    const before = h.notifications.length;
    const res = await handler(request, context);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(h.notifications.length, before, 'the composed notifier is not used: the binding carries them');
    const messages = context.extraOutputs.get(out) as CloudEventMessage[];
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.specversion, '1.0');
    assert.equal(messages[0]!.type, 'Warden.Approval.Requested');
    assert.equal(messages[0]!.source, '/warden');
    assert.equal(messages[0]!.correlationid, 'corr-sb');
  });
});
