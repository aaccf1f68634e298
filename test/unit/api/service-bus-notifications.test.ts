import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { apiHandler } from '../../../functions/_edge/api-handler';
import {
  invocationOutboxNotifier,
  notificationOutput,
  withNotificationOutbox,
} from '../../../functions/_edge/notification-output';
import type { CloudEventMessage } from '../../../shared/cloud/azure/service-bus-output-notifier';
import { fixedClock } from '../../../shared/domain/clock';
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
    // As api-composition composes it under WARDEN_NOTIFIER=servicebus: the notifier publishes into the invocation.
    const edge = { ...h.edge, api: { ...h.edge.api, notifier: invocationOutboxNotifier() } };
    const options = withNotificationOutbox(
      { handler: apiHandler(h.route('putAccessPolicies'), () => Promise.resolve(edge)) },
      () => Promise.resolve(edge.api),
      out,
    );
    assert.deepEqual((options as { extraOutputs?: unknown[] }).extraOutputs, [out], 'the binding is declared');
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
    const res = await options.handler(request, context);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(h.notifications.length, before, 'the composed notifier is not used: the binding carries them');
    const messages = context.extraOutputs.get(out) as CloudEventMessage[];
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.specversion, '1.0');
    assert.equal(messages[0]!.type, 'Warden.Approval.Requested');
    assert.equal(messages[0]!.source, '/warden');
    assert.equal(messages[0]!.correlationid, 'corr-sb');
  });

  test('any trigger (an activity here): each invocation gets its own outbox; a failed one sends nothing', async () => {
    const out = notificationOutput({ WARDEN_NOTIFIER: 'servicebus' })!;
    const notifier = invocationOutboxNotifier(); // what the composition roots hold
    let n = 0;
    const services = () => Promise.resolve({ clock: fixedClock('2026-06-01T12:00:00Z'), newId: () => `id-${++n}` });
    const activity = withNotificationOutbox(
      {
        handler: async (input: { subject: string; fail?: boolean }, _context: InvocationContext) => {
          await new Promise((r) => setTimeout(r, 5)); // the outbox follows the async context across awaits
          await notifier.publish([
            { type: 'Warden.Remediation.Outcome', subject: input.subject, data: {}, correlationId: 'c' },
          ]);
          if (input.fail) throw new Error('step failed');
          return { sent: true };
        },
      },
      services,
      out,
    );
    const a = new InvocationContext({ functionName: 'remediation-notify', invocationId: 'a' });
    const b = new InvocationContext({ functionName: 'remediation-notify', invocationId: 'b' });
    // Two invocations at once: neither sees the other's notification.
    const [ra, rb] = await Promise.all([
      activity.handler({ subject: 'rg/a' }, a),
      activity.handler({ subject: 'rg/b' }, b),
    ]);
    assert.deepEqual([ra, rb], [{ sent: true }, { sent: true }]);
    assert.deepEqual(
      (a.extraOutputs.get(out) as CloudEventMessage[]).map((m) => m.subject),
      ['rg/a'],
    );
    assert.deepEqual(
      (b.extraOutputs.get(out) as CloudEventMessage[]).map((m) => m.subject),
      ['rg/b'],
    );
    assert.equal((a.extraOutputs.get(out) as CloudEventMessage[])[0]!.time, '2026-06-01T12:00:00.000Z');
    const failed = new InvocationContext({ functionName: 'remediation-notify', invocationId: 'c' });
    await assert.rejects(activity.handler({ subject: 'rg/c', fail: true }, failed), /step failed/);
    assert.equal(failed.extraOutputs.get(out), undefined, 'nothing is sent for a failed invocation');
    // Outside a function registered with the outbox: a wiring bug, said so.
    await assert.rejects(
      notifier.publish([{ type: 't', subject: 's', data: {}, correlationId: 'c' }]),
      /BUG: a Service Bus notification outside a function registered with withNotificationOutbox/,
    );
    // Other notifiers: the options are returned unchanged.
    const plain = { handler: () => Promise.resolve(1) };
    assert.equal(withNotificationOutbox(plain, services, undefined), plain);
  });
});
