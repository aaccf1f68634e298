import { GuardrailRefusedError } from './guardrail-refused-error';

/**
 * The object id an actor string starts with (`<oid> (<name>)`, `<oid> (app <appid>)` or a bare id/system name).
 */
export function actorObjectId(actor: string): string {
  return (actor.split(' ', 1)[0] ?? actor).toLowerCase();
}

/**
 * Four eyes: the decider of an approval must differ from its requester. Throws {@link GuardrailRefusedError}
 * (`FOUR_EYES`) naming `decided_by`.
 */
export function assertFourEyes(requestedBy: string, deciderObjectId: string): void {
  if (actorObjectId(requestedBy) === deciderObjectId.toLowerCase())
    throw new GuardrailRefusedError('FOUR_EYES', 'The requester of an approval cannot decide it (four eyes).', [
      { path: 'decided_by', message: 'must be a different person from requested_by' },
    ]);
}
