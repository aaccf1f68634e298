import { AzureKeyCredential, EventGridPublisherClient, type SendCloudEventInput } from '@azure/eventgrid';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

import type { Clock } from '../../domain/clock';
import { TransientCloudError } from '../../domain/errors';
import { type Notification, NOTIFICATION_SOURCE, type Notifier } from '../ports/notifier';

/** How the Event Grid notifier reaches its custom topic. */
export interface EventGridNotifierOptions {
  /** The topic endpoint, e.g. https://{topic}.{region}-1.eventgrid.azure.net/api/events (the emulator's locally). */
  readonly endpoint: string;
  /**
   * The topic access key (from a setting, itself a Key Vault reference on Azure), a token credential, or `default`:
   * DefaultAzureCredential (managed identity with EventGrid Data Sender on the topic).
   */
  readonly credential: { readonly key: string } | { readonly token: TokenCredential } | 'default';
  readonly clock: Clock;
  readonly newId: () => string;
  /** Extra CA to trust (the emulator's, in-process tests; the launcher sets NODE_EXTRA_CA_CERTS instead). */
  readonly caCert?: string;
}

/** A notification as a CloudEvents 1.0 event: `correlationid` travels as an extension attribute. */
export function toCloudEvent(n: Notification, clock: Clock, newId: () => string): SendCloudEventInput<unknown> {
  return {
    type: n.type,
    source: NOTIFICATION_SOURCE,
    id: n.id ?? newId(),
    time: n.time ?? clock.now(),
    subject: n.subject,
    datacontenttype: 'application/json',
    data: n.data,
    extensionAttributes: { correlationid: n.correlationId },
  };
}

/**
 * Publishes notifications as CloudEvents 1.0 to an Event Grid custom topic through the SDK's
 * `EventGridPublisherClient` (one request per publish: all events or none).
 *
 * @remarks
 * The client is built once, in the constructor, from options chosen by the composition root (no field-initialiser
 * construction). A 429/5xx or network failure surfaces as {@link TransientCloudError}; the SDK's own retries run
 * first.
 */
export class EventGridNotifier implements Notifier {
  private readonly client: EventGridPublisherClient<'CloudEvent'>;

  constructor(private readonly options: EventGridNotifierOptions) {
    const c = options.credential;
    const credential =
      c === 'default' ? new DefaultAzureCredential() : 'key' in c ? new AzureKeyCredential(c.key) : c.token;
    this.client = new EventGridPublisherClient(options.endpoint, 'CloudEvent', credential, {
      ...(options.caCert ? { tlsOptions: { ca: options.caCert } } : {}),
      retryOptions: { maxRetries: 2 },
    });
  }

  async publish(notifications: readonly Notification[]): Promise<void> {
    if (notifications.length === 0) return;
    try {
      await this.client.send(notifications.map((n) => toCloudEvent(n, this.options.clock, this.options.newId)));
    } catch (e) {
      const status = (e as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number' && status < 500 && status !== 429)
        throw new Error(`Event Grid refused the notification (${status}): ${(e as Error).message}`, { cause: e });
      throw new TransientCloudError('Publishing to the Event Grid topic failed; retry later.', undefined, {
        cause: e,
      });
    }
  }
}
