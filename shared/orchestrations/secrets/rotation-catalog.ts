/**
 * The catalogue of `rotateSecret` and its activities: names, input schemas, outputs and the Azure permissions each
 * needs (CONVENTIONS 2). No handlers and no I/O, so the orchestrator imports it. Inputs and outputs carry ids,
 * versions and fingerprints — never a credential value: values move between steps only through the staging secret.
 */
import { z } from 'zod';

import { RowIdSchema } from '../../domain/primitives/fields';
import { VAULT_DATA_ACTIONS } from '../../rotation/rotator-registry';
import { type CatalogEntry, checkCatalog } from '../catalog-registry';

const CorrelationIdSchema = z.string().min(1).max(128);
const ActorSchema = z.string().min(1).max(256);
const VersionSchema = z.string().regex(/^[0-9a-zA-Z]{1,64}$/);
const IsoSchema = z.iso.datetime({ offset: true });
const CredentialIdSchema = z.string().min(1).max(256);

export const RotateSecretInputSchema = z.strictObject({
  referenceId: RowIdSchema,
  correlationId: CorrelationIdSchema,
  requestedBy: ActorSchema,
  reason: z.string().min(1).max(1000),
});
export type RotateSecretInput = z.output<typeof RotateSecretInputSchema>;

const Common = { referenceId: RowIdSchema, correlationId: CorrelationIdSchema, actor: ActorSchema };

export const PrepareInputSchema = z.strictObject({ ...Common, reason: z.string().min(1).max(1000), now: IsoSchema });
export const CreateInputSchema = z.strictObject({ ...Common });
export const TestInputSchema = z.strictObject({
  ...Common,
  /** before-publish: the staged value against consumers that take it; after-publish: vault readers report the version. */
  phase: z.enum(['before-publish', 'after-publish']),
  stagingVersion: VersionSchema,
  publishedVersion: VersionSchema.nullable(),
});
export const RevokeNewInputSchema = z.strictObject({
  ...Common,
  stagingVersion: VersionSchema,
  credentialId: CredentialIdSchema,
  reason: z.string().min(1).max(2000),
});
export const PublishInputSchema = z.strictObject({
  ...Common,
  stagingVersion: VersionSchema,
  expiresOn: IsoSchema,
});
export const RecordInputSchema = z.strictObject({
  ...Common,
  version: VersionSchema,
  expiresOn: IsoSchema.nullable(),
});
export const RollbackInputSchema = z.strictObject({
  ...Common,
  /** The version published by this run; null when the publish failed for good (the activity checks the vault). */
  failedVersion: VersionSchema.nullable(),
  previousVersion: VersionSchema.nullable(),
  stagingVersion: VersionSchema,
  credentialId: CredentialIdSchema,
  reason: z.string().min(1).max(2000),
});
export const RetireInputSchema = z.strictObject({
  ...Common,
  /** The old credential (null: unknown — e.g. a value someone else put in the vault — nothing to retire). */
  previousCredentialId: CredentialIdSchema.nullable(),
  newCredentialId: CredentialIdSchema,
});
export const FailInputSchema = z.strictObject({
  ...Common,
  step: z.string().min(1).max(64),
  reason: z.string().min(1).max(2000),
});

// ------------------------------------------------------------------ outputs

/** What `prepare` found. `ready` carries what the run needs; every other status ends the run (already audited). */
export type PreparedRotation =
  | { readonly status: 'not-found' | 'disabled' | 'invalid'; readonly reason: string }
  | {
      readonly status: 'ready';
      readonly rotator: string;
      readonly publishFirst: boolean;
      readonly graceHours: number;
      readonly previousVersion: string | null;
      readonly previousCredentialId: string | null;
      /** Consumers tested before publishing (they take the value) and after (vault readers). */
      readonly testsBefore: number;
      readonly testsAfter: number;
    };

export interface CreatedCredential {
  readonly stagingVersion: string;
  readonly credentialId: string;
  readonly fingerprint: string;
  /** The vault `expiresOn` the new version gets. */
  readonly expiresOn: string;
  readonly replaces: string | null;
}

export interface ConsumerResult {
  readonly name: string;
  readonly kind: string;
  readonly ok: boolean;
  readonly detail: string;
}
export interface TestResult {
  readonly ok: boolean;
  readonly results: readonly ConsumerResult[];
}

export interface PublishedVersion {
  readonly version: string;
  readonly expiresOn: string | null;
}

export interface RotationResult {
  readonly status: 'rotated' | 'test-failed' | 'rolled-back' | 'failed' | 'not-found' | 'disabled' | 'invalid';
  readonly referenceId: string;
  readonly version: string | null;
  readonly previousVersion: string | null;
  readonly reason: string;
  /** Retiring the old credential failed after a successful rotation (audited; the new one is in place). */
  readonly retireFailed?: boolean;
}

