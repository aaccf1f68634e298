import type { FieldIssue } from '../errors';

/** What a write-time rule may know besides the row: the time (from the Clock) and whether the row is new. */
export interface WriteRuleContext {
  readonly now: Date;
  readonly isInsert: boolean;
}

/** A rule that needs context a schema does not have (the current time, insert vs update). */
export type WriteRule<T> = (row: T, ctx: WriteRuleContext) => FieldIssue[];

/** `expires_at` must lie in the future when a row is created (an update may keep a lapsed expiry). */
export function expiresInFutureOnInsert(field: string, value: string | null, ctx: WriteRuleContext): FieldIssue[] {
  if (value !== null && ctx.isInsert && Date.parse(value) <= ctx.now.getTime())
    return [
      {
        path: field,
        message: `${value} is in the past (now is ${ctx.now.toISOString()}); a new row must expire in the future`,
      },
    ];
  return [];
}
