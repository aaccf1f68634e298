import { createHash } from 'node:crypto';

import type { Command } from './command.schema';

/** What a command acts on: the target whose commands must run in order. */
export interface CommandTarget {
  readonly kind: 'scope' | 'resource' | 'secret-reference' | 'model';
  readonly id: string;
}

/** The target of a command (quarantine and release of one model share it, so they run in the order sent). */
export function commandTarget(command: Command): CommandTarget {
  switch (command.command) {
    case 'reconcile':
      return { kind: 'scope', id: command.scope };
    case 'enforce':
      return { kind: 'resource', id: command.resourceId };
    case 'rotate':
      return { kind: 'secret-reference', id: command.referenceId };
    case 'quarantine':
    case 'release':
      return { kind: 'model', id: command.modelId };
  }
}

/** Service Bus limits a SessionId to 128 characters. */
export const MAX_SESSION_ID_LENGTH = 128;

/**
 * The SessionId a command must be sent with: its target lower-cased (ARM ids are case-insensitive, so two spellings
 * of one scope share one session), or `sha256:<hex>` of that when it is longer than Service Bus allows (128).
 *
 * @remarks
 * Sessions are how the queue keeps the commands for one target in order: one receiver holds a session at a time and
 * gets its messages in sequence. Senders use this function (or the rule above) — see docs/commands.md.
 */
export function commandSessionId(command: Command): string {
  const key = commandTarget(command).id.toLowerCase();
  return key.length <= MAX_SESSION_ID_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
