/**
 * The rotator registry: what each rotator is, declared once — name, full config schema, the Azure permissions its
 * calls need, whether it uses dual credentials and whether it publishes before verifying — plus an example config
 * (docs and the registry meta-test). No I/O here: orchestrators, the API's dry run and the tests import it; the
 * implementations (`rotators.ts`) take their ports from the composition root.
 */
import { z } from 'zod';

import type { RotatorName } from '../domain/metadata/secret-reference.schema';
import { armResourceIdOf, GuidSchema, integer, shown } from '../domain/primitives/fields';

/** Key Vault data actions every rotation needs on the reference's vault (Key Vault Secrets Officer covers them). */
export const VAULT_DATA_ACTIONS = [
  'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  'Microsoft.KeyVault/vaults/secrets/update/action',
  'Microsoft.KeyVault/vaults/secrets/delete',
] as const;

export interface RotatorEntry<C = unknown> {
  readonly name: RotatorName;
  readonly description: string;
  /** The full config schema (strict: a typo fails the rotation fast instead of being ignored). */
  readonly config: z.ZodType<C>;
  /** ARM control-plane actions the rotator's own calls need (beyond the vault's data actions). */
  readonly permissions: readonly string[];
  /** Data-plane rights outside Azure RBAC (workspace admin, an app role on an issuer), in words. */
  readonly dataPlaneRights: readonly string[];
  /** Two credentials live at once (the old one keeps working until retired after the grace period). */
  readonly dualCredential: boolean;
  /** Consumers can only learn the value from the vault: publish first, then verify; republish the previous on failure. */
  readonly publishFirst: boolean;
  /** A valid `rotator_config` (docs, meta-test). */
  readonly example: Readonly<Record<string, unknown>>;
}

const SUB = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml/providers';

export const PasswordPolicySchema = z.strictObject({
  lowercase: z.boolean().default(true),
  uppercase: z.boolean().default(true),
  digits: z.boolean().default(true),
  symbols: z.boolean().default(false),
});

export const RandomConfigSchema = z
  .strictObject({
    length: integer(16, 1024).default(32),
    policy: PasswordPolicySchema.default({ lowercase: true, uppercase: true, digits: true, symbols: false }),
  })
  .refine((c) => c.policy.lowercase || c.policy.uppercase || c.policy.digits || c.policy.symbols, {
    path: ['policy'],
    error: 'must allow at least one character class',
  });
export type RandomConfig = z.output<typeof RandomConfigSchema>;

export const StorageAccountKeyConfigSchema = z.strictObject({
  accountResourceId: armResourceIdOf('Microsoft.Storage/storageAccounts', 'a storage account'),
  /** The key to publish first when the vault holds neither key yet. */
  keyName: z
    .enum(['key1', 'key2'], { error: (iss) => `must be key1 or key2, got ${shown(iss.input)}` })
    .default('key1'),
});
export type StorageAccountKeyConfig = z.output<typeof StorageAccountKeyConfigSchema>;

export const DatabricksPatConfigSchema = z.strictObject({
  workspaceResourceId: armResourceIdOf('Microsoft.Databricks/workspaces', 'a Databricks workspace'),
  /** The service principal the token is issued for (on behalf of). */
  servicePrincipalAppId: GuidSchema,
  lifetimeDays: integer(1, 730).default(90),
});
export type DatabricksPatConfig = z.output<typeof DatabricksPatConfigSchema>;

export const HttpConfigSchema = z.strictObject({
  url: z
    .url({ protocol: /^https$/, error: (iss) => `must be an https URL, got ${shown(iss.input)}` })
    .refine((u) => !new URL(u).username && !new URL(u).password, { error: 'must not embed credentials' }),
  /** The Entra audience of Warden's managed-identity token for the issuer. */
  audience: z.string().min(1).max(256).default('api://credential-issuer'),
  lifetimeSeconds: integer(60, 63_072_000).optional(),
});
export type HttpConfig = z.output<typeof HttpConfigSchema>;

function entry<C>(e: RotatorEntry<C>): RotatorEntry<C> {
  return e;
}

