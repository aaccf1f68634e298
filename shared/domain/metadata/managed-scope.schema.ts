import { z } from 'zod';

import { ArmResourceIdSchema, GuidSchema, oneOf, RoleReferenceSchema } from '../primitives/fields';

export const SCOPE_MODES = ['additive', 'exclusive'] as const;
export const ENFORCEMENTS = ['enforce', 'report-only'] as const;

/**
 * A scope Warden manages. `exclusive`: any assignment made *at* this scope and not backed by a policy is drift.
 * `break_glass` principals are never touched.
 */
export const ManagedScopeSchema = z
  .strictObject({
    scope: ArmResourceIdSchema,
    mode: oneOf(SCOPE_MODES, 'scope mode'),
    enforcement: oneOf(ENFORCEMENTS, 'enforcement').default('enforce'),
    allowed_roles: z.array(RoleReferenceSchema, { error: 'must be a list of role names or definition ids' }).max(100),
    break_glass: z.array(GuidSchema, { error: 'must be a list of principal object ids' }).max(20).default([]),
  })
  .superRefine((row, ctx) => {
    const seen = new Set<string>();
    row.allowed_roles.forEach((role, k) => {
      if (seen.has(role.toLowerCase()))
        ctx.addIssue({ code: 'custom', path: ['allowed_roles', k], message: `'${role}' is listed twice` });
      seen.add(role.toLowerCase());
    });
  });
export type ManagedScopeInput = z.input<typeof ManagedScopeSchema>;
export type ManagedScope = z.output<typeof ManagedScopeSchema>;
