import type { Clock } from '../../domain/clock';
import { type Notification, NOTIFICATION_SOURCE, type Notifier } from '../ports/notifier';

/** A CloudEvents 1.0 structured-mode message as the Service Bus output binding sends it (JSON body). */
export interface CloudEventMessage {
  readonly specversion: '1.0';
  readonly type: string;
  readonly source: string;
  readonly id: string;
  readonly time: string;
  readonly subject: string;
  readonly datacontenttype: 'application/json';
  readonly data: Readonly<Record<string, unknown>>;
  readonly correlationid: string;
}

/**
 * The Service Bus variant of the notifier: it collects the invocation's notifications as CloudEvents (structured
 * JSON) and the function hands them to its Service Bus topic output binding when it returns (the runtime's
 * embedded broker locally, Service Bus on Azure) — the binding, not the app, holds the connection.
 *
 * @remarks
 * One instance per invocation: {@link drain} returns and clears what was collected. The output binding commits
 * the messages only if the function succeeds, which matches "notify after commit".
 */
export class ServiceBusOutputNotifier implements Notifier {
  private pending: CloudEventMessage[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {}

  publish(notifications: readonly Notification[]): Promise<void> {
    for (const n of notifications)
      this.pending.push({
        specversion: '1.0',
        type: n.type,
        source: NOTIFICATION_SOURCE,
        id: n.id ?? this.newId(),
        time: (n.time ?? this.clock.now()).toISOString(),
        subject: n.subject,
        datacontenttype: 'application/json',
        data: n.data,
        correlationid: n.correlationId,
      });
    return Promise.resolve();
  }

  /** The messages collected so far (for the output binding), clearing them. */
  drain(): CloudEventMessage[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