// ------------------------------------------------------------------ the catalogue

function entry<I extends z.ZodType>(e: CatalogEntry<I>): CatalogEntry<I> {
  return e;
}
const READ = [
  'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  'Microsoft.KeyVault/vaults/secrets/getSecret/action',
];

export const ROTATION_ORCHESTRATION = entry({
  name: 'rotateSecret',
  kind: 'orchestration',
  input: RotateSecretInputSchema,
  permissions: [],
  supportsDryRun: true,
  description:
    'Rotates the credential behind one secret reference: create, stage, test, publish, record, grace, retire.',
});

export const ROTATION_ACTIVITIES = {
  prepare: entry({
    name: 'secret-rotation-prepare',
    kind: 'activity',
    input: PrepareInputSchema,
    permissions: [...VAULT_DATA_ACTIONS],
    supportsDryRun: true,
    description:
      'Loads the reference, checks its config, reads the current version, revokes what an orphaned staging secret holds; marks it rotating.',
  }),
  create: entry({
    name: 'secret-rotation-create',
    kind: 'activity',
    input: CreateInputSchema,
    permissions: [
      ...READ,
      'Microsoft.KeyVault/vaults/secrets/setSecret/action',
      'Microsoft.Storage/storageAccounts/listKeys/action',
      'Microsoft.Storage/storageAccounts/regenerateKey/action',
      'Microsoft.Databricks/workspaces/read',
    ],
    supportsDryRun: false,
    description: 'Issues the new credential through the rotator and keeps it in the staging secret `<name>--pending`.',
  }),
  test: entry({
    name: 'secret-rotation-test',
    kind: 'activity',
    input: TestInputSchema,
    permissions: [...READ, 'Microsoft.Databricks/workspaces/read'],
    supportsDryRun: false,
    description: 'Tests the staged (or published) credential against every consumer.',
  }),
  revokeNew: entry({
    name: 'secret-rotation-revoke-new',
    kind: 'activity',
    input: RevokeNewInputSchema,
    permissions: [
      ...VAULT_DATA_ACTIONS,
      'Microsoft.Storage/storageAccounts/regenerateKey/action',
      'Microsoft.Databricks/workspaces/read',
    ],
    supportsDryRun: false,
    description:
      'A failed test: revokes the new credential, removes the staging secret; the vault’s secret is untouched.',
  }),
  publish: entry({
    name: 'secret-rotation-publish',
    kind: 'activity',
    input: PublishInputSchema,
    permissions: [...READ, 'Microsoft.KeyVault/vaults/secrets/setSecret/action'],
    supportsDryRun: false,
    description: 'Sets the staged value as a new version tagged with the reference, correlation id and fingerprint.',
  }),
  record: entry({
    name: 'secret-rotation-record',
    kind: 'activity',
    input: RecordInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'Records the new version in metadata (current_version, current_expires_at, last_rotated_at, status).',
  }),
  rollback: entry({
    name: 'secret-rotation-rollback',
    kind: 'activity',
    input: RollbackInputSchema,
    permissions: [
      ...VAULT_DATA_ACTIONS,
      'Microsoft.Storage/storageAccounts/regenerateKey/action',
      'Microsoft.Databricks/workspaces/read',
    ],
    supportsDryRun: false,
    description:
      'A failure after publishing: writes the previous value back as a newer version, revokes the new credential.',
  }),
  retire: entry({
    name: 'secret-rotation-retire',
    kind: 'activity',
    input: RetireInputSchema,
    permissions: [
      ...VAULT_DATA_ACTIONS,
      'Microsoft.Storage/storageAccounts/regenerateKey/action',
      'Microsoft.Databricks/workspaces/read',
    ],
    supportsDryRun: false,
    description: 'After the grace period: retires the old credential and removes the staging secret.',
  }),
  fail: entry({
    name: 'secret-rotation-fail',
    kind: 'activity',
    input: FailInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'Records a failed rotation (status failed), audits and notifies.',
  }),
} as const;

export const ROTATION_CATALOG: ReadonlyMap<string, CatalogEntry> = checkCatalog([
  ROTATION_ORCHESTRATION,
  ...Object.values(ROTATION_ACTIVITIES),
]);

/** The one instance id per reference: a second trigger finds the running rotation and joins it. */
export function rotateSecretInstanceId(referenceId: string): string {
  return `rotateSecret-${referenceId}`;
}

/** Staging secret name of a secret. */
export function stagingSecretName(secretName: string): string {
  return `${secretName}--pending`;
}

/** Tags Warden writes on versions it sets. */
export const TAGS = {
  reference: 'warden.reference',
  correlation: 'warden.correlation',
  credential: 'warden.credential',
  fingerprint: 'warden.fingerprint',
  rollbackOf: 'warden.rollback-of',
  replaces: 'warden.replaces',
} as const;
