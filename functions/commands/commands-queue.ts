// Service Bus: the `warden-commands` queue (sessions keyed by target) → dispatchCommand. Invalid messages are
// completed and recorded as poison (a Node handler cannot dead-letter with a reason); transient failures throw, so
// the broker redelivers them until its max delivery count dead-letters them.
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { COMMANDS_QUEUE, dispatchCommand } from '../../shared/commands/command-dispatcher';
import { notifying } from '../api/api-composition';
import { commandDeps } from './command-composition';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

app.serviceBusQueue(
  'wardenCommands',
  notifying({
    queueName: COMMANDS_QUEUE,
    connection: 'WARDEN_SERVICEBUS',
    isSessionsEnabled: true,
    extraInputs: [df.input.durableClient()],
    handler: async (body, context) => {
      const meta = context.triggerMetadata ?? {};
      const deps = await commandDeps(df.getClient(context));
      const deliveryCount = Number(meta.deliveryCount);
      const r = await dispatchCommand(deps, {
        body,
        messageId: text(meta.messageId),
        sessionId: text(meta.sessionId),
        deliveryCount: Number.isFinite(deliveryCount) ? deliveryCount : undefined,
        correlationId: text(meta.correlationId),
      });
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
  }),
);
