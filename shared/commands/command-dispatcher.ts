/**
 * The body of the `warden-commands` queue trigger: validate a message, map the command onto the same start use
 * cases the HTTP API uses (start-or-requeue per target), audit who asked, and record what can never succeed as a
 * poison message with its reason. `functions/commands/` only hands the message over (CONVENTIONS 1).
 */
import type { Notifier } from '../cloud/ports/notifier';
import type { Clock } from '../domain/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import type { AuditAppend } from '../metadata/audit/audit-entry';
import type { PoisonMessage } from '../metadata/event-receipts';
import { type Command, type CommandName, parseCommand } from './command.schema';
import { commandSessionId, commandTarget } from './command-target';

/** Who asked and why, as the start use cases take it (plus whether to plan only). */
export interface CommandRequest {
  readonly correlationId: string;
  /** The audit actor: `<requestedBy> (via warden-commands)`. */
  readonly requestedBy: string;
  /** Human text: why the run was started. */
  readonly reason: string;
  /** Plan only and return the plan; change nothing. */
  readonly dryRun: boolean;
}

/** A plan reduced to what a notification may carry (identifiers and counts; see `summarizePlan`). */
export type PlanSummary = Readonly<Record<string, unknown>>;

/**
 * What a starter did: a run started or requeued (start-or-requeue), joined (a rotation already running for the
 * reference takes the request in — `startRotateSecret`), or — for a dry run — the plan.
 */
export type CommandOutcome =
  | { readonly action: 'started' | 'requeued' | 'joined'; readonly instanceId: string }
  | { readonly action: 'planned'; readonly plan: PlanSummary };

/**
 * The start use cases the commands map onto, one per command. `reconcile` and `enforce` are always there
 * (`startReconcileAccess` / `startEnforceNetwork`, and their dry-run planners); `rotate`, `quarantine` and `release`
 * are optional: a deployment without them answers those commands as poison ("not available in this deployment").
 *
 * @remarks
 * A starter throws for transient failures (the message is redelivered), a `ValidationError` or `NotFoundError` for a
 * command that can never succeed (it is recorded as poison). It must be safe to call twice for one message:
 * Service Bus delivers at least once.
 */
export interface CommandStarters {
  readonly reconcile: (request: CommandRequest & { readonly scope: string }) => Promise<CommandOutcome>;
  readonly enforce: (request: CommandRequest & { readonly resourceId: string }) => Promise<CommandOutcome>;
  readonly rotate?:
    ((request: CommandRequest & { readonly referenceId: string }) => Promise<CommandOutcome>) | undefined;
  readonly quarantine?:
    ((request: CommandRequest & { readonly modelId: string }) => Promise<CommandOutcome>) | undefined;
  readonly release?: ((request: CommandRequest & { readonly modelId: string }) => Promise<CommandOutcome>) | undefined;
}

/** What the dispatcher needs: the starters, and the store's audit log and poison record, the notifier, the clock. */
export interface CommandDeps {
  readonly starters: CommandStarters;
  readonly audit: { append(entry: AuditAppend): Promise<unknown> };
  readonly poison: { recordPoison(message: PoisonMessage): Promise<void> };
  readonly notifier: Notifier;
  readonly clock: Clock;
  /** Where a notification that could not be published is reported (the poison row or audit entry is the record). */
  readonly reportError: (event: string, error: unknown, fields: Record<string, unknown>) => void;
}

/** The Service Bus message as the trigger presents it (body and the trigger metadata the dispatcher uses). */
export interface CommandMessage {
  /** The body as the worker hands it over: a parsed JSON value, text, or bytes. */
  readonly body: unknown;
  readonly messageId: string | undefined;
  readonly sessionId: string | undefined;
  readonly deliveryCount: number | undefined;
  /** The message's own CorrelationId property (used when the body carries none). */
  readonly correlationId: string | undefined;
}

/** What became of one message. */
export type CommandHandling =
  | {
      readonly handled: 'started' | 'requeued' | 'joined';
      readonly command: CommandName;
      readonly target: string;
      readonly instanceId: string;
      readonly correlationId: string;
    }
  | {
      readonly handled: 'planned';
      readonly command: CommandName;
      readonly target: string;
      readonly correlationId: string;
    }
  | { readonly handled: 'poison'; readonly reason: string };

/** The queue (and the poison record's `source`). */
export const COMMANDS_QUEUE = 'warden-commands';
const SOURCE = `servicebus:${COMMANDS_QUEUE}`;

/** Notification types of the command queue. */
export const COMMAND_NOTIFICATION_TYPES = {
  rejected: 'Warden.Command.Rejected',
  planned: 'Warden.Command.Planned',
} as const;

/**
 * Handles one `warden-commands` message.
 *
 * @remarks
 * - Invalid (not JSON, not an object, unknown command, a field missing/malformed/unknown, a SessionId that is not the
 *   target's, a command this deployment cannot run, a target that does not exist): recorded in `poison_messages`
 *   with the reason, the message id, session and delivery count, a `Warden.Command.Rejected` notification is
 *   published, and this returns normally so the message is **completed** — never retried (a v4 Node handler cannot
 *   dead-letter with a reason).
 * - Valid: the command's starter (start-or-requeue of the target's deterministic instance, as the API does), then an
 *   audit entry `command.accepted` naming the requester, the instance and the message. A dry run plans, keeps the plan summary in
 *   that audit entry and publishes it as `Warden.Command.Planned`.
 * - Transient failures (the durable client, the store) throw: the broker redelivers, and after its max delivery count
 *   dead-letters the message. A redelivery after a start that succeeded starts or requeues once more, which the
 *   remediations absorb (they re-plan); the audit then shows the command twice.
 */
