import { output, type ServiceBusTopicOutput } from '@azure/functions';

/**
 * The Service Bus topic output binding notifications go through when `WARDEN_NOTIFIER=servicebus` (the runtime's
 * broker locally): topic `WARDEN_NOTIFY_SERVICEBUS_TOPIC` (default `warden-notifications`), connection setting
 * `WARDEN_SERVICEBUS`. Undefined for the other notifiers.
 *
 * @remarks
 * Read at registration time, as the host reads binding settings: the environment holds the app settings then.
 */
export function notificationOutput(env: NodeJS.ProcessEnv = process.env): ServiceBusTopicOutput | undefined {
  if (env.WARDEN_NOTIFIER !== 'servicebus') return undefined;
  return output.serviceBusTopic({
    topicName: env.WARDEN_NOTIFY_SERVICEBUS_TOPIC || 'warden-notifications',
    connection: 'WARDEN_SERVICEBUS',
  });
}