export const ROTATOR_REGISTRY = {
  random: entry({
    name: 'random',
    description: 'A generated password under a policy; its consumers read it from the vault (publish first, verify).',
    config: RandomConfigSchema,
    permissions: [],
    dataPlaneRights: [],
    dualCredential: false,
    publishFirst: true,
    example: { length: 40, policy: { lowercase: true, uppercase: true, digits: true, symbols: false } },
  }),
  'storage-account-key': entry({
    name: 'storage-account-key',
    description: 'Storage account keys: regenerate the key not in use, publish it, regenerate the old one after grace.',
    config: StorageAccountKeyConfigSchema,
    permissions: [
      'Microsoft.Storage/storageAccounts/listKeys/action',
      'Microsoft.Storage/storageAccounts/regenerateKey/action',
    ],
    dataPlaneRights: [],
    dualCredential: true,
    publishFirst: false,
    example: { accountResourceId: `${SUB}/Microsoft.Storage/storageAccounts/stfraudraw`, keyName: 'key1' },
  }),
  'databricks-pat': entry({
    name: 'databricks-pat',
    description: 'A Databricks token issued on behalf of the reference’s service principal; the old one is revoked.',
    config: DatabricksPatConfigSchema,
    permissions: ['Microsoft.Databricks/workspaces/read'],
    dataPlaneRights: ['Databricks workspace admin (token-management: on-behalf-of tokens, delete tokens)'],
    dualCredential: true,
    publishFirst: false,
    example: {
      workspaceResourceId: `${SUB}/Microsoft.Databricks/workspaces/dbw-fraud`,
      servicePrincipalAppId: 'c1668f6c-5b42-4098-a44a-b87b56c1e998',
      lifetimeDays: 45,
    },
  }),
  http: entry({
    name: 'http',
    description: 'A credential issuer endpoint: POST {url}/credentials issues, DELETE {url}/credentials/{id} revokes.',
    config: HttpConfigSchema,
    permissions: [],
    dataPlaneRights: ['An app role on the issuer’s Entra application (the configured audience)'],
    dualCredential: true,
    publishFirst: false,
    example: { url: 'https://creds.pipelines.contoso.example', audience: 'api://credential-issuer' },
  }),
} as const satisfies Record<RotatorName, Pick<RotatorEntry, 'name' | 'permissions' | 'publishFirst'>>;

/** The registry entry of a rotator name (undefined for a name the registry does not know). */
export function rotatorEntry(name: string): RotatorEntry | undefined {
  return (ROTATOR_REGISTRY as Record<string, RotatorEntry | undefined>)[name];
}

/** Consumer kinds Warden can test, and whether the test needs the value (vault readers read the vault themselves). */
export const CONSUMER_KINDS = {
  'databricks-job': { sendsValue: true },
  'storage-account': { sendsValue: true },
  'http-endpoint': { sendsValue: true },
  'vault-reader': { sendsValue: false },
} as const;
export type ConsumerKind = keyof typeof CONSUMER_KINDS;

/** Checks every registry entry the way startup must: unique names matching their keys, permissions declared. */
export function checkRotatorRegistry(entries: Readonly<Record<string, RotatorEntry>>): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [key, e] of Object.entries(entries)) {
    if (e.name !== key) problems.push(`entry '${key}' is named '${e.name}'`);
    if (seen.has(e.name.toLowerCase())) problems.push(`'${e.name}' is registered twice`);
    seen.add(e.name.toLowerCase());
    if (!Array.isArray(e.permissions)) problems.push(`'${e.name}' declares no permissions list`);
    for (const p of e.permissions)
      if (!/^Microsoft\.[A-Za-z]+\/[A-Za-z0-9/]+(\/action|\/read|\/write|\/delete)$/.test(p))
        problems.push(`'${e.name}' declares '${p}', not an ARM action`);
  }
  if (problems.length > 0) throw new Error(`Invalid rotator registry: ${problems.join('; ')}`);
}

checkRotatorRegistry(ROTATOR_REGISTRY);
