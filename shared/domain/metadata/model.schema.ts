import { z } from 'zod';

import { armResourceIdOf, GuidSchema, IsoDateTimeSchema, oneOf, RowIdSchema, shown } from '../primitives/fields';
import { ONLINE_ENDPOINT_TYPE } from './alert-rule.schema';

export const MODEL_STAGES = ['Staging', 'Production', 'Quarantined', 'Archived'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

const ModelVersionSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  error: (iss) => `must be a model version (e.g. 3), got ${shown(iss.input)}`,
});

/**
 * One model version, the deployment that serves it, and its desired stage (mirrored to `warden.stage`).
 *
 * @remarks
 * The Azure ML model version is `model_version`, not `version`: every metadata row's `version` is its optimistic
 * concurrency token (DESIGN.md). The demo world file says `version`; the seeder maps it.
 */
export const ModelSchema = z
  .strictObject({
    id: RowIdSchema,
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, {
      error: (iss) => `must be an Azure ML model name, got ${shown(iss.input)}`,
    }),
    model_version: ModelVersionSchema,
    endpoint: armResourceIdOf(ONLINE_ENDPOINT_TYPE, 'an Azure ML online endpoint'),
    deployment: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{2,31}$/, {
      error: (iss) => `must be an online deployment name (3-32 letters, digits, '-'), got ${shown(iss.input)}`,
    }),
    stage: oneOf(MODEL_STAGES, 'model stage'),
    last_good_version: ModelVersionSchema.nullable().default(null),
    /** Quarantine re-check time; computed on write when absent (see `nextCheckAt`). */
    next_check_at: IsoDateTimeSchema.nullable().default(null),
    owner: GuidSchema,
  })
  .superRefine((row, ctx) => {
    if (row.last_good_version !== null && row.last_good_version === row.model_version)
      ctx.addIssue({
        code: 'custom',
        path: ['last_good_version'],
        message: `cannot be the version itself (${row.model_version})`,
      });
  });
export type ModelInput = z.input<typeof ModelSchema>;
export type Model = z.output<typeof ModelSchema>;
