// Publishes the audit chain head as a notification, so a rewrite of the whole table is detectable outside it.
import { randomUUID } from 'node:crypto';

import { app } from '@azure/functions';

import { publishAuditHead } from '../../shared/api/audit/audit-query';
import { ServiceBusOutputNotifier } from '../../shared/cloud/azure/service-bus-output-notifier';
import { notificationOutput } from '../_edge/notification-output';
import { apiServices } from './api-composition';

const notifications = notificationOutput();

app.timer('publishAuditHead', {
  schedule: '0 */15 * * * *',
  ...(notifications ? { extraOutputs: [notifications] } : {}),
  handler: async (_timer, context) => {
    const { api } = await apiServices();
    const outbox = notifications ? new ServiceBusOutputNotifier(api.clock, api.newId) : undefined;
    const head = await publishAuditHead(outbox ? { ...api, notifier: outbox } : api, randomUUID());
    if (outbox && notifications) context.extraOutputs.set(notifications, outbox.drain());
    context.log(head ? `audit head published: seq ${head.seq}` : 'audit log empty: nothing published');
  },
});
