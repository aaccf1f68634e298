// How a pipeline asks Warden to act on Azure: one message on the `warden-commands` Service Bus queue, sent with
// @azure/service-bus and the pipeline's own identity (DefaultAzureCredential: a workload identity federation in CI,
// a managed identity on an agent, `az login` on a laptop). The identity needs the "Azure Service Bus Data Sender"
// role on the queue — that role assignment is who may command Warden. docs/commands.md documents the message.
//
// This file is compiled with the project (so the example keeps working), and the commands end-to-end test sends the
// messages `commandMessage` builds through the local runtime's broker.
//
//   node enqueue-command.js <namespace>.servicebus.windows.net '{"command":"reconcile","scope":"/subscriptions/…","requestedBy":"ado:fraud-ml/train"}'
import { createHash, randomUUID } from 'node:crypto';

import { DefaultAzureCredential } from '@azure/identity';
import { ServiceBusClient, type ServiceBusMessage } from '@azure/service-bus';

/** A command as docs/commands.md describes it (a pipeline keeps its own copy of this small contract). */
export type WardenCommand = {
  requestedBy: string;
  correlationId?: string;
  dryRun?: boolean;
} & (
  | { command: 'reconcile'; scope: string }
  | { command: 'enforce'; resourceId: string }
  | { command: 'rotate'; referenceId: string }
  | { command: 'quarantine'; modelId: string; reason?: string }
  | { command: 'release'; modelId: string }
);

/**
 * The session of a command: its target lower-cased, or `sha256:<hex>` of that when longer than the 128 characters a
 * SessionId may have. Commands for one target share a session, so Warden runs them in the order they were sent.
 */
export function commandSessionId(command: WardenCommand): string {
  const target =
    command.command === 'reconcile'
      ? command.scope
      : command.command === 'enforce'
        ? command.resourceId
        : command.command === 'rotate'
          ? command.referenceId
          : command.modelId;
  const key = target.toLowerCase();
  return key.length <= 128 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** The Service Bus message for a command: JSON body, session = target, a message id to trace it by. */
export function commandMessage(command: WardenCommand, messageId: string = randomUUID()): ServiceBusMessage {
  return {
    body: command,
    contentType: 'application/json',
    messageId,
    sessionId: commandSessionId(command),
    ...(command.correlationId ? { correlationId: command.correlationId } : {}),
    // For people reading the queue in the portal or Service Bus Explorer; Warden reads only the body.
    applicationProperties: { command: command.command, requestedBy: command.requestedBy },
  };
}

/** Sends one command to `warden-commands` in the namespace (`<name>.servicebus.windows.net`). */
export async function enqueueCommand(fullyQualifiedNamespace: string, command: WardenCommand): Promise<string> {
  const client = new ServiceBusClient(fullyQualifiedNamespace, new DefaultAzureCredential());
  try {
    const sender = client.createSender('warden-commands');
    const message = commandMessage(command);
    await sender.sendMessages(message);
    await sender.close();
    return String(message.messageId);
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  const [namespace, json] = process.argv.slice(2);
  if (!namespace || !json) {
    console.error('usage: enqueue-command <namespace>.servicebus.windows.net <command JSON>');
    process.exit(2);
  }
  enqueueCommand(namespace, JSON.parse(json) as WardenCommand).then(
    (id) => console.log(`sent message ${id}`),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
