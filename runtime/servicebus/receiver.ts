import type { Clock } from '../clock/shared-clock';
import type { FunctionHost } from '../host/function-host';
import type { RuntimeLogger } from '../host/runtime-services';
import type { LockedMessage, ServiceBusBroker } from './broker';
import { triggerInput, triggerMetadata } from './trigger-data';

export interface ReceiverOptions {
  functionName: string;
  triggerName: string;
  /** The queue or subscription path. */
  entity: string;
  sessions: boolean;
  many: boolean;
  autoComplete: boolean;
  /** maxConcurrentCalls (messages or batches in flight), or maxConcurrentSessions with sessions. */
  concurrency: number;
  maxBatchSize: number;
  /** maxAutoLockRenewalDuration in ms (0 disables renewal). */
  maxAutoLockRenewalMs: number;
  /** How often the receiver looks for messages that became available without a signal (locks expiring). */
  pollIntervalMs: number;
}

/**
 * One serviceBusTrigger listener: receives with peek-lock, invokes the function, renews locks while it runs, and
 * settles (success completes, a throw abandons), with the concurrency the extension allows.
 */
export class ServiceBusReceiver {
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Lock tokens of messages being handled, and sessions held, so stop() can release them. */
  private readonly heldTokens = new Set<string>();
  private readonly heldSessions = new Map<string, string>();
  private wakeUp: (() => void) | undefined;
  /** A wake-up that came while the loop was busy receiving: the next wait returns at once. */
  private wakePending = false;
  private loop: Promise<void> | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly o: ReceiverOptions,
    private readonly broker: ServiceBusBroker,
    private readonly host: FunctionHost,
    private readonly clock: Clock,
    private readonly logger: RuntimeLogger,
  ) {}

  start(): void {
    this.unsubscribe.push(this.broker.onAvailable(() => this.wake()));
    this.unsubscribe.push(this.clock.onChange(() => this.wake()));
    this.loop = this.run();
  }

  /** Stops receiving, waits (at most `drainMs`) for running handlers, then releases what they still hold. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    for (const u of this.unsubscribe) u();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.inFlight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (this.heldTokens.size > 0) {
      this.logger.warn('servicebus.locks-released', {
        functionName: this.o.functionName,
        messages: this.heldTokens.size,
        reason: 'handlers still running at shutdown; their messages will be redelivered',
      });
      this.broker.abandon([...this.heldTokens]);
      this.heldTokens.clear();
    }
    for (const [sessionId, token] of this.heldSessions) this.broker.releaseSession(this.o.entity, sessionId, token);
    this.heldSessions.clear();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    if (w) w();
    else this.wakePending = true;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.wakePending = false;
      try {
        this.fill();
      } catch (e) {
        if (!this.broker.isClosed)
          this.logger.error('servicebus.receive-failed', { entity: this.o.entity, error: String(e) });
      }
      if (this.stopping) break;
      if (this.wakePending) {
        this.wakePending = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.o.pollIntervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Starts work until the concurrency limit is reached or nothing is available. */
  private fill(): void {
    while (!this.stopping && this.inFlight.size < this.o.concurrency) {
      if (this.o.sessions) {
        const session = this.broker.acceptSession(this.o.entity);
        if (!session) return;
        this.track(this.runSession(session.sessionId, session.lockToken));
      } else {
        const messages = this.broker.receive(this.o.entity, this.o.many ? this.o.maxBatchSize : 1);
        if (messages.length === 0) return;
        this.track(this.handle(messages, undefined).then(() => undefined));
      }
    }
  }

  private track(work: Promise<void>): void {
    const p = work
      .catch((e: unknown) => {
        this.logger.error('servicebus.handler-crashed', { functionName: this.o.functionName, error: String(e) });
      })
      .finally(() => {
        this.inFlight.delete(p);
        this.wake();
      });
    this.inFlight.add(p);
  }

  /** Processes one session in order until it has no available message, then releases it. */
  private async runSession(sessionId: string, lockToken: string): Promise<void> {
    this.heldSessions.set(sessionId, lockToken);
    try {
      while (!this.stopping) {
        let messages: LockedMessage[];
        try {
          messages = this.broker.receiveFromSession(
            this.o.entity,
            sessionId,
            lockToken,
            this.o.many ? this.o.maxBatchSize : 1,
          );
        } catch (e) {
          this.logger.warn('servicebus.session-lock-lost', { functionName: this.o.functionName, error: String(e) });
          return;
        }
        if (messages.length === 0) return;
        const settled = await this.handle(messages, { sessionId, lockToken });
        if (!settled) return;
      }
    } finally {
      this.heldSessions.delete(sessionId);
      this.broker.releaseSession(this.o.entity, sessionId, lockToken);
    }
  }

  /** Invokes the function for `messages` and settles them; false when their lock was lost. */
  private async handle(
    messages: LockedMessage[],
    session: { sessionId: string; lockToken: string } | undefined,
  ): Promise<boolean> {
    const tokens = messages.map((m) => m.lockToken);
    for (const t of tokens) this.heldTokens.add(t);
    const renewal = this.renewWhileRunning(tokens, session);
    let result;
    try {
      result = await this.host.invoke(this.o.functionName, {
        request: {
          inputData: [{ name: this.o.triggerName, data: triggerInput(messages, this.o.many) }],
          triggerMetadata: triggerMetadata(messages, this.o.many, this.o.functionName, this.clock.now(), Date.now()),
        },
      });
    } finally {
      renewal.stop();
    }
    const stillHeld = tokens.filter((t) => this.heldTokens.delete(t));
    if (stillHeld.length === 0) return false; // released by stop() after the drain timeout
    const fields = {
      functionName: this.o.functionName,
      entity: this.o.entity,
      messageIds: messages.map((m) => m.messageId),
      deliveryCounts: messages.map((m) => m.deliveryCount),
    };
    if (result.status === 'success') {
      if (!this.o.autoComplete) return true; // nothing settles: the lock expires and the message is redelivered
      const lost = this.broker.complete(stillHeld);
      if (lost.length > 0) {
        this.logger.warn('servicebus.lock-lost', {
          ...fields,
          lost: lost.length,
          reason: 'the lock expired before completion; the message will be delivered again',
        });
        return false;
      }
      this.logger.debug('servicebus.completed', fields);
      return true;
    }
    this.logger.error('servicebus.handler-failed', { ...fields, error: result.error.message });
    this.broker.abandon(stillHeld);
    return true;
  }

  /** Renews the locks every half lock duration until stopped or maxAutoLockRenewalDuration has passed. */
  private renewWhileRunning(
    tokens: string[],
    session: { sessionId: string; lockToken: string } | undefined,
  ): { stop(): void } {
    if (this.o.maxAutoLockRenewalMs <= 0) return { stop: () => undefined };
    const started = Date.now();
    const every = Math.max(50, Math.floor(this.broker.settings.lockDurationMs / 2));
    const timer = setInterval(() => {
      if (Date.now() - started >= this.o.maxAutoLockRenewalMs) {
        clearInterval(timer);
        return;
      }
      try {
        this.broker.renewLocks(tokens, session ? { entity: this.o.entity, ...session } : undefined);
      } catch (e) {
        this.logger.warn('servicebus.renew-failed', { functionName: this.o.functionName, error: String(e) });
      }
    }, every);
    return { stop: () => clearInterval(timer) };
  }
}
