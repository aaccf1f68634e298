import { z } from 'zod';

import {
  ArmResourceIdSchema,
  BooleanSchema,
  GuidSchema,
  IsoDateTimeSchema,
  oneOf,
  RoleReferenceSchema,
  RowIdSchema,
  textSchema,
} from '../primitives/fields';
import { expiresInFutureOnInsert, type WriteRule } from './write-context';

export const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal'] as const;
/** Data-plane reach a policy allows on top of its role: `inference-only` forbids data-plane reads on raw data stores. */
export const DATA_ACCESS = ['inference-only', 'read-only', 'read-write'] as const;

/** An access policy: who (principal) may hold which role at which scope, until when. */
export const AccessPolicySchema = z.strictObject({
  id: RowIdSchema,
  principal_id: GuidSchema,
  principal_type: oneOf(PRINCIPAL_TYPES, 'principal type'),
  role: RoleReferenceSchema,
  scope: ArmResourceIdSchema,
  data_access: oneOf(DATA_ACCESS, 'data access level').nullable().default(null),
  expires_at: IsoDateTimeSchema.nullable().default(null),
  justification: textSchema(1000),
  approved_by: GuidSchema.nullable().default(null),
  enabled: BooleanSchema.default(true),
});
export type AccessPolicyInput = z.input<typeof AccessPolicySchema>;
export type AccessPolicy = z.output<typeof AccessPolicySchema>;

export const accessPolicyWriteRules: WriteRule<AccessPolicy> = (row, ctx) =>
  expiresInFutureOnInsert('expires_at', row.expires_at, ctx);
