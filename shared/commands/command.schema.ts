/**
 * The messages of the `warden-commands` queue: what pipelines and tools ask Warden to do, validated at the edge.
 *
 * @remarks
 * One JSON object per message, discriminated by `command`. Every command names who asked (`requestedBy`: the
 * pipeline's identity or name), optionally a `correlationId` (carried into the run's audit entries) and `dryRun`.
 * Unknown fields are refused, so a typo (`scopee`) is a poison message with the field named instead of a command
 * that silently does something else. The schemas are the contract documented in docs/commands.md.
 */
import { z } from 'zod';

import { fieldIssues } from '../api/field-issues';
import { ActorSchema, ArmResourceIdSchema, RowIdSchema, shown, textSchema } from '../domain/primitives/fields';

/** The command names, in the order the docs list them. */
export const COMMAND_NAMES = ['reconcile', 'enforce', 'rotate', 'quarantine', 'release'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Longest `requestedBy`: the audit actor is `<requestedBy> (via warden-commands)`, at most 256 characters. */
export const MAX_REQUESTER_LENGTH = 200;

const common = {
  /** Who asked: the pipeline's identity or name (`azure-devops:fraud-ml/train`, an object id). */
  requestedBy: ActorSchema.max(MAX_REQUESTER_LENGTH, { error: `must be at most ${MAX_REQUESTER_LENGTH} characters` }),
  /** Carried into the run's audit entries and notifications; `command-<messageId>` when absent. */
  correlationId: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(128, { error: 'must be at most 128 characters' })
    .regex(/^[^\p{Cc}\s]+$/u, { error: 'must not contain spaces or control characters' })
    .optional(),
  /** Plan only: the plan is published as a notification, nothing is changed. */
  dryRun: z.boolean({ error: 'must be true or false' }).optional(),
};

export const ReconcileCommandSchema = z.strictObject({
  command: z.literal('reconcile'),
  /** The managed scope whose role assignments are reconciled with its access policies. */
  scope: ArmResourceIdSchema,
  ...common,
});

export const EnforceCommandSchema = z.strictObject({
  command: z.literal('enforce'),
  /** The governed resource whose network posture is enforced from its network rule. */
  resourceId: ArmResourceIdSchema,
  ...common,
});

export const RotateCommandSchema = z.strictObject({
  command: z.literal('rotate'),
  /** The `secret_references` row whose credential is rotated. */
  referenceId: RowIdSchema,
  ...common,
});

export const QuarantineCommandSchema = z.strictObject({
  command: z.literal('quarantine'),
  /** The `models` row (one model version) to quarantine. */
  modelId: RowIdSchema,
  /** Why (human text, audited). */
  reason: textSchema(1000).optional(),
  ...common,
});

export const ReleaseCommandSchema = z.strictObject({
  command: z.literal('release'),
  /** The quarantined `models` row to release. */
  modelId: RowIdSchema,
  ...common,
});

const SCHEMAS = {
  reconcile: ReconcileCommandSchema,
  enforce: EnforceCommandSchema,
  rotate: RotateCommandSchema,
  quarantine: QuarantineCommandSchema,
  release: ReleaseCommandSchema,
} as const satisfies Record<CommandName, z.ZodType>;

export type ReconcileCommand = z.output<typeof ReconcileCommandSchema>;
export type EnforceCommand = z.output<typeof EnforceCommandSchema>;
export type RotateCommand = z.output<typeof RotateCommandSchema>;
export type QuarantineCommand = z.output<typeof QuarantineCommandSchema>;
export type ReleaseCommand = z.output<typeof ReleaseCommandSchema>;
export type Command = ReconcileCommand | EnforceCommand | RotateCommand | QuarantineCommand | ReleaseCommand;

/** What became of a message body: a command, or the reason it can never be one. */
export type ParsedCommand =
  { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly reason: string };

/**
 * Parses a `warden-commands` message body as the Functions worker hands it over: a JSON object (the library parses
 * JSON text), text that is not JSON, or bytes (`Buffer`, binary messages).
 *
 * @returns the command, or the reason it is invalid: the body is not JSON, not a JSON object, names no command or an
 * unknown one, or a field is missing, malformed or unknown (each named with what was wrong).
 */
export function parseCommand(body: unknown): ParsedCommand {
  let value = body;
  if (value instanceof Uint8Array) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(value);
    } catch {
      return { ok: false, reason: 'the body is not UTF-8 text (a command is a JSON object)' };
    }
    value = text;
  }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch (e) {
      // Not the parser's message: V8 quotes the text in it, and the reason goes into notifications.
      const at = /position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
      const where =
        at !== undefined ? ` (at character ${at})` : / end of JSON/.test(String(e)) ? ' (it ends early)' : '';
      return { ok: false, reason: `the body is not JSON${where}; a command is a JSON object` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, reason: `the body is ${kind}, not a JSON object with a "command"` };
  }
  const name = (value as Record<string, unknown>).command;
  if (name === undefined) {
    return { ok: false, reason: `the message names no "command" (one of ${COMMAND_NAMES.join(', ')})` };
  }
  if (typeof name !== 'string' || !(COMMAND_NAMES as readonly string[]).includes(name)) {
    return {
      ok: false,
      reason: `unknown command ${shown(name)}: expected one of ${COMMAND_NAMES.join(', ')}`,
    };
  }
  const parsed = SCHEMAS[name as CommandName].safeParse(value);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error)
      .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
      .join('; ');
    return { ok: false, reason: `invalid '${name}' command: ${issues}` };
  }
  return { ok: true, command: parsed.data };
}
