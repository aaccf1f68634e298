import { AsyncLocalStorage } from 'node:async_hooks';

import { type InvocationContext, output, type ServiceBusTopicOutput } from '@azure/functions';

import { ServiceBusOutputNotifier } from '../../shared/cloud/azure/service-bus-output-notifier';
import type { Notification, Notifier } from '../../shared/cloud/ports/notifier';
import type { Clock } from '../../shared/domain/clock';

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

/** The outbox of the invocation running in this async context (see {@link withNotificationOutbox}). */
const outboxes = new AsyncLocalStorage<ServiceBusOutputNotifier>();

/**
 * The notifier the composition roots hold under `WARDEN_NOTIFIER=servicebus`: it publishes into the outbox of the
 * invocation it is called from, which that function hands to its output binding when it returns. Called outside
 * such an invocation (a function registered without {@link withNotificationOutbox}) it rejects — a wiring bug.
 */
export function invocationOutboxNotifier(): Notifier {
  return {
    publish: (notifications: readonly Notification[]) => {
      const outbox = outboxes.getStore();
      if (!outbox)
        return Promise.reject(
          new Error('BUG: a Service Bus notification outside a function registered with withNotificationOutbox'),
        );
      return outbox.publish(notifications);
    },
  };
}

/**
 * Function options (HTTP, timer, Event Grid, SQL, activity — any trigger) with the notification output binding added
 * under `WARDEN_NOTIFIER=servicebus` and the handler run with an outbox of its own: whatever it publishes through
 * the composition roots' notifier is set on the binding when it returns — committed only if it succeeds, which
 * matches "notify after commit". Other notifiers: the options unchanged.
 */
export function withNotificationOutbox<
  O extends {
    readonly handler: (trigger: never, context: InvocationContext) => unknown;
    readonly extraOutputs?: readonly unknown[];
  },
>(
  options: O,
  services: () => Promise<{ readonly clock: Clock; readonly newId: () => string }>,
  binding: ServiceBusTopicOutput | undefined = notificationOutput(),
): O {
  if (!binding) return options;
  const handler = options.handler as (trigger: unknown, context: InvocationContext) => unknown;
  return {
    ...options,
    extraOutputs: [...(options.extraOutputs ?? []), binding],
    handler: async (trigger: unknown, context: InvocationContext) => {
      const { clock, newId } = await services();
      const outbox = new ServiceBusOutputNotifier(clock, newId);
      const result = await outboxes.run(outbox, () => handler(trigger, context));
      const messages = outbox.drain();
      if (messages.length > 0) context.extraOutputs.set(binding, messages);
      return result;
    },
  };
}
