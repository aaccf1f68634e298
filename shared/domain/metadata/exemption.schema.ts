import { z } from 'zod';

import {
  ArmResourceIdSchema,
  GuidSchema,
  IsoDateTimeSchema,
  oneOf,
  RowIdSchema,
  textSchema,
} from '../primitives/fields';
import { expiresInFutureOnInsert, type WriteRule } from './write-context';

export const EXEMPTION_KINDS = ['access', 'network', 'secret', 'model'] as const;

/** A time-boxed, approved exception every remediation honours; when it lapses the sweep reconciles again. */
export const ExemptionSchema = z.strictObject({
  id: RowIdSchema,
  target: ArmResourceIdSchema,
  kind: oneOf(EXEMPTION_KINDS, 'exemption kind'),
  reason: textSchema(1000),
  expires_at: IsoDateTimeSchema,
  approved_by: GuidSchema,
});
export type ExemptionInput = z.input<typeof ExemptionSchema>;
export type Exemption = z.output<typeof ExemptionSchema>;

export const exemptionWriteRules: WriteRule<Exemption> = (row, ctx) =>
  expiresInFutureOnInsert('expires_at', row.expires_at, ctx);
