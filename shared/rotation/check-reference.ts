/**
 * Pure checks of a secret reference before a rotation touches anything (fail fast, vault untouched), and the steps a
 * rotation of it would take (the dry run's answer).
 */
import type { FieldIssue } from '../domain/errors';
import type { SecretReference } from '../domain/metadata/secret-reference.schema';
import { CONSUMER_KINDS, type ConsumerKind, rotatorEntry } from './rotator-registry';

/** Key Vault secret names are at most 127 characters; the staging secret appends `--pending`. */
export const MAX_ROTATED_NAME_LENGTH = 127 - '--pending'.length;

export interface RotationCheckSettings {
  /** `vault.azure.net` on the public cloud (WARDEN_KEYVAULT_DNS_SUFFIX). */
  readonly keyVaultDnsSuffix: string;
}

const isKind = (k: string): k is ConsumerKind => Object.hasOwn(CONSUMER_KINDS, k);

/** Everything that makes a rotation of `ref` impossible, by field; empty when it can run. */
export function checkReferenceForRotation(ref: SecretReference, settings: RotationCheckSettings): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const entry = rotatorEntry(ref.rotator);
  if (!entry) issues.push({ path: 'rotator', message: `unknown rotator '${ref.rotator}'` });
  else {
    const r = entry.config.safeParse(ref.rotator_config);
    if (!r.success)
      for (const i of r.error.issues)
        issues.push({ path: ['rotator_config', ...i.path.map(String)].join('.'), message: i.message });
  }
  const host = new URL(ref.vault_uri).hostname.toLowerCase();
  const suffix = settings.keyVaultDnsSuffix.toLowerCase().replace(/^\.+/, '');
  if (!host.endsWith(`.${suffix}`) || host.split('.').length !== suffix.split('.').length + 1)
    issues.push({ path: 'vault_uri', message: `must be a vault on ${suffix}, got ${host}` });
  if (ref.secret_name.length > MAX_ROTATED_NAME_LENGTH)
    issues.push({
      path: 'secret_name',
      message: `must be at most ${MAX_ROTATED_NAME_LENGTH} characters (the staging secret appends --pending)`,
    });
  ref.consumers.forEach((c, i) => {
    const path = `consumers.${i}`;
    if (!isKind(c.kind)) {
      issues.push({
        path: `${path}.kind`,
        message: `'${c.kind}' cannot be tested (known: ${Object.keys(CONSUMER_KINDS).join(', ')})`,
      });
      return;
    }
    const fields = c as Record<string, unknown>;
    if ((c.kind === 'databricks-job' || c.kind === 'storage-account') && typeof fields.target !== 'string')
      issues.push({ path: `${path}.target`, message: `a ${c.kind} consumer needs target (the resource id)` });
    if (
      c.kind === 'databricks-job' &&
      typeof fields.target === 'string' &&
      !/\/Microsoft\.Databricks\/workspaces\//i.test(fields.target)
    )
      issues.push({ path: `${path}.target`, message: 'must be a Databricks workspace id' });
    if (
      c.kind === 'storage-account' &&
      typeof fields.target === 'string' &&
      !/\/Microsoft\.Storage\/storageAccounts\//i.test(fields.target)
    )
      issues.push({ path: `${path}.target`, message: 'must be a storage account id' });
    if (c.kind === 'http-endpoint' || c.kind === 'vault-reader') {
      const url = fields.url;
      let ok: boolean;
      try {
        ok = typeof url === 'string' && new URL(url).protocol === 'https:';
      } catch {
        ok = false;
      }
      if (!ok) issues.push({ path: `${path}.url`, message: `a ${c.kind} consumer needs an https url` });
    }
  });
  return issues;
}

/** Consumers tested before publishing (they take the value) and after (vault readers; all of them when publishing first). */
export function consumerPhases(ref: SecretReference): { before: number; after: number } {
  const entry = rotatorEntry(ref.rotator);
  const publishFirst = entry?.publishFirst ?? false;
  const takesValue = ref.consumers.filter((c) => isKind(c.kind) && CONSUMER_KINDS[c.kind].sendsValue).length;
  const readers = ref.consumers.length - takesValue;
  return publishFirst ? { before: 0, after: ref.consumers.length } : { before: takesValue, after: readers };
}

/** The steps a rotation of `ref` takes, in order (the dry run). */
export function rotationSteps(ref: SecretReference): string[] {
  const entry = rotatorEntry(ref.rotator);
  const publishFirst = entry?.publishFirst ?? false;
  const { before, after } = consumerPhases(ref);
  const name = ref.secret_name;
  const steps = [
    `revoke what an orphaned staging secret ${name}--pending holds, if any`,
    `create a new credential with the ${ref.rotator} rotator${entry?.dualCredential ? ' (the old one keeps working)' : ''}`,
    `keep it in the staging secret ${name}--pending (tagged with the correlation id)`,
  ];
  if (!publishFirst && before > 0)
    steps.push(`test it against ${before} consumer(s) before publishing; on failure revoke it, vault untouched`);
  steps.push(`publish it as a new version of ${name} (tags warden.reference, warden.correlation; expiresOn)`);
  if (after > 0)
    steps.push(
      `verify ${after} consumer(s) after publishing; on failure write the previous value back as a newer version`,
    );
  steps.push('record the version in metadata (current_version, current_expires_at, last_rotated_at)');
  steps.push(`wait the grace period (${ref.grace_hours} h)`);
  steps.push(entry?.dualCredential ? 'retire the old credential' : 'nothing to retire outside the vault');
  steps.push(`remove the staging secret ${name}--pending`);
  return steps;
}
