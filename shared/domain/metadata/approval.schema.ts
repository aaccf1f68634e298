import { z } from 'zod';

import { ActorSchema, IsoDateTimeSchema, oneOf, RowIdSchema, textSchema } from '../primitives/fields';

export const APPROVAL_KINDS = ['access', 'network', 'secret', 'model', 'alert'] as const;
export const DECISIONS = ['approved', 'rejected'] as const;

/**
 * A gated plan waiting for (or carrying) a decision. Four eyes: the decider differs from the requester. Decided
 * fields come together or not at all.
 */
export const ApprovalSchema = z
  .strictObject({
    id: RowIdSchema,
    kind: oneOf(APPROVAL_KINDS, 'approval kind'),
    target: textSchema(1024),
    plan: z.record(z.string(), z.unknown(), { error: 'must be a JSON object (the plan)' }),
    requested_by: ActorSchema,
    requested_at: IsoDateTimeSchema,
    decided_by: ActorSchema.nullable().default(null),
    decision: oneOf(DECISIONS, 'decision').nullable().default(null),
    decided_at: IsoDateTimeSchema.nullable().default(null),
    comment: textSchema(2000).nullable().default(null),
  })
  .superRefine((row, ctx) => {
    const decided = [row.decided_by, row.decision, row.decided_at].filter((v) => v !== null).length;
    if (decided !== 0 && decided !== 3)
      ctx.addIssue({
        code: 'custom',
        path: ['decision'],
        message: 'decided_by, decision and decided_at are set together',
      });
    if (row.decided_by !== null && row.decided_by.toLowerCase() === row.requested_by.toLowerCase())
      ctx.addIssue({ code: 'custom', path: ['decided_by'], message: 'must differ from requested_by (four eyes)' });
    if (row.decided_at !== null && row.decided_at < row.requested_at)
      ctx.addIssue({ code: 'custom', path: ['decided_at'], message: 'is before requested_at' });
  });
export type ApprovalInput = z.input<typeof ApprovalSchema>;
export type Approval = z.output<typeof ApprovalSchema>;
