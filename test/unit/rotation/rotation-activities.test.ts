/**
 * The rotation activities and triggers over in-memory fakes of the vault, rotators and consumers and a real SQLite
 * metadata store: the happy path, a failed consumer test (vault untouched, new credential revoked), rollback by
 * republishing, orphaned staging secrets, invalid config (fail fast), idempotent publish; Key Vault events and the
 * sweep; and a scan of audit entries, notifications and activity outputs for the credential values.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';

import { fixedClock } from '../../../shared/domain/clock';
import type { SecretReferenceInput } from '../../../shared/domain/metadata/secret-reference.schema';
import { type MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { createRotationActivities } from '../../../shared/orchestrations/secrets/rotation-activities';
import {
  type CreatedCredential,
  type PreparedRotation,
  type PublishedVersion,
  rotateSecretInstanceId,
  ROTATION_ACTIVITIES as A,
  TAGS,
  type TestResult,
} from '../../../shared/orchestrations/secrets/rotation-catalog';
import {
  failedRetryDelayMs,
  handleKeyVaultEvent,
  MAX_FAILED_RETRY_MS,
  planRotationFor,
  sweepSecrets,
} from '../../../shared/orchestrations/secrets/secret-triggers';
import { startRotateSecret, startRotateSecretFor } from '../../../shared/orchestrations/secrets/start-rotate-secret';
import type { Rotator } from '../../../shared/rotation/rotators';
import { FakeConsumers, FakeOrchestrations, FakeRotator, FakeVault, RecordingNotifier } from './rotation-fakes';

const VAULT = 'https://kv-fraud-ml.vault.azure.net/';
const WS =
  '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml/providers/Microsoft.Databricks/workspaces/dbw-fraud';
const NOW = '2026-11-25T12:00:00.000Z';
const io = { referenceId: 'sr-dbx', correlationId: 'corr-1', actor: 'ada (test)' };

function reference(over: Partial<SecretReferenceInput> = {}): SecretReferenceInput {
  return {
    id: 'sr-dbx',
    name: 'Databricks token',
    vault_uri: VAULT,
    secret_name: 'dbx-token',
    rotator: 'databricks-pat',
    rotator_config: { workspaceResourceId: WS, servicePrincipalAppId: 'c1668f6c-5b42-4098-a44a-b87b56c1e998' },
    interval_days: 30,
    grace_hours: 24,
    consumers: [
      { kind: 'databricks-job', name: 'job-a', target: WS },
      { kind: 'databricks-job', name: 'job-b', target: WS },
    ],
    ...over,
  };
}

describe('rotation activities and triggers (fakes + SQLite store)', () => {
  let dir: string;
  let store: MetadataStore;
  let vault: FakeVault;
  let rotator: FakeRotator;
  let random: FakeRotator;
  let consumers: FakeConsumers;
  let notifier: RecordingNotifier;
  let acts: Record<string, (input: unknown) => Promise<unknown>>;
  const clock = fixedClock(NOW);
  let previousVersion: string;

  beforeEach(async () => {
    clock.set(NOW);
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-rotation-unit-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'metadata.db'), clock });
    vault = new FakeVault(() => clock.now());
    rotator = new FakeRotator('tok');
    random = new FakeRotator('pw');
    consumers = new FakeConsumers();
    notifier = new RecordingNotifier();
    const plain = new FakeRotator('x');
    const rotators: Record<string, Rotator> = {
      'databricks-pat': rotator,
      random,
      'storage-account-key': plain,
      http: plain,
    };
    acts = createRotationActivities({
      store,
      vault,
      rotators: rotators as never,
      consumers,
      notifier,
      clock,
      settings: { keyVaultDnsSuffix: 'vault.azure.net', failedRetryMs: 3_600_000 },
    });
    // The current version: Warden's own, holding credential tok-0.
    const current = await vault.setSecret(VAULT, 'dbx-token', 'VALUE-tok-0-old-secret', {
      tags: {
        [TAGS.reference]: 'sr-dbx',
        [TAGS.correlation]: 'corr-0',
        [TAGS.credential]: 'tok-0',
        [TAGS.fingerprint]: 'sha256:0',
      },
    });
    previousVersion = current.version;
    await store.secretReferences.upsert(reference({ current_version: current.version }), { actor: 'test-setup' });
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const prepare = async () => (await acts[A.prepare.name]!({ ...io, reason: 'test', now: NOW })) as PreparedRotation;

  /** Every place a value could leak to: audit entries, notifications. */
  async function assertNoValues(extra: unknown[] = []): Promise<void> {
    const audit = JSON.stringify(await store.audit.list({ limit: 1000 }));
    const sent = JSON.stringify(notifier.sent);
    const outputs = JSON.stringify(extra);
    for (const v of [...vault.values(), 'VALUE-tok-0-old-secret']) {
      assert.ok(!audit.includes(v), 'no value in the audit log');
      assert.ok(!sent.includes(v), 'no value in notifications');
      assert.ok(!outputs.includes(v), 'no value in activity outputs');
    }
  }

  test('happy path: staged, tested, published with tags, recorded, old credential retired, staging removed', async () => {
    const prepared = await prepare();
    assert.equal(prepared.status, 'ready');
    assert.ok(prepared.status === 'ready' && prepared.previousCredentialId === 'tok-0' && prepared.testsBefore === 2);
    assert.equal((await store.secretReferences.require('sr-dbx')).status, 'rotating');
    const created = (await acts[A.create.name]!(io)) as CreatedCredential;
    assert.equal(created.credentialId, 'tok-1');
    assert.match(created.fingerprint, /^sha256:[0-9a-f]{16}$/);
    const staged = await vault.getProperties(VAULT, 'dbx-token--pending');
    assert.equal(staged?.tags[TAGS.correlation], 'corr-1');
    // Idempotent: a repeated create finds its staged credential instead of issuing another one.
    assert.deepEqual(await acts[A.create.name]!(io), created);
    assert.deepEqual(rotator.issued, ['tok-1']);
    const tested = (await acts[A.test.name]!({
      ...io,
      phase: 'before-publish',
      stagingVersion: created.stagingVersion,
      publishedVersion: null,
    })) as TestResult;
    assert.equal(tested.ok, true);
    assert.deepEqual(
      consumers.seen.map((s) => s.name),
      ['job-a', 'job-b'],
    );
    assert.equal((await vault.getProperties(VAULT, 'dbx-token'))?.version, previousVersion, 'nothing published yet');
    const published = (await acts[A.publish.name]!({
      ...io,
      stagingVersion: created.stagingVersion,
      expiresOn: created.expiresOn,
    })) as PublishedVersion;
    const again = (await acts[A.publish.name]!({
      ...io,
      stagingVersion: created.stagingVersion,
      expiresOn: created.expiresOn,
    })) as PublishedVersion;
    assert.equal(again.version, published.version, 'publish is idempotent');
    const latest = await vault.getProperties(VAULT, 'dbx-token');
    assert.equal(latest?.version, published.version);
    assert.equal(latest?.tags[TAGS.reference], 'sr-dbx');
    assert.equal(latest?.tags[TAGS.correlation], 'corr-1');
    assert.equal(latest?.expiresOn, created.expiresOn);
    assert.equal(await vault.getValue(VAULT, 'dbx-token'), 'VALUE-tok-1-s3cr3ts3cr3ts3cr3t');
    await acts[A.record.name]!({ ...io, version: published.version, expiresOn: published.expiresOn });
    const ref = await store.secretReferences.require('sr-dbx');
    assert.equal(ref.current_version, published.version);
    assert.equal(ref.current_expires_at, published.expiresOn);
    assert.equal(ref.last_rotated_at, NOW);
    assert.equal(ref.status, 'active');
    assert.equal(ref.next_rotation_at, '2026-12-25T12:00:00.000Z', 'due times recomputed on write');
    await acts[A.retire.name]!({ ...io, previousCredentialId: 'tok-0', newCredentialId: 'tok-1' });
    assert.deepEqual(rotator.retired, ['tok-0']);
    assert.deepEqual(rotator.revoked, []);
    assert.equal(await vault.getProperties(VAULT, 'dbx-token--pending'), undefined, 'staging removed');
    const actions = (await store.audit.list({ correlationId: 'corr-1', limit: 100 })).map((e) => e.action);
    for (const step of ['started', 'created', 'tested-before-publish', 'published', 'recorded', 'completed'])
      assert.ok(actions.includes(`secret.rotation.${step}`), `${step} audited`);
    assert.ok(notifier.sent.some((n) => n.type === 'Warden.Secret.Rotated'));
    await assertNoValues([prepared, created, tested, published]);
  });

  test('a failing consumer test revokes the new credential and leaves the vault secret untouched', async () => {
    await prepare();
    const created = (await acts[A.create.name]!(io)) as CreatedCredential;
    consumers.failing.add('job-b');
    const tested = (await acts[A.test.name]!({
      ...io,
      phase: 'before-publish',
      stagingVersion: created.stagingVersion,
      publishedVersion: null,
    })) as TestResult;
    assert.equal(tested.ok, false);
    assert.deepEqual(
      tested.results.filter((r) => !r.ok).map((r) => r.name),
      ['job-b'],
    );
    await acts[A.revokeNew.name]!({
      ...io,
      stagingVersion: created.stagingVersion,
      credentialId: created.credentialId,
      reason: 'job-b: 401',
    });
    assert.deepEqual(rotator.revoked, ['tok-1']);
    assert.deepEqual(rotator.retired, []);
    assert.equal((await vault.listVersions(VAULT, 'dbx-token')).length, 1, 'no version written');
    assert.equal(await vault.getValue(VAULT, 'dbx-token'), 'VALUE-tok-0-old-secret');
    assert.equal(await vault.getProperties(VAULT, 'dbx-token--pending'), undefined);
    const ref = await store.secretReferences.require('sr-dbx');
    assert.equal(ref.status, 'failed');
    assert.equal(ref.current_version, previousVersion);
    assert.ok(notifier.sent.some((n) => n.type === 'Warden.Secret.RotationFailed'));
    await assertNoValues([tested]);
  });

  test('a failure after publishing writes the previous value back as a newer version, audited', async () => {
    await prepare();
    const created = (await acts[A.create.name]!(io)) as CreatedCredential;
    const published = (await acts[A.publish.name]!({
      ...io,
      stagingVersion: created.stagingVersion,
      expiresOn: created.expiresOn,
    })) as PublishedVersion;
    const rolled = (await acts[A.rollback.name]!({
      ...io,
      failedVersion: published.version,
      previousVersion,
      stagingVersion: created.stagingVersion,
      credentialId: created.credentialId,
      reason: 'recording failed',
    })) as { version: string };
    const versions = await vault.listVersions(VAULT, 'dbx-token');
    assert.equal(versions.length, 3);
    assert.equal(versions[0]?.version, rolled.version, 'the republished previous value is the latest');
    assert.equal(versions[0]?.tags[TAGS.rollbackOf], published.version);
    assert.equal(await vault.getValue(VAULT, 'dbx-token'), 'VALUE-tok-0-old-secret');
    assert.deepEqual(rotator.revoked, ['tok-1']);
    const ref = await store.secretReferences.require('sr-dbx');
    assert.equal(ref.current_version, rolled.version);
    assert.equal(ref.status, 'failed');
    // Repeated (activity retry): the same rollback version, no fourth version.
    await acts[A.rollback.name]!({
      ...io,
      failedVersion: published.version,
      previousVersion,
      stagingVersion: created.stagingVersion,
      credentialId: created.credentialId,
      reason: 'recording failed',
    });
    assert.equal((await vault.listVersions(VAULT, 'dbx-token')).length, 3);
    const entry = (await store.audit.list({ correlationId: 'corr-1', limit: 100 })).find(
      (e) => e.action === 'secret.rotation.rolled-back',
    );
    assert.ok(entry?.reason?.includes('written back'), entry?.reason ?? '');
    await assertNoValues([rolled]);
  });

  test('publishing failed for good: the rollback finds whether this run’s version reached the vault', async () => {
    await prepare();
    const created = (await acts[A.create.name]!(io)) as CreatedCredential;
    const rb = {
      ...io,
      failedVersion: null,
      previousVersion,
      stagingVersion: created.stagingVersion,
      credentialId: created.credentialId,
      reason: 'publish 503',
    };
    // Not published: vault untouched, the new credential revoked.
    assert.deepEqual(await acts[A.rollback.name]!(rb), { version: null });
    assert.equal((await vault.listVersions(VAULT, 'dbx-token')).length, 1);
    assert.deepEqual(rotator.revoked, ['tok-1']);
    // Published after all (the answer lost): written back over it, and a retry finds the same rollback version.
    const again = (await acts[A.create.name]!({ ...io, correlationId: 'corr-2' })) as CreatedCredential;
    await acts[A.publish.name]!({
      ...io,
      correlationId: 'corr-2',
      stagingVersion: again.stagingVersion,
      expiresOn: again.expiresOn,
    });
    const rb2 = {
      ...rb,
      correlationId: 'corr-2',
      stagingVersion: again.stagingVersion,
      credentialId: again.credentialId,
    };
    const first = (await acts[A.rollback.name]!(rb2)) as { version: string };
    assert.ok(first.version);
    assert.equal(await vault.getValue(VAULT, 'dbx-token'), 'VALUE-tok-0-old-secret');
    assert.deepEqual(await acts[A.rollback.name]!(rb2), first, 'idempotent');
    assert.equal((await vault.listVersions(VAULT, 'dbx-token')).length, 3);
    assert.equal((await store.secretReferences.require('sr-dbx')).current_version, first.version);
  });

  test('publish-first (random): vault readers must report the new version, or the previous value is republished', async () => {
    await store.secretReferences.upsert(
      {
        id: 'sr-pw',
        name: 'service password',
        vault_uri: VAULT,
        secret_name: 'svc-password',
        rotator: 'random',
        rotator_config: { length: 32 },
        interval_days: 30,
        consumers: [{ kind: 'vault-reader', name: 'svc', url: 'https://svc.apps.contoso.example/healthz' }],
      },
      { actor: 'test-setup' },
    );
    const pwio = { ...io, referenceId: 'sr-pw', correlationId: 'corr-pw' };
    const prev = await vault.setSecret(VAULT, 'svc-password', 'old-password-value', {});
    const prepared = (await acts[A.prepare.name]!({ ...pwio, reason: 'due', now: NOW })) as PreparedRotation;
    assert.ok(
      prepared.status === 'ready' && prepared.publishFirst && prepared.testsBefore === 0 && prepared.testsAfter === 1,
    );
    assert.equal(prepared.status === 'ready' && prepared.previousCredentialId, null, 'a value Warden did not write');
    const created = (await acts[A.create.name]!(pwio)) as CreatedCredential;
    const published = (await acts[A.publish.name]!({
      ...pwio,
      stagingVersion: created.stagingVersion,
      expiresOn: created.expiresOn,
    })) as PublishedVersion;
    consumers.readerVersion = () => Promise.resolve(prev.version); // the reader keeps the old one: it rejected the new
    const verified = (await acts[A.test.name]!({
      ...pwio,
      phase: 'after-publish',
      stagingVersion: created.stagingVersion,
      publishedVersion: published.version,
    })) as TestResult;
    assert.equal(verified.ok, false);
    assert.equal(consumers.seen[0]?.value, undefined, 'a vault reader is never sent the value');
    const rolled = (await acts[A.rollback.name]!({
      ...pwio,
      failedVersion: published.version,
      previousVersion: prev.version,
      stagingVersion: created.stagingVersion,
      credentialId: created.credentialId,
      reason: 'svc rejected it',
    })) as { version: string };
    assert.equal(await vault.getValue(VAULT, 'svc-password'), 'old-password-value');
    assert.equal((await store.secretReferences.require('sr-pw')).current_version, rolled.version);
    await assertNoValues([verified, rolled]);
  });

  test('an orphaned staging secret of an unfinished rotation is revoked before a new rotation; a published one is not', async () => {
    await vault.setSecret(VAULT, 'dbx-token--pending', 'VALUE-orphan', {
      tags: {
        [TAGS.reference]: 'sr-dbx',
        [TAGS.correlation]: 'corr-dead',
        [TAGS.credential]: 'tok-orphan',
        [TAGS.fingerprint]: 'sha256:dead',
      },
    });
    assert.equal((await prepare()).status, 'ready');
    assert.deepEqual(rotator.revoked, ['tok-orphan']);
    assert.equal(await vault.getProperties(VAULT, 'dbx-token--pending'), undefined);
    const actions = (await store.audit.list({ correlationId: 'corr-1', limit: 100 })).map((e) => e.action);
    assert.ok(actions.includes('secret.rotation.orphan-revoked'));
    // A leftover staging secret that holds the published credential (same fingerprint) is only removed.
    await vault.setSecret(VAULT, 'dbx-token--pending', 'VALUE-tok-0-old-secret', {
      tags: {
        [TAGS.reference]: 'sr-dbx',
        [TAGS.correlation]: 'corr-0',
        [TAGS.credential]: 'tok-0',
        [TAGS.fingerprint]: 'sha256:0',
      },
    });
    await acts[A.prepare.name]!({ ...io, correlationId: 'corr-2', reason: 'again', now: NOW });
    assert.deepEqual(rotator.revoked, ['tok-orphan'], 'the published credential is not revoked');
    assert.equal(await vault.getProperties(VAULT, 'dbx-token--pending'), undefined);
  });

  test('invalid rotator config or vault: fails fast, audited and notified, the vault untouched', async () => {
    const ref = await store.secretReferences.require('sr-dbx');
    await store.secretReferences.upsert(
      {
        ...reference({ current_version: ref.current_version }),
        rotator_config: {
          workspaceResourceId: WS,
          servicePrincipalAppId: 'c1668f6c-5b42-4098-a44a-b87b56c1e998',
          lifetimeDayz: 3,
        },
      },
      { actor: 'test-setup', expectedVersion: ref.version },
    );
    const writes = vault.writes.length;
    const prepared = await prepare();
    assert.equal(prepared.status, 'invalid');
    assert.match(prepared.status === 'invalid' ? prepared.reason : '', /rotator_config/);
    assert.equal(vault.writes.length, writes, 'no vault write');
    assert.deepEqual(rotator.issued, []);
    assert.equal((await store.secretReferences.require('sr-dbx')).status, 'failed');
    const entry = (await store.audit.list({ correlationId: 'corr-1', limit: 100 })).find(
      (e) => e.action === 'secret.rotation.invalid',
    );
    assert.ok(entry, 'audited');
    assert.ok(notifier.sent.some((n) => n.type === 'Warden.Secret.RotationFailed'));
    const plan = await planRotationFor({ store, settings: { keyVaultDnsSuffix: 'vault.azure.net' } }, 'sr-dbx');
    assert.ok(plan && plan.issues.length > 0 && plan.steps[0]?.startsWith('fail fast'));
  });

  test('dry run lists the steps in order; unknown reference → undefined', async () => {
    const plan = await planRotationFor({ store, settings: { keyVaultDnsSuffix: 'vault.azure.net' } }, 'sr-dbx');
    assert.ok(plan);
    const steps = plan.steps.join('\n');
    assert.ok(steps.indexOf('test it against 2 consumer') < steps.indexOf('publish it'), steps);
    assert.ok(steps.indexOf('record the version') < steps.indexOf('wait the grace period (24 h)'));
    assert.equal(
      await planRotationFor({ store, settings: { keyVaultDnsSuffix: 'vault.azure.net' } }, 'nope'),
      undefined,
    );
    assert.equal(vault.writes.length, 1, 'only the setup write');
  });

  test('start: one rotation per reference — a second trigger joins the running one', async () => {
    const client = new FakeOrchestrations();
    const req = { referenceId: 'sr-dbx', correlationId: 'c-a', requestedBy: 'a', reason: 'r' };
    const first = await startRotateSecret(client, req);
    const second = await startRotateSecret(client, { ...req, correlationId: 'c-b' });
    assert.deepEqual([first.action, second.action], ['started', 'joined']);
    assert.equal(first.instanceId, rotateSecretInstanceId('sr-dbx'));
    assert.equal(client.started.length, 1);
    client.status.set(first.instanceId, 'Completed');
    assert.equal((await startRotateSecret(client, req)).action, 'started', 'a finished rotation starts again');
    await assert.rejects(startRotateSecretFor(store, client, { ...req, referenceId: 'sr-unknown' }), /does not exist/);
    assert.equal((await startRotateSecretFor(store, client, req)).action, 'joined');
  });

  describe('Key Vault events', () => {
    const event = (type: string, version: string, id = `ev-${Math.random()}`) => ({
      id,
      eventType: `Microsoft.KeyVault.${type}`,
      subject: 'dbx-token',
      topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-fraud-ml',
      data: {
        Id: 'x',
        VaultName: 'kv-fraud-ml',
        ObjectType: 'Secret',
        ObjectName: 'dbx-token',
        Version: version,
        NBF: null,
        EXP: 1,
      },
      dataVersion: '1',
    });
    const deps = () => ({ store, vault, notifier });

    test('near expiry of the current version starts a rotation; an older version only audits; duplicates dropped', async () => {
      const client = new FakeOrchestrations();
      const e = event('SecretNearExpiry', previousVersion, 'ev-1');
      const r = await handleKeyVaultEvent(deps(), client, e);
      assert.equal(r.handled, 'started');
      assert.equal((await handleKeyVaultEvent(deps(), client, e)).handled, 'duplicate');
      await vault.setSecret(VAULT, 'dbx-token', 'newer', {
        tags: { [TAGS.reference]: 'sr-dbx', [TAGS.correlation]: 'c' },
      });
      const old = await handleKeyVaultEvent(deps(), client, event('SecretExpired', previousVersion));
      assert.equal(old.handled, 'audited');
      assert.equal(client.started.length, 1);
      const actions = (await store.audit.list({ limit: 100 })).map((a) => a.action);
      assert.ok(actions.includes('secret.event.old-version'));
    });

    test('near expiry after Warden’s own due time starts one; before it, only audited (the sweep rotates in time)', async () => {
      const client = new FakeOrchestrations();
      // The reference is due at NOW + 30 d. A version expiring in 10 d: the warning is acted on.
      const soon = await vault.setSecret(VAULT, 'dbx-token', 'v-soon', {
        tags: { [TAGS.reference]: 'sr-dbx', [TAGS.correlation]: 'c-soon' },
        expiresOn: '2026-12-05T12:00:00.000Z',
      });
      assert.equal(
        (await handleKeyVaultEvent(deps(), client, event('SecretNearExpiry', soon.version))).handled,
        'started',
      );
      // A version expiring after the due time (e.g. a 2-day interval, a 4-day version): only audited.
      const later = await vault.setSecret(VAULT, 'dbx-token', 'v-later', {
        tags: { [TAGS.reference]: 'sr-dbx', [TAGS.correlation]: 'c-later' },
        expiresOn: '2027-01-05T12:00:00.000Z',
      });
      const r = await handleKeyVaultEvent(deps(), new FakeOrchestrations(), event('SecretNearExpiry', later.version));
      assert.equal(r.handled, 'audited');
      assert.ok((await store.audit.list({ limit: 100 })).some((a) => a.action === 'secret.event.planned'));
      // Expired always starts one.
      const expired = new FakeOrchestrations();
      assert.equal(
        (await handleKeyVaultEvent(deps(), expired, event('SecretExpired', later.version))).handled,
        'started',
      );
      assert.equal(expired.started.length, 1);
    });

    test('a disabled reference or a disabled version: audited, no rotation', async () => {
      const client = new FakeOrchestrations();
      await vault.updateProperties(VAULT, 'dbx-token', previousVersion, { enabled: false });
      assert.equal(
        (await handleKeyVaultEvent(deps(), client, event('SecretNearExpiry', previousVersion))).handled,
        'audited',
      );
      const ref = await store.secretReferences.require('sr-dbx');
      await store.secretReferences.upsert(
        { ...reference({ current_version: ref.current_version }), status: 'disabled' },
        { actor: 't', expectedVersion: ref.version },
      );
      assert.equal(
        (await handleKeyVaultEvent(deps(), client, event('SecretNearExpiry', previousVersion))).handled,
        'audited',
      );
      assert.equal(client.started.length, 0);
    });

    test('new versions never rotate: Warden’s own is dismissed, a foreign one is reported as drift', async () => {
      const client = new FakeOrchestrations();
      assert.equal(
        (await handleKeyVaultEvent(deps(), client, event('SecretNewVersionCreated', previousVersion))).handled,
        'dismissed',
      );
      const foreign = await vault.setSecret(VAULT, 'dbx-token', 'pasted by hand', {});
      const r = await handleKeyVaultEvent(deps(), client, event('SecretNewVersionCreated', foreign.version));
      assert.equal(r.handled, 'drift');
      assert.equal(client.started.length, 0);
      assert.ok(
        notifier.sent.some((n) => n.type === 'Warden.Secret.OutOfBandVersion' && n.data.version === foreign.version),
      );
      assert.ok((await store.audit.list({ limit: 100 })).some((a) => a.action === 'secret.drift.out-of-band'));
    });

    test('malformed events are recorded as poison with their reason and acknowledged', async () => {
      const client = new FakeOrchestrations();
      const r = await handleKeyVaultEvent(deps(), client, {
        id: 'bad-1',
        eventType: 'Microsoft.KeyVault.SecretNearExpiry',
        data: { VaultName: '!' },
      });
      assert.equal(r.handled, 'invalid');
      assert.equal((await handleKeyVaultEvent(deps(), client, 'not an event')).handled, 'invalid');
      const poison = await store.events.listPoison();
      assert.equal(poison.length, 2);
      assert.match(poison.find((p) => p.messageId === 'bad-1')?.reason ?? '', /malformed/);
      assert.equal(client.started.length, 0);
    });
  });

  test('sweep: due rotations start, notices are sent once per due time, a recently failed reference waits', async () => {
    const client = new FakeOrchestrations();
    const deps = { store, notifier, failedRetryMs: 3_600_000 };
    // Recorded at NOW, 30-day interval, 7-day notice: notice at 12-18 12:00, rotation at 12-25 12:00.
    const ref = await store.secretReferences.require('sr-dbx');
    assert.equal(ref.next_notice_at, '2026-12-18T12:00:00.000Z');
    clock.set('2026-12-18T11:59:59.999Z');
    let r = await sweepSecrets(deps, client, clock.now());
    assert.deepEqual([r.started.length, r.notices.length], [0, 0], 'a millisecond early: nothing');
    clock.set('2026-12-18T12:00:00.000Z');
    r = await sweepSecrets(deps, client, clock.now());
    assert.deepEqual(r.notices, ['sr-dbx'], 'at the notice time: the notice');
    r = await sweepSecrets(deps, client, clock.now());
    assert.deepEqual(r.notices, [], 'once per due time');
    assert.equal(notifier.sent.filter((n) => n.type === 'Warden.Secret.RotationDue').length, 1);
    clock.set('2026-12-25T12:00:00.000Z');
    const failed = await store.secretReferences.require('sr-dbx');
    await store.secretReferences.upsert(
      { ...reference({ current_version: failed.current_version }), status: 'failed' },
      { actor: 't', expectedVersion: failed.version },
    );
    r = await sweepSecrets(deps, client, clock.now());
    assert.deepEqual([r.started.length, r.skipped.length], [0, 1], 'failed just now: waits');
    clock.advance(3_600_000);
    r = await sweepSecrets(deps, client, clock.now());
    assert.equal(r.started.length, 1, 'due and the retry delay over: started');
    assert.equal(client.started[0]?.instanceId, rotateSecretInstanceId('sr-dbx'));

    // Failed runs in a row grow the wait: 1 h, 2 h, 4 h … (a day at most); a recorded rotation starts it over.
    const failRun = async (correlationId: string) => {
      await store.audit.append({
        actor: 'warden',
        action: 'secret.rotation.failed',
        target: 'secret_references/sr-dbx',
        reason: 'consumer test failed',
        correlationId,
      });
      const row = await store.secretReferences.require('sr-dbx');
      await store.secretReferences.upsert(
        { ...reference({ current_version: row.current_version }), status: 'failed' },
        { actor: 't', expectedVersion: row.version },
      );
    };
    for (const id of ['run-1', 'run-2', 'run-3']) await failRun(id);
    await store.audit.append({
      actor: 'warden',
      action: 'secret.rotation.rolled-back',
      target: 'secret_references/sr-dbx',
      reason: 'the same run as run-3',
      correlationId: 'run-3',
    });
    clock.advance(4 * 3_600_000 - 1);
    r = await sweepSecrets(deps, client, clock.now());
    assert.equal(r.started.length, 0, 'three failed runs in a row: four hours');
    assert.match(r.skipped[0]?.reason ?? '', /failed 3 time\(s\) in a row/);
    clock.advance(1);
    r = await sweepSecrets(deps, client, clock.now());
    assert.equal(r.started.length, 1, 'after four hours: started');
    await store.audit.append({
      actor: 'warden',
      action: 'secret.rotation.recorded',
      target: 'secret_references/sr-dbx',
      reason: 'recorded',
      correlationId: 'run-4',
    });
    await failRun('run-5');
    clock.advance(3_600_000);
    r = await sweepSecrets(deps, client, clock.now());
    assert.equal(r.started.length, 1, 'one failure after a success: an hour again');
  });

  test('the failed-retry delay doubles per failed run in a row, capped at a day', () => {
    assert.equal(failedRetryDelayMs(3_600_000, 0), 3_600_000);
    assert.equal(failedRetryDelayMs(3_600_000, 1), 3_600_000);
    assert.equal(failedRetryDelayMs(3_600_000, 2), 7_200_000);
    assert.equal(failedRetryDelayMs(3_600_000, 5), 16 * 3_600_000);
    assert.equal(failedRetryDelayMs(3_600_000, 6), MAX_FAILED_RETRY_MS);
    assert.equal(failedRetryDelayMs(3_600_000, 10_000), MAX_FAILED_RETRY_MS);
  });
});
