/**
 * `rotateSecret(referenceId)` (DESIGN.md, issue 8 item 4): create the new credential into the staging secret, test
 * it against every consumer before anything reads it (publish-first rotators: after publishing), publish it as a new
 * version, record the version in metadata, wait the grace period on a durable timer, retire the old credential and
 * remove the staging secret.
 *
 * @remarks
 * Deterministic: all I/O in activities, time from `currentUtcDateTime`. History holds versions, credential ids and
 * fingerprints only — values move between steps through the staging secret. Failure paths: a failed test (or a
 * failed publish) revokes the new credential and leaves the vault's secret untouched; any failure after publishing
 * writes the previous value back as a newer version (rollback) and revokes the new credential. Every activity audits
 * and notifies its step.
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import * as df from 'durable-functions';

import {
  type CreatedCredential,
  type PreparedRotation,
  type PublishedVersion,
  type RotateSecretInput,
  RotateSecretInputSchema,
  ROTATION_ACTIVITIES as A,
  type RotationResult,
  type TestResult,
} from './rotation-catalog';

/** Transient failures (429/5xx) get three attempts, 5 s apart. */
const RETRY = new df.RetryOptions(5000, 3);

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.slice(0, 500) || 'unknown error';
}

export const rotateSecretOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<Task, RotationResult, unknown> {
  const parsed = RotateSecretInputSchema.safeParse(context.df.getInput());
  if (!parsed.success)
    throw new Error(
      `rotateSecret input is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`,
    );
  const input: RotateSecretInput = parsed.data;
  const common = { referenceId: input.referenceId, correlationId: input.correlationId, actor: input.requestedBy };
  const result = (
    status: RotationResult['status'],
    reason: string,
    extra: Partial<RotationResult> = {},
  ): RotationResult => ({
    status,
    referenceId: input.referenceId,
    version: null,
    previousVersion: null,
    reason,
    ...extra,
  });

  const prepared = (yield context.df.callActivityWithRetry(A.prepare.name, RETRY, {
    ...common,
    reason: input.reason,
    now: context.df.currentUtcDateTime.toISOString(),
  })) as PreparedRotation;
  if (prepared.status !== 'ready') return result(prepared.status, prepared.reason);
  const previousVersion = prepared.previousVersion;

  // 1. Create: never retried automatically — a second attempt could issue a second credential.
  let created: CreatedCredential;
  try {
    created = (yield context.df.callActivity(A.create.name, common)) as CreatedCredential;
  } catch (e) {
    yield context.df.callActivityWithRetry(A.fail.name, RETRY, { ...common, step: 'create', reason: message(e) });
    return result('failed', `creating the new credential failed: ${message(e)}`, { previousVersion });
  }
  const revokeNew = (reason: string): Task =>
    context.df.callActivityWithRetry(A.revokeNew.name, RETRY, {
      ...common,
      stagingVersion: created.stagingVersion,
      credentialId: created.credentialId,
      reason,
    });

  // 2. Test before publishing (rotators whose consumers read the vault publish first and test after).
  if (!prepared.publishFirst && prepared.testsBefore > 0) {
    let tested: TestResult;
    try {
      tested = (yield context.df.callActivityWithRetry(A.test.name, RETRY, {
        ...common,
        phase: 'before-publish',
        stagingVersion: created.stagingVersion,
        publishedVersion: null,
      })) as TestResult;
    } catch (e) {
      tested = { ok: false, results: [{ name: '*', kind: '*', ok: false, detail: message(e) }] };
    }
    if (!tested.ok) {
      const failing = tested.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
      const reason = `consumer test failed before publishing (${failing.join('; ')})`;
      yield revokeNew(reason);
      return result('test-failed', reason, { previousVersion });
    }
  }

  // 3. Publish.
  let published: PublishedVersion;
  try {
    published = (yield context.df.callActivityWithRetry(A.publish.name, RETRY, {
      ...common,
      stagingVersion: created.stagingVersion,
      expiresOn: created.expiresOn,
    })) as PublishedVersion;
  } catch (e) {
    // The set may have reached the vault even though the activity failed: the rollback checks for this run's
    // version and writes the previous value back over it, or leaves the vault as it is; either way it revokes.
    const reason = `publishing failed: ${message(e)}`;
    yield context.df.callActivityWithRetry(A.rollback.name, RETRY, {
      ...common,
      failedVersion: null,
      previousVersion,
      stagingVersion: created.stagingVersion,
      credentialId: created.credentialId,
      reason,
    });
    return result('failed', reason, { previousVersion });
  }

  // 4. After publishing: verify vault readers, record. Any failure here writes the previous value back.
  let failure: string | null = null;
  if (prepared.testsAfter > 0) {
    try {
      const verified = (yield context.df.callActivityWithRetry(A.test.name, RETRY, {
        ...common,
        phase: 'after-publish',
        stagingVersion: created.stagingVersion,
        publishedVersion: published.version,
      })) as TestResult;
      if (!verified.ok)
        failure = `consumer check failed after publishing (${verified.results
          .filter((r) => !r.ok)
          .map((r) => `${r.name}: ${r.detail}`)
          .join('; ')})`;
    } catch (e) {
      failure = `consumer check after publishing failed: ${message(e)}`;
    }
  }
  if (failure === null) {
    try {
      yield context.df.callActivityWithRetry(A.record.name, RETRY, {
        ...common,
        version: published.version,
        expiresOn: published.expiresOn,
      });
    } catch (e) {
      failure = `recording the new version failed: ${message(e)}`;
    }
  }
  if (failure !== null) {
    yield context.df.callActivityWithRetry(A.rollback.name, RETRY, {
      ...common,
      failedVersion: published.version,
      previousVersion,
      stagingVersion: created.stagingVersion,
      credentialId: created.credentialId,
      reason: failure,
    });
    return result('rolled-back', failure, { version: published.version, previousVersion });
  }

  // 5. Grace period, then retire the old credential and remove the staging secret.
  if (prepared.graceHours > 0)
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + prepared.graceHours * 3_600_000));
  let retireFailed = false;
  try {
    yield context.df.callActivityWithRetry(A.retire.name, RETRY, {
      ...common,
      previousCredentialId: prepared.previousCredentialId ?? created.replaces,
      newCredentialId: created.credentialId,
    });
  } catch (e) {
    retireFailed = true;
    yield context.df.callActivityWithRetry(A.fail.name, RETRY, {
      ...common,
      step: 'retire',
      reason: `retiring the old credential failed (the new one is published and recorded): ${message(e)}`,
    });
  }
  return result('rotated', retireFailed ? 'rotated; retiring the old credential failed' : 'rotated', {
    version: published.version,
    previousVersion,
    ...(retireFailed ? { retireFailed } : {}),
  });
};
