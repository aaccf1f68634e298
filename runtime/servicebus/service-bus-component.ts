import { isFunctionDisabled } from '../host/disabled-functions';
import { triggerBindingOf } from '../host/function-host';
import type { RuntimeComponent, RuntimeServices } from '../host/runtime-services';
import { openStateDb } from '../state/state-db';
import { extensionSection, findKey, positiveInt, timeSpanMs } from '../state/trigger-support';
import { serviceBusAdminRoutes } from './admin-routes';
import { type BrokerSettings, ServiceBusBroker, subscriptionPath } from './broker';
import { messagesFromOutput } from './output-binding';
import { ServiceBusReceiver } from './receiver';

export interface ServiceBusComponentOptions {
  /** Lock duration of every entity in ms; else `WARDEN_SERVICEBUS_LOCK_DURATION` (TimeSpan or ms), default 60 s. */
  lockDurationMs?: number;
  /** Max delivery count; else `WARDEN_SERVICEBUS_MAX_DELIVERY_COUNT`, default 10. */
  maxDeliveryCount?: number;
  /** How often receivers look for messages whose lock expired (default 250 ms). */
  pollIntervalMs?: number;
  /** How long stop() waits for running handlers before releasing their locks (default 30 s). */
  drainTimeoutMs?: number;
  /** State file name under `services.stateDir` (default `servicebus.db`). */
  stateFile?: string;
}

/**
 * The embedded Service Bus: a SQLite broker (queues, topics/subscriptions), the `serviceBusTrigger` (queue and
 * topic/subscription, cardinality one and many, sessions), the `serviceBus` output binding (queue and topic) and
 * the broker's admin routes under `/admin/servicebus/`.
 *
 * @remarks
 * Entities are created when first used: a trigger creates its queue (or topic and subscription) at start-up, an
 * output binding its queue or topic at start-up too (a topic without subscriptions drops what is sent to it, as in
 * Service Bus). host.json `extensions.serviceBus` honoured: `maxConcurrentCalls` (16), `maxConcurrentSessions` (8),
 * `maxMessageBatchSize` (1000), `maxAutoLockRenewalDuration` (5 min), `autoCompleteMessages` (true). Entity
 * properties that live on the entity in Azure (LockDuration, MaxDeliveryCount) come from the settings
 * `WARDEN_SERVICEBUS_LOCK_DURATION` and `WARDEN_SERVICEBUS_MAX_DELIVERY_COUNT`. Function retry policies are not
 * applied to Service Bus triggers (Azure does not either); redelivery is the broker's.
 */
