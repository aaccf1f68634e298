// Publishes the audit chain head as a notification, so a rewrite of the whole table is detectable outside it.
import { randomUUID } from 'node:crypto';

import { app } from '@azure/functions';

import { publishAuditHead } from '../../shared/api/audit/audit-query';
import { apiServices, notifying } from './api-composition';

app.timer(
  'publishAuditHead',
  notifying({
    schedule: '0 */15 * * * *',
    handler: async (_timer, context) => {
      const { api } = await apiServices();
      const head = await publishAuditHead(api, randomUUID());
      context.log(head ? `audit head published: seq ${head.seq}` : 'audit log empty: nothing published');
    },
  }),
);
