import { type FieldIssue, WardenError } from '../errors';

/**
 * A write that is well-formed but refused by one of Warden's guardrails on intent (a break-glass principal,
 * Warden's own identity, four eyes). The HTTP edge maps it to 403 with the issues as problem+json `errors`.
 *
 * @remarks
 * Not a {@link ValidationError}: the input is valid, the caller just may not do this (no role grants it either).
 */
export class GuardrailRefusedError extends WardenError {
  readonly code: string;
  readonly issues: readonly FieldIssue[];
  constructor(code: 'BREAK_GLASS' | 'WARDEN_IDENTITY' | 'FOUR_EYES', message: string, issues: readonly FieldIssue[]) {
    super(message);
    this.code = code;
    this.issues = issues;
  }
}
