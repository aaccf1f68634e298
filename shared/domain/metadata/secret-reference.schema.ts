import { z } from 'zod';

import {
  armResourceIdOf,
  ArmResourceIdSchema,
  GuidSchema,
  integer,
  IsoDateTimeSchema,
  noSecretValues,
  oneOf,
  RowIdSchema,
  shown,
  textSchema,
} from '../primitives/fields';

export const ROTATORS = ['random', 'storage-account-key', 'databricks-pat', 'http'] as const;
export type RotatorName = (typeof ROTATORS)[number];
export const SECRET_STATUSES = ['active', 'rotating', 'failed', 'disabled'] as const;

/**
 * Minimal per-rotator configuration checks; the rotator registry (rotation issue) owns the full config schemas.
 * Extra keys are kept, secret-looking keys refused everywhere.
 */
const ROTATOR_CONFIG: Record<RotatorName, z.ZodType> = {
  random: z.looseObject({ length: integer(16, 1024).optional() }),
  'storage-account-key': z.looseObject({
    accountResourceId: armResourceIdOf('Microsoft.Storage/storageAccounts', 'a storage account'),
    keyName: z.enum(['key1', 'key2'], { error: (iss) => `must be key1 or key2, got ${shown(iss.input)}` }).optional(),
  }),
  'databricks-pat': z.looseObject({
    workspaceResourceId: armResourceIdOf('Microsoft.Databricks/workspaces', 'a Databricks workspace'),
    servicePrincipalAppId: GuidSchema,
    lifetimeDays: integer(1, 730).optional(),
  }),
  http: z.looseObject({
    url: z
      .url({ protocol: /^https$/, error: (iss) => `must be an https URL, got ${shown(iss.input)}` })
      .refine((u) => !new URL(u).username && !new URL(u).password, {
        error: 'must not embed credentials: the rotator endpoint authenticates with Warden’s managed identity',
      }),
  }),
};

/** A consumer of a secret and how to test the new value against it before it is published. */
export const SecretConsumerSchema = z.looseObject({
  kind: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, { error: (iss) => `must be a consumer kind slug, got ${shown(iss.input)}` }),
  name: textSchema(256),
  target: ArmResourceIdSchema.optional(),
});

export const VaultUriSchema = z
  .url({ protocol: /^https$/, error: (iss) => `must be a Key Vault https URI, got ${shown(iss.input)}` })
  .superRefine((value, ctx) => {
    const u = new URL(value);
    if (u.pathname !== '/' || u.search || u.hash || u.username || u.password)
      ctx.addIssue({
        code: 'custom',
        message: `must be the vault's base URI (https://{vault}.vault.azure.net/), got ${shown(value)}`,
      });
  });

/** A reference to a Key Vault secret Warden rotates. Never holds the value: versions only. */
export const SecretReferenceSchema = z
  .strictObject({
    id: RowIdSchema,
    name: textSchema(256),
    vault_uri: VaultUriSchema,
    secret_name: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, {
      error: (iss) => `must be a Key Vault secret name (1-127 letters, digits, '-'), got ${shown(iss.input)}`,
    }),
    current_version: z
      .string()
      .regex(/^[0-9a-f]{32}$/i, {
        error: (iss) => `must be a Key Vault version id (32 hex digits), got ${shown(iss.input)}`,
      })
      .nullable()
      .default(null),
    /** When the current version expires in the vault (its `exp` attribute), if it has one. */
    current_expires_at: IsoDateTimeSchema.nullable().default(null),
    rotator: oneOf(ROTATORS, 'rotator'),
    rotator_config: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }).default({}),
    interval_days: integer(1, 3650),
    notify_before_days: integer(0, 365).default(7),
    grace_hours: integer(0, 720).default(24),
    consumers: z.array(SecretConsumerSchema, { error: 'must be a list of consumers' }).max(100).default([]),
    last_rotated_at: IsoDateTimeSchema.nullable().default(null),
    status: oneOf(SECRET_STATUSES, 'secret status').default('active'),
  })
  .superRefine((row, ctx) => {
    const config = ROTATOR_CONFIG[row.rotator].safeParse(row.rotator_config);
    if (!config.success) {
      for (const issue of config.error.issues)
        ctx.addIssue({ code: 'custom', path: ['rotator_config', ...issue.path.map(String)], message: issue.message });
    }
    noSecretValues(row.rotator_config, ctx, ['rotator_config']);
    noSecretValues(row.consumers, ctx, ['consumers']);
    if (row.notify_before_days >= row.interval_days)
      ctx.addIssue({
        code: 'custom',
        path: ['notify_before_days'],
        message: `must be less than interval_days (${row.interval_days}), got ${row.notify_before_days}`,
      });
  });
export type SecretReferenceInput = z.input<typeof SecretReferenceSchema>;
export type SecretReference = z.output<typeof SecretReferenceSchema>;