export async function dispatchCommand(deps: CommandDeps, message: CommandMessage): Promise<CommandHandling> {
  const parsed = parseCommand(message.body);
  if (!parsed.ok) return rejectMessage(deps, message, parsed.reason, undefined);
  const command = parsed.command;
  const expected = commandSessionId(command);
  if (message.sessionId === undefined || message.sessionId.toLowerCase() !== expected) {
    return rejectMessage(
      deps,
      message,
      `the SessionId ${message.sessionId === undefined ? '(none)' : JSON.stringify(message.sessionId)} is not the target's session "${expected}": commands for one target must share its session so they run in order`,
      command,
    );
  }
  const target = commandTarget(command).id;
  const correlationId = command.correlationId ?? message.correlationId ?? `command-${message.messageId ?? 'unknown'}`;
  const actor = `${command.requestedBy} (via ${COMMANDS_QUEUE})`;
  const request: CommandRequest = {
    correlationId: correlationId.slice(0, 128),
    requestedBy: actor,
    reason:
      command.command === 'quarantine' && command.reason
        ? command.reason
        : `'${command.command}' command from ${command.requestedBy} (message ${message.messageId ?? 'without id'})`,
    dryRun: command.dryRun === true,
  };

  let outcome: CommandOutcome;
  try {
    const started = await startCommand(deps.starters, command, request);
    if (started === undefined) {
      return await rejectMessage(
        deps,
        message,
        `command '${command.command}' is not available in this deployment`,
        command,
      );
    }
    outcome = started;
  } catch (error) {
    // Permanent: the target does not exist or the starter refuses the input — retrying cannot help.
    if (error instanceof ValidationError || error instanceof NotFoundError)
      return rejectMessage(deps, message, `'${command.command}' refused: ${error.message}`, command);
    throw error;
  }

  await deps.audit.append({
    actor,
    action: 'command.accepted',
    target,
    after: {
      command: command.command,
      dryRun: request.dryRun,
      action: outcome.action,
      instanceId: outcome.action === 'planned' ? null : outcome.instanceId,
      // A dry run's result: also readable later as `GET /api/audit?correlationId=…`.
      ...(outcome.action === 'planned' ? { plan: outcome.plan } : {}),
      messageId: message.messageId ?? null,
      sessionId: message.sessionId,
      deliveryCount: message.deliveryCount ?? null,
    },
    reason: request.reason,
    correlationId: request.correlationId,
  });

  if (outcome.action === 'planned') {
    await publishQuietly(deps, {
      type: COMMAND_NOTIFICATION_TYPES.planned,
      subject: target,
      correlationId: request.correlationId,
      data: {
        command: command.command,
        target,
        requestedBy: command.requestedBy,
        messageId: message.messageId ?? null,
        plan: outcome.plan,
      },
    });
    return { handled: 'planned', command: command.command, target, correlationId: request.correlationId };
  }
  return {
    handled: outcome.action,
    command: command.command,
    target,
    instanceId: outcome.instanceId,
    correlationId: request.correlationId,
  };
}

/** The starter's outcome, or undefined when this deployment has no starter for the command. */
function startCommand(
  starters: CommandStarters,
  command: Command,
  request: CommandRequest,
): Promise<CommandOutcome> | undefined {
  switch (command.command) {
    case 'reconcile':
      return starters.reconcile({ ...request, scope: command.scope });
    case 'enforce':
      return starters.enforce({ ...request, resourceId: command.resourceId });
    case 'rotate':
      return starters.rotate?.({ ...request, referenceId: command.referenceId });
    case 'quarantine':
      return starters.quarantine?.({ ...request, modelId: command.modelId });
    case 'release':
      return starters.release?.({ ...request, modelId: command.modelId });
  }
}

async function rejectMessage(
  deps: CommandDeps,
  message: CommandMessage,
  reason: string,
  command: Command | undefined,
): Promise<CommandHandling> {
  const context = `session ${message.sessionId === undefined ? '(none)' : JSON.stringify(message.sessionId)}, delivery ${message.deliveryCount ?? '?'}`;
  await deps.poison.recordPoison({
    source: SOURCE,
    messageId: message.messageId ?? null,
    reason: `${reason} [${context}]`.slice(0, 2000),
    body: bodyText(message.body),
  });
  await publishQuietly(deps, {
    type: COMMAND_NOTIFICATION_TYPES.rejected,
    subject: `${COMMANDS_QUEUE}/${message.messageId ?? 'unknown'}`,
    correlationId: (
      command?.correlationId ??
      message.correlationId ??
      `command-${message.messageId ?? 'unknown'}`
    ).slice(0, 128),
    data: {
      queue: COMMANDS_QUEUE,
      messageId: message.messageId ?? null,
      sessionId: message.sessionId ?? null,
      deliveryCount: message.deliveryCount ?? null,
      command: command?.command ?? null,
      requestedBy: command?.requestedBy ?? null,
      reason,
    },
  });
  return { handled: 'poison', reason };
}

/** Publishes after the record committed; a failed publish is reported, never retried by redelivery. */
async function publishQuietly(
  deps: CommandDeps,
  notification: Parameters<Notifier['publish']>[0][number],
): Promise<void> {
  try {
    await deps.notifier.publish([{ ...notification, time: deps.clock.now() }]);
  } catch (error) {
    deps.reportError('commands.notify-failed', error, { type: notification.type, subject: notification.subject });
  }
}

/** The body as text for the poison record (at most 10 000 characters). */
function bodyText(body: unknown): string | null {
  try {
    const text =
      body instanceof Uint8Array
        ? Buffer.from(body).toString('utf8')
        : typeof body === 'string'
          ? body
          : JSON.stringify(body);
    return text === undefined ? null : text.slice(0, 10_000);
  } catch {
    return null;
  }
}
