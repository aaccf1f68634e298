// Service Bus: the `warden-commands` queue (sessions keyed by target) → dispatchCommand. Invalid messages are
// completed and recorded as poison (a Node handler cannot dead-letter with a reason); transient failures throw, so
// the broker redelivers them until its max delivery count dead-letters them.
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { ServiceBusOutputNotifier } from '../../shared/cloud/azure/service-bus-output-notifier';
import { COMMANDS_QUEUE, dispatchCommand } from '../../shared/commands/command-dispatcher';
import { notificationOutput } from '../_edge/notification-output';
import { apiServices } from '../api/api-composition';
import { commandDeps } from './command-composition';

const notifications = notificationOutput();

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

app.serviceBusQueue('wardenCommands', {
  queueName: COMMANDS_QUEUE,
  connection: 'WARDEN_SERVICEBUS',
  isSessionsEnabled: true,
  extraInputs: [df.input.durableClient()],
  ...(notifications ? { extraOutputs: [notifications] } : {}),
  handler: async (body, context) => {
    const meta = context.triggerMetadata ?? {};
    const { api } = await apiServices();
    const outbox = notifications ? new ServiceBusOutputNotifier(api.clock, api.newId) : undefined;
    const deps = await commandDeps(df.getClient(context), outbox);
    const deliveryCount = Number(meta.deliveryCount);
    const r = await dispatchCommand(deps, {
      body,
      messageId: text(meta.messageId),
      sessionId: text(meta.sessionId),
      deliveryCount: Number.isFinite(deliveryCount) ? deliveryCount : undefined,
      correlationId: text(meta.correlationId),
    });
    if (outbox && notifications) context.extraOutputs.set(notifications, outbox.drain());
    context.log(
      JSON.stringify({
        event: 'commands.message',
        messageId: text(meta.messageId) ?? null,
        sessionId: text(meta.sessionId) ?? null,
        deliveryCount: Number.isFinite(deliveryCount) ? deliveryCount : null,
        ...r,
      }),
    );
  },
});
