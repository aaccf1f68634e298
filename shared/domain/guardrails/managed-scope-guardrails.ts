import type { GuardedScope } from './guarded-rows';
import { GuardrailRefusedError } from './guardrail-refused-error';

/**
 * Break-glass principals may be added to a managed scope but never removed through the API (that would let
 * Warden touch them). Throws {@link GuardrailRefusedError} naming `break_glass`.
 */
export function assertBreakGlassKept(
  requested: Pick<GuardedScope, 'scope' | 'break_glass'>,
  existing: Pick<GuardedScope, 'break_glass'> | undefined,
): void {
  if (!existing) return;
  const kept = new Set(requested.break_glass.map((b) => b.toLowerCase()));
  const removed = existing.break_glass.filter((b) => !kept.has(b.toLowerCase()));
  if (removed.length > 0)
    throw new GuardrailRefusedError('BREAK_GLASS', 'A change may not remove a break-glass principal.', [
      {
        path: 'break_glass',
        message: `would remove break-glass principal(s) ${removed.join(', ')} of ${requested.scope}; remove them out of band with a second person`,
      },
    ]);
}