export function createServiceBusComponent(options: ServiceBusComponentOptions = {}): RuntimeComponent & {
  /** The broker, once started (tests and diagnostics). */
  readonly broker: ServiceBusBroker | undefined;
} {
  let broker: ServiceBusBroker | undefined;
  let services: RuntimeServices | undefined;
  const receivers: ServiceBusReceiver[] = [];
  let accepting = false;

  const begin = (svc: RuntimeServices): void => {
    services = svc;
    const section = extensionSection(svc.hostJson, 'serviceBus');
    const settings: BrokerSettings = {
      lockDurationMs: options.lockDurationMs ?? timeSpanMs(svc.env.WARDEN_SERVICEBUS_LOCK_DURATION?.trim(), 60_000),
      maxDeliveryCount: options.maxDeliveryCount ?? positiveInt(svc.env.WARDEN_SERVICEBUS_MAX_DELIVERY_COUNT, 10),
    };
    if (!(settings.lockDurationMs > 0)) settings.lockDurationMs = 60_000;
    const maxConcurrentCalls = positiveInt(findKey(section, 'maxConcurrentCalls'), 16);
    const maxConcurrentSessions = positiveInt(findKey(section, 'maxConcurrentSessions'), 8);
    const maxBatchSize = positiveInt(findKey(section, 'maxMessageBatchSize'), 1000);
    const maxAutoLockRenewalMs = timeSpanMs(findKey(section, 'maxAutoLockRenewalDuration'), 5 * 60_000);
    const autoCompleteDefault = findKey(section, 'autoCompleteMessages') !== false;

    broker = new ServiceBusBroker(openStateDb(svc.stateDir, options.stateFile ?? 'servicebus.db'), svc.clock, settings);
    const b = broker;
    for (const fn of svc.host.functions.values()) {
      const name = fn.metadata.name;
      const trigger = triggerBindingOf(fn);
      if (String(trigger.binding.type).toLowerCase() === 'servicebustrigger' && !isFunctionDisabled(svc.env, name)) {
        const binding = trigger.binding;
        warnMissingConnection(svc, name, binding.connection);
        const sessions = binding.isSessionsEnabled === true || binding.isSessionsEnabled === 'true';
        let entity: string;
        if (typeof binding.queueName === 'string') {
          entity = b.ensureQueue(svc.resolveSetting(binding.queueName), sessions).name;
        } else if (typeof binding.topicName === 'string' && typeof binding.subscriptionName === 'string') {
          const topic = svc.resolveSetting(binding.topicName);
          const sub = svc.resolveSetting(binding.subscriptionName);
          b.ensureSubscription(topic, sub, sessions);
          entity = subscriptionPath(topic, sub);
        } else {
          throw new Error(`Service Bus trigger "${name}" needs queueName, or topicName and subscriptionName.`);
        }
        const many = typeof binding.cardinality === 'string' && binding.cardinality.toLowerCase() === 'many';
        const autoComplete =
          typeof binding.autoCompleteMessages === 'boolean' ? binding.autoCompleteMessages : autoCompleteDefault;
        if (!autoComplete) {
          svc.logger.warn('servicebus.auto-complete-off', {
            functionName: name,
            reason: 'a Node function cannot settle messages itself; each message is redelivered when its lock expires',
          });
        }
        receivers.push(
          new ServiceBusReceiver(
            {
              functionName: name,
              triggerName: trigger.name,
              entity,
              sessions,
              many,
              autoComplete,
              concurrency: sessions ? maxConcurrentSessions : many ? 1 : maxConcurrentCalls,
              maxBatchSize,
              maxAutoLockRenewalMs,
              pollIntervalMs: options.pollIntervalMs ?? 250,
            },
            b,
            svc.host,
            svc.clock,
            svc.logger,
          ),
        );
      }
      for (const binding of Object.values(fn.metadata.bindings)) {
        if (binding.direction !== 'out' || String(binding.type).toLowerCase() !== 'servicebus') continue;
        warnMissingConnection(svc, name, binding.connection);
        if (typeof binding.queueName === 'string') b.ensureQueue(svc.resolveSetting(binding.queueName));
        else if (typeof binding.topicName === 'string') b.ensureTopic(svc.resolveSetting(binding.topicName));
        else throw new Error(`Service Bus output of "${name}" needs queueName or topicName.`);
      }
    }

    svc.host.addOutputBindingHandler('serviceBus', (fn, bindingName, binding, data) => {
      if (!accepting || b.isClosed) {
        return Promise.reject(new Error('The Service Bus broker is stopping; the output was not sent.'));
      }
      const target = typeof binding.queueName === 'string' ? binding.queueName : binding.topicName;
      if (typeof target !== 'string') {
        return Promise.reject(
          new Error(`Output binding "${bindingName}" of "${fn.metadata.name}" names no queue or topic.`),
        );
      }
      const messages = messagesFromOutput(data);
      try {
        if (messages.length > 0) b.send(svc.resolveSetting(target), messages);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      return Promise.resolve();
    });
    svc.addSystemRoute('/admin/servicebus', serviceBusAdminRoutes(b, svc.clock));
    accepting = true;
    for (const r of receivers) r.start();
    svc.logger.info('servicebus.started', {
      entities: b.entities().map((e) => e.name),
      listeners: receivers.length,
      lockDurationMs: settings.lockDurationMs,
      maxDeliveryCount: settings.maxDeliveryCount,
    });
    return;
  };

  let stopping: Promise<void> | undefined;
  const halt = async (): Promise<void> => {
    const drainMs = options.drainTimeoutMs ?? 30_000;
    await Promise.all(receivers.map((r) => r.stop(drainMs)));
    accepting = false;
    broker?.close();
    services?.logger.debug('servicebus.stopped', {});
  };

  return {
    name: 'servicebus',
    triggerTypes: ['serviceBusTrigger'],
    get broker() {
      return broker;
    },
    start(svc: RuntimeServices): Promise<void> {
      // Executor errors become a rejection: start-up problems reach startRuntime as a rejected promise.
      return new Promise<void>((resolve) => {
        begin(svc);
        resolve();
      });
    },
    stop(): Promise<void> {
      // Idempotent: the runtime and tests may both stop a component.
      return (stopping ??= halt());
    },
  };
}

function warnMissingConnection(svc: RuntimeServices, functionName: string, connection: unknown): void {
  if (typeof connection !== 'string' || connection === '') {
    svc.logger.warn('servicebus.connection-missing', {
      functionName,
      reason: 'the binding names no connection setting; Azure needs one',
    });
    return;
  }
  const name = connection.replace(/^%(.*)%$/, '$1');
  const set = svc.env[name] !== undefined || Object.keys(svc.env).some((k) => k.startsWith(`${name}__`));
  if (!set) {
    svc.logger.warn('servicebus.connection-missing', {
      functionName,
      setting: name,
      reason: 'the app setting named by "connection" is not set; the local broker does not need it, Azure does',
    });
  }
}
