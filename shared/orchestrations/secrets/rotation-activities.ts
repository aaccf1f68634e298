/**
 * The activities of `rotateSecret`. Each parses its input against the catalogue schema, re-reads what it acts on,
 * is idempotent where a retry or replay can repeat it, and audits and notifies its step. Values are read from the
 * vault only where a step needs them (create: the storage key in use; test: the staged value; publish: the staged
 * value; rollback: the previous value) and never leave the activity: outputs, audit entries, notifications and
 * errors carry versions, credential ids and fingerprints.
 */
import { CloudAuthorizationError } from '../../cloud/ports/cloud-authorization-error';
import type { SecretVersionProperties } from '../../cloud/ports/secret-vault.port';
import { PreconditionFailedError, ValidationError } from '../../domain/errors';
import type { SecretReference } from '../../domain/metadata/secret-reference.schema';
import { checkReferenceForRotation, consumerPhases } from '../../rotation/check-reference';
import { fingerprint } from '../../rotation/fingerprint';
import { CONSUMER_KINDS, rotatorEntry } from '../../rotation/rotator-registry';
import { type RotationContext, versionExpiry } from '../../rotation/rotators';
import { parseInput } from '../remediation-activities';
import {
  type ConsumerResult,
  type CreatedCredential,
  CreateInputSchema,
  FailInputSchema,
  type PreparedRotation,
  PrepareInputSchema,
  type PublishedVersion,
  PublishInputSchema,
  RecordInputSchema,
  RetireInputSchema,
  RevokeNewInputSchema,
  RollbackInputSchema,
  ROTATION_ACTIVITIES as A,
  stagingSecretName,
  TAGS,
  TestInputSchema,
  type TestResult,
} from './rotation-catalog';
import { type RotationDeps, SECRET_NOTIFICATIONS } from './rotation-deps';

type Ref = SecretReference & { readonly version: number };

const target = (id: string): string => `secret_references/${id}`;
const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 500);

export function createRotationActivities(deps: RotationDeps) {
  const { store, vault, notifier } = deps;

  /** Audits one step and notifies it (a failed publish is audited, never undoes the step). */
  async function report(
    step: string,
    ref: { id: string },
    io: { correlationId: string; actor: string },
    reason: string,
    after: Record<string, unknown>,
    type: string = SECRET_NOTIFICATIONS.step,
  ): Promise<void> {
    await store.audit.append({
      actor: io.actor,
      action: `secret.rotation.${step}`,
      target: target(ref.id),
      after: { step, ...after },
      reason,
      correlationId: io.correlationId,
    });
    try {
      await notifier.publish([
        {
          id: `${io.correlationId}:${step}`.slice(0, 200),
          type,
          subject: target(ref.id),
          data: { referenceId: ref.id, step, reason, ...after },
          correlationId: io.correlationId,
        },
      ]);
    } catch (e) {
      await store.audit.append({
        actor: 'warden',
        action: 'notification.failed',
        target: target(ref.id),
        reason: `${type} (${step}) could not be published: ${describe(e).slice(0, 300)}`,
        correlationId: io.correlationId,
      });
    }
  }

  async function load(id: string): Promise<Ref> {
    return store.secretReferences.require(id);
  }

  /** Writes the given fields of the reference (re-read, version-checked, a few attempts against concurrent edits). */
  async function update(
    id: string,
    change: Partial<SecretReference>,
    io: { correlationId: string; actor: string },
    reason: string,
  ): Promise<Ref> {
    for (let attempt = 1; ; attempt++) {
      const ref = await load(id);
      const { version, ...fields } = ref;
      try {
        return await store.secretReferences.upsert(
          { ...fields, ...change },
          { actor: io.actor, reason, correlationId: io.correlationId, expectedVersion: version },
        );
      } catch (e) {
        if (!(e instanceof PreconditionFailedError) || attempt >= 5) throw e;
      }
    }
  }

  function rotator(ref: SecretReference) {
    const r = deps.rotators[ref.rotator];
    if (!r) throw new Error(`BUG: no implementation of rotator ${ref.rotator}`);
    return r;
  }

  function context(ref: SecretReference, correlationId: string): RotationContext {
    return {
      reference: ref,
      correlationId,
      now: deps.clock.now(),
      currentValue: () => vault.getValue(ref.vault_uri, ref.secret_name),
    };
  }

  async function stagingProps(ref: SecretReference, version: string): Promise<SecretVersionProperties | undefined> {
    return vault.getProperties(ref.vault_uri, stagingSecretName(ref.secret_name), version);
  }

  async function stagedValue(ref: SecretReference, version: string): Promise<string> {
    const value = await vault.getValue(ref.vault_uri, stagingSecretName(ref.secret_name), version);
    if (value === undefined)
      throw new ValidationError('staging secret', [
        { path: stagingSecretName(ref.secret_name), message: `version ${version} is gone` },
      ]);
    return value;
  }

  /** Refuses a vault write on something that does not belong to this reference (the tags say whose it is). */
  function ownsStaging(ref: SecretReference, p: SecretVersionProperties | undefined, correlationId: string): boolean {
    return p?.tags[TAGS.reference] === ref.id && p.tags[TAGS.correlation] === correlationId;
  }

  return {
    [A.prepare.name]: async (raw: unknown): Promise<PreparedRotation> => {
      const input = parseInput(A.prepare.name, PrepareInputSchema, raw);
      const ref = (await store.secretReferences.get(input.referenceId)) as Ref | undefined;
      if (!ref) {
        await store.audit.append({
          actor: input.actor,
          action: 'secret.rotation.not-found',
          target: target(input.referenceId),
          reason: `no secret reference '${input.referenceId}'`,
          correlationId: input.correlationId,
        });
        return { status: 'not-found', reason: `secret reference '${input.referenceId}' does not exist` };
      }
      if (ref.status === 'disabled') {
        await report('skipped', ref, input, 'the reference is disabled', { status: ref.status });
        return { status: 'disabled', reason: 'the reference is disabled' };
      }
      const issues = checkReferenceForRotation(ref, deps.settings);
      const invalid = async (reason: string, extra: Record<string, unknown>): Promise<PreparedRotation> => {
        await report('invalid', ref, input, reason, extra, SECRET_NOTIFICATIONS.failed);
        await update(ref.id, { status: 'failed' }, input, `rotation refused: ${reason}`.slice(0, 1000));
        return { status: 'invalid', reason };
      };
      if (issues.length > 0)
        return invalid(
          `invalid configuration, nothing changed: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
          { issues },
        );
      const entry = rotatorEntry(ref.rotator);
      if (!entry) throw new Error(`BUG: ${ref.rotator} passed the check`);

      let current: SecretVersionProperties | undefined;
      let staging: SecretVersionProperties | undefined;
      try {
        current = await vault.getProperties(ref.vault_uri, ref.secret_name);
        staging = await vault.getProperties(ref.vault_uri, stagingSecretName(ref.secret_name));
      } catch (e) {
        // Permanent: Warden may not read this vault, or the vault refused the request as invalid.
        if (e instanceof CloudAuthorizationError || e instanceof ValidationError)
          return invalid(`the vault refused Warden, nothing changed: ${describe(e)}`, {});
        throw e;
      }

      // An orphaned staging secret (a rotation that died before cleaning up): revoke what it holds unless it is the
      // credential already published, then remove it.
      if (staging) {
        const held = staging.tags[TAGS.credential];
        const published =
          (staging.tags[TAGS.fingerprint] !== undefined &&
            staging.tags[TAGS.fingerprint] === current?.tags[TAGS.fingerprint]) ||
          (held !== undefined && held === current?.tags[TAGS.credential]);
        if (!published && held) await rotator(ref).revoke(ref.rotator_config, held, context(ref, input.correlationId));
        await vault.removeSecret(ref.vault_uri, stagingSecretName(ref.secret_name));
        await report(
          published ? 'staging-removed' : 'orphan-revoked',
          ref,
          input,
          published
            ? 'a leftover staging secret held the published credential: removed'
            : 'an orphaned staging secret of an unfinished rotation: its credential revoked, the staging secret removed',
          {
            stagingVersion: staging.version,
            credentialId: held ?? null,
            fingerprint: staging.tags[TAGS.fingerprint] ?? null,
            orphanCorrelationId: staging.tags[TAGS.correlation] ?? null,
          },
        );
      }

      const ours = current?.tags[TAGS.reference] === ref.id;
      const phases = consumerPhases(ref);
      await update(ref.id, { status: 'rotating' }, input, `rotation started: ${input.reason}`.slice(0, 1000));
      await report('started', ref, input, input.reason, {
        rotator: ref.rotator,
        previousVersion: current?.version ?? null,
        previousFingerprint: current?.tags[TAGS.fingerprint] ?? null,
        publishFirst: entry.publishFirst,
      });
      return {
        status: 'ready',
        rotator: ref.rotator,
        publishFirst: entry.publishFirst,
        graceHours: ref.grace_hours,
        previousVersion: current?.version ?? null,
        previousCredentialId: ours ? (current?.tags[TAGS.credential] ?? null) : null,
        testsBefore: phases.before,
        testsAfter: phases.after,
      };
    },

    [A.create.name]: async (raw: unknown): Promise<CreatedCredential> => {
      const input = parseInput(A.create.name, CreateInputSchema, raw);
      const ref = await load(input.referenceId);
      const stagingName = stagingSecretName(ref.secret_name);
      // A replayed or repeated call finds what it staged (same correlation id) instead of issuing a second one.
      const existing = await vault.getProperties(ref.vault_uri, stagingName);
      if (existing && ownsStaging(ref, existing, input.correlationId)) {
        const credentialId = existing.tags[TAGS.credential] ?? '';
        return {
          stagingVersion: existing.version,
          credentialId,
          fingerprint: existing.tags[TAGS.fingerprint] ?? '',
          expiresOn: existing.expiresOn ?? versionExpiry(null, ref.interval_days, deps.clock.now()),
          replaces: existing.tags[TAGS.replaces] ?? null,
        };
      }
      const ctx = context(ref, input.correlationId);
      const issued = await rotator(ref).issue(ref.rotator_config, ctx);
      const fp = fingerprint(issued.value);
      const expiresOn = versionExpiry(issued.expiresOn, ref.interval_days, ctx.now);
      let staged: SecretVersionProperties;
      try {
        staged = await vault.setSecret(ref.vault_uri, stagingName, issued.value, {
          contentType: issued.contentType,
          expiresOn,
          tags: {
            [TAGS.reference]: ref.id,
            [TAGS.correlation]: input.correlationId,
            [TAGS.credential]: issued.credentialId,
            [TAGS.fingerprint]: fp,
            ...(issued.replaces ? { [TAGS.replaces]: issued.replaces } : {}),
          },
        });
      } catch (e) {
        // Nothing holds the new credential: revoke it now rather than leave it live and unknown.
        await rotator(ref)
          .revoke(ref.rotator_config, issued.credentialId, ctx)
          .catch(() => undefined);
        throw e;
      }
      await report('created', ref, input, `new credential staged in ${stagingName}`, {
        stagingVersion: staged.version,
        credentialId: issued.credentialId,
        fingerprint: fp,
        expiresOn,
      });
      return {
        stagingVersion: staged.version,
        credentialId: issued.credentialId,
        fingerprint: fp,
        expiresOn,
        replaces: issued.replaces,
      };
    },

    [A.test.name]: async (raw: unknown): Promise<TestResult> => {
      const input = parseInput(A.test.name, TestInputSchema, raw);
      const ref = await load(input.referenceId);
      const entry = rotatorEntry(ref.rotator);
      const after = input.phase === 'after-publish';
      const wanted = ref.consumers.filter((c) => {
        const kind = CONSUMER_KINDS[c.kind as keyof typeof CONSUMER_KINDS];
        if (!kind) return !after; // unknown kinds fail before publishing (prepare refuses them anyway)
        return after ? !kind.sendsValue || (entry?.publishFirst ?? false) : kind.sendsValue;
      });
      let value: string | undefined;
      const results: ConsumerResult[] = [];
      for (const c of wanted) {
        const kind = CONSUMER_KINDS[c.kind as keyof typeof CONSUMER_KINDS];
        if (kind?.sendsValue && value === undefined) value = await stagedValue(ref, input.stagingVersion);
        const check = await deps.consumers.check(c, kind?.sendsValue ? value : undefined);
        let ok = check.ok;
        let detail = check.detail;
        if (ok && !kind?.sendsValue && after) {
          ok = check.version === input.publishedVersion;
          if (!ok) detail = `${detail}; expected version ${input.publishedVersion ?? '(none)'}`;
        }
        results.push({ name: c.name, kind: c.kind, ok, detail });
      }
      const ok = results.every((r) => r.ok);
      await report(
        after ? 'verified-after-publish' : 'tested-before-publish',
        ref,
        input,
        ok
          ? `${results.length} consumer(s) work with the new credential`
          : `${results.filter((r) => !r.ok).length} consumer(s) failed`,
        { ok, results, stagingVersion: input.stagingVersion, publishedVersion: input.publishedVersion },
      );
      return { ok, results };
    },

    [A.revokeNew.name]: async (raw: unknown): Promise<null> => {
      const input = parseInput(A.revokeNew.name, RevokeNewInputSchema, raw);
      const ref = await load(input.referenceId);
      await rotator(ref).revoke(ref.rotator_config, input.credentialId, context(ref, input.correlationId));
      await vault.removeSecret(ref.vault_uri, stagingSecretName(ref.secret_name));
      await update(ref.id, { status: 'failed' }, input, `rotation failed: ${input.reason}`.slice(0, 1000));
      await report(
        'new-credential-revoked',
        ref,
        input,
        `${input.reason}; the new credential was revoked and the vault's secret left untouched`,
        { credentialId: input.credentialId, stagingVersion: input.stagingVersion, currentVersion: ref.current_version },
        SECRET_NOTIFICATIONS.failed,
      );
      return null;
    },

    [A.publish.name]: async (raw: unknown): Promise<PublishedVersion> => {
      const input = parseInput(A.publish.name, PublishInputSchema, raw);
      const ref = await load(input.referenceId);
      const staged = await stagingProps(ref, input.stagingVersion);
      if (!staged || !ownsStaging(ref, staged, input.correlationId))
        throw new ValidationError('staging secret', [
          {
            path: stagingSecretName(ref.secret_name),
            message: `version ${input.stagingVersion} is not this rotation's`,
          },
        ]);
      // Idempotent: a retry after a set whose answer was lost finds its version (same correlation and fingerprint).
      const latest = await vault.getProperties(ref.vault_uri, ref.secret_name);
      const fp = staged.tags[TAGS.fingerprint] ?? '';
      let published: SecretVersionProperties;
      if (latest && latest.tags[TAGS.correlation] === input.correlationId && latest.tags[TAGS.fingerprint] === fp) {
        published = latest;
      } else {
        published = await vault.setSecret(
          ref.vault_uri,
          ref.secret_name,
          await stagedValue(ref, input.stagingVersion),
          {
            contentType: staged.contentType ?? 'text/plain',
            expiresOn: input.expiresOn,
            tags: {
              [TAGS.reference]: ref.id,
              [TAGS.correlation]: input.correlationId,
              [TAGS.credential]: staged.tags[TAGS.credential] ?? '',
              [TAGS.fingerprint]: fp,
            },
          },
        );
      }
      await report('published', ref, input, `published as version ${published.version}`, {
        version: published.version,
        previousVersion: latest && latest.version !== published.version ? latest.version : ref.current_version,
        fingerprint: fp,
        expiresOn: published.expiresOn,
      });
      return { version: published.version, expiresOn: published.expiresOn };
    },

    [A.record.name]: async (raw: unknown): Promise<null> => {
      const input = parseInput(A.record.name, RecordInputSchema, raw);
      const now = deps.clock.now().toISOString();
      const before = await load(input.referenceId);
      const ref = await update(
        input.referenceId,
        { current_version: input.version, current_expires_at: input.expiresOn, last_rotated_at: now, status: 'active' },
        input,
        `rotated to version ${input.version}`,
      );
      await report(
        'recorded',
        ref,
        input,
        `metadata now points at version ${input.version}`,
        {
          version: input.version,
          previousVersion: before.current_version,
          expiresOn: input.expiresOn,
          lastRotatedAt: now,
        },
        SECRET_NOTIFICATIONS.rotated,
      );
      return null;
    },

    [A.rollback.name]: async (raw: unknown): Promise<{ version: string | null }> => {
      const input = parseInput(A.rollback.name, RollbackInputSchema, raw);
      const ref = await load(input.referenceId);
      let restored: SecretVersionProperties | null = null;
      let failedVersion = input.failedVersion;
      if (failedVersion === null) {
        // The publish failed for good: its set may still have reached the vault (the answer lost). Our version is the
        // latest with this run's correlation id and credential; a rollback of it (a retry of this activity) counts too.
        const latest = await vault.getProperties(ref.vault_uri, ref.secret_name);
        if (latest?.tags[TAGS.correlation] === input.correlationId) {
          failedVersion =
            latest.tags[TAGS.rollbackOf] ??
            (latest.tags[TAGS.credential] === input.credentialId ? latest.version : null);
        }
      }
      if (failedVersion === null) {
        // Nothing of this run was published: the vault's secret stays as it is.
      } else if (input.previousVersion) {
        const latest = await vault.getProperties(ref.vault_uri, ref.secret_name);
        if (latest && latest.tags[TAGS.rollbackOf] === failedVersion) restored = latest;
        else {
          const previous = await vault.getProperties(ref.vault_uri, ref.secret_name, input.previousVersion);
          const value = await vault.getValue(ref.vault_uri, ref.secret_name, input.previousVersion);
          if (value === undefined || !previous)
            throw new ValidationError('previous version', [
              { path: ref.secret_name, message: `version ${input.previousVersion} is gone; cannot roll back` },
            ]);
          restored = await vault.setSecret(ref.vault_uri, ref.secret_name, value, {
            contentType: previous.contentType ?? 'text/plain',
            expiresOn: previous.expiresOn,
            tags: {
              ...Object.fromEntries(Object.entries(previous.tags).filter(([k]) => !k.startsWith('warden.'))),
              [TAGS.reference]: ref.id,
              [TAGS.correlation]: input.correlationId,
              [TAGS.rollbackOf]: failedVersion,
              [TAGS.fingerprint]: fingerprint(value),
              ...(previous.tags[TAGS.credential] ? { [TAGS.credential]: previous.tags[TAGS.credential] } : {}),
            },
          });
        }
      } else {
        // Nothing to go back to: the failed version is disabled so no reader gets a credential that does not work.
        await vault.updateProperties(ref.vault_uri, ref.secret_name, failedVersion, { enabled: false });
      }
      await rotator(ref).revoke(ref.rotator_config, input.credentialId, context(ref, input.correlationId));
      await vault.removeSecret(ref.vault_uri, stagingSecretName(ref.secret_name));
      await update(
        ref.id,
        {
          status: 'failed',
          ...(restored ? { current_version: restored.version, current_expires_at: restored.expiresOn } : {}),
        },
        input,
        `rotation rolled back: ${input.reason}`.slice(0, 1000),
      );
      await report(
        'rolled-back',
        ref,
        input,
        restored
          ? `${input.reason}; the previous value was written back as version ${restored.version} and the new credential revoked`
          : failedVersion === null
            ? `${input.reason}; nothing was published, the vault's secret untouched, the new credential revoked`
            : `${input.reason}; no previous version: version ${failedVersion} disabled and the new credential revoked`,
        {
          failedVersion,
          previousVersion: input.previousVersion,
          restoredVersion: restored?.version ?? null,
          credentialId: input.credentialId,
        },
        SECRET_NOTIFICATIONS.failed,
      );
      return { version: restored?.version ?? null };
    },

    [A.retire.name]: async (raw: unknown): Promise<null> => {
      const input = parseInput(A.retire.name, RetireInputSchema, raw);
      const ref = await load(input.referenceId);
      const old = input.previousCredentialId;
      const retiring = old !== null && old !== input.newCredentialId;
      if (retiring) await rotator(ref).retire(ref.rotator_config, old, context(ref, input.correlationId));
      await vault.removeSecret(ref.vault_uri, stagingSecretName(ref.secret_name));
      await report(
        'completed',
        ref,
        input,
        retiring
          ? `grace period over: old credential ${old} retired, staging secret removed`
          : `grace period over: no old credential to retire${old === null ? ' (unknown)' : ''}, staging secret removed`,
        { retiredCredentialId: retiring ? old : null, currentVersion: ref.current_version },
      );
      return null;
    },

    [A.fail.name]: async (raw: unknown): Promise<null> => {
      const input = parseInput(A.fail.name, FailInputSchema, raw);
      const ref = await load(input.referenceId);
      // After recording, the rotation itself succeeded: only a failure before it marks the reference failed.
      if (input.step !== 'retire')
        await update(ref.id, { status: 'failed' }, input, `rotation failed: ${input.reason}`.slice(0, 1000));
      await report('failed', ref, input, input.reason, { failedStep: input.step }, SECRET_NOTIFICATIONS.failed);
      return null;
    },
  };
}
