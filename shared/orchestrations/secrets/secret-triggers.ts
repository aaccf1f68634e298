/**
 * The bodies of rotation's non-orchestration triggers: the sweep (due rotations and notices), the Key Vault event
 * handler and the dry run. `functions/secrets/*` only parse their payload and call these (CONVENTIONS 1).
 */
import { z } from 'zod';

import type { Notifier } from '../../cloud/ports/notifier';
import type { SecretVault } from '../../cloud/ports/secret-vault.port';
import type { Clock } from '../../domain/clock';
import type { RecordOf } from '../../domain/metadata/metadata-tables';
import type { MetadataStore } from '../../metadata/metadata-store';
import { checkReferenceForRotation, type RotationCheckSettings, rotationSteps } from '../../rotation/check-reference';
import { rotatorEntry } from '../../rotation/rotator-registry';
import type { OrchestrationClient } from '../orchestration-client';
import { TAGS } from './rotation-catalog';
import { SECRET_NOTIFICATIONS } from './rotation-deps';
import { type RotationStartOutcome, startRotateSecret } from './start-rotate-secret';

type StoredRef = RecordOf<'secret_references'>;
const target = (id: string): string => `secret_references/${id}`;

async function notifySafely(
  store: MetadataStore,
  notifier: Notifier,
  n: { id: string; type: string; subject: string; data: Record<string, unknown>; correlationId: string },
): Promise<void> {
  try {
    await notifier.publish([n]);
  } catch (e) {
    await store.audit.append({
      actor: 'warden',
      action: 'notification.failed',
      target: n.subject,
      reason: `${n.type} could not be published: ${(e instanceof Error ? e.message : String(e)).slice(0, 300)}`,
      correlationId: n.correlationId,
    });
  }
}

// ------------------------------------------------------------------ sweep

export interface SweepDeps {
  readonly store: MetadataStore;
  readonly notifier: Notifier;
  /**
   * A failed reference is retried this long after its last change (ms), doubled for every further failed rotation in
   * a row, up to {@link MAX_FAILED_RETRY_MS}.
   */
  readonly failedRetryMs: number;
}

/** The longest a failed reference waits for the sweep's next try (a day; owners were notified of each failure). */
export const MAX_FAILED_RETRY_MS = 24 * 3_600_000;

/** Audit actions that end a rotation run in failure, and the one that records a success. */
const FAILED_RUN_ACTIONS = ['secret.rotation.failed', 'secret.rotation.invalid', 'secret.rotation.rolled-back'];
const RECORDED_ACTION = 'secret.rotation.recorded';

/**
 * How many rotation runs of the reference failed in a row: runs (correlation ids) with a failure entry after the last
 * recorded rotation. Read from the audit trail (indexed by target), newest first, so a long history costs nothing.
 */
async function failedRunsInARow(store: MetadataStore, referenceId: string): Promise<number> {
  const rows = await store.backend.db
    .selectFrom('audit_log')
    .select(['action', 'correlation_id'])
    .where('target', '=', target(referenceId))
    .where('action', 'in', [...FAILED_RUN_ACTIONS, RECORDED_ACTION])
    .orderBy('seq', 'desc')
    .$call((q) => (store.backend.kind === 'mssql' ? q.top(200) : q.limit(200)))
    .execute();
  const runs = new Set<string>();
  for (const r of rows) {
    if (r.action === RECORDED_ACTION) break;
    runs.add(String(r.correlation_id ?? r.action));
  }
  return runs.size;
}

/** The wait before the sweep retries a reference after `failures` failed runs in a row (pure). */
export function failedRetryDelayMs(baseMs: number, failures: number): number {
  return Math.min(MAX_FAILED_RETRY_MS, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 16));
}

export interface SweepResult {
  readonly started: RotationStartOutcome[];
  readonly notices: string[];
  readonly skipped: { readonly referenceId: string; readonly reason: string }[];
}

/**
 * Starts (or joins) the rotation of every reference whose `next_rotation_at` has come, and sends the notice of every
 * reference whose `next_notice_at` has come — once per due time (an event receipt keyed by the reference and its
 * due time dedupes sweeps). Disabled references are never due; a failed one waits `failedRetryMs` after its last
 * change, doubled for each further failed run in a row up to a day, before the sweep tries again (owners were notified; `POST /api/secrets/{id}/rotate` retries at once).
 */
export async function sweepSecrets(deps: SweepDeps, client: OrchestrationClient, now: Date): Promise<SweepResult> {
  const at = now.toISOString();
  const started: RotationStartOutcome[] = [];
  const notices: string[] = [];
  const skipped: { referenceId: string; reason: string }[] = [];
  const refs = (await deps.store.secretReferences.list()) as StoredRef[];
  for (const ref of refs) {
    if (ref.status === 'disabled') continue;
    const due = ref.next_rotation_at;
    if (due !== null && due <= at) {
      if (ref.status === 'failed') {
        const failures = await failedRunsInARow(deps.store, ref.id);
        const retryAt = Date.parse(ref.updated_at) + failedRetryDelayMs(deps.failedRetryMs, failures);
        if (retryAt > now.getTime()) {
          skipped.push({
            referenceId: ref.id,
            reason: `failed ${failures} time(s) in a row; retried from ${new Date(retryAt).toISOString()}`,
          });
          continue;
        }
      }
      started.push(
        await startRotateSecret(client, {
          referenceId: ref.id,
          correlationId: `sweep-${ref.id}-${due}`.slice(0, 128),
          requestedBy: 'warden (sweep)',
          reason: `due at ${due}`,
        }),
      );
      continue;
    }
    const notice = ref.next_notice_at;
    if (notice === null || notice > at || due === null) continue;
    const key = `notice:${ref.id}:${due}`.slice(0, 200);
    if (!(await deps.store.events.firstReceipt(key, 'warden:rotation-notice'))) continue;
    const correlationId = `notice-${ref.id}-${due}`.slice(0, 128);
    await deps.store.audit.append({
      actor: 'warden (sweep)',
      action: 'secret.notice.sent',
      target: target(ref.id),
      after: { nextRotationAt: due, noticeAt: notice, currentVersion: ref.current_version },
      reason: `rotation due at ${due}; owners notified ${ref.notify_before_days} day(s) ahead`,
      correlationId,
    });
    await notifySafely(deps.store, deps.notifier, {
      id: key,
      type: SECRET_NOTIFICATIONS.notice,
      subject: target(ref.id),
      data: {
        referenceId: ref.id,
        name: ref.name,
        nextRotationAt: due,
        currentVersion: ref.current_version,
        currentExpiresAt: ref.current_expires_at,
      },
      correlationId,
    });
    notices.push(ref.id);
  }
  return { started, notices, skipped };
}

// ------------------------------------------------------------------ Key Vault events

const KV_EVENT_TYPES = [
  'Microsoft.KeyVault.SecretNewVersionCreated',
  'Microsoft.KeyVault.SecretNearExpiry',
  'Microsoft.KeyVault.SecretExpired',
] as const;

/** The Event Grid schema of Key Vault secret events (only identifiers are used; payload times are never trusted). */
export const KeyVaultEventSchema = z.looseObject({
  id: z.string().min(1).max(256),
  eventType: z.string().min(1),
  subject: z.string().min(1).max(256),
  data: z.looseObject({
    VaultName: z.string().regex(/^[0-9a-zA-Z-]{3,24}$/, 'must be a vault name'),
    ObjectType: z.string(),
    ObjectName: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, 'must be a secret name'),
    Version: z.string().regex(/^[0-9a-zA-Z]{1,64}$/, 'must be a version id'),
  }),
});

export type KeyVaultEventHandling =
  | { readonly handled: 'duplicate' }
  | { readonly handled: 'invalid' | 'dismissed' | 'audited' | 'drift'; readonly reason: string }
  | { readonly handled: 'started'; readonly start: RotationStartOutcome; readonly reason: string };

export interface KeyVaultEventDeps {
  readonly store: MetadataStore;
  readonly vault: SecretVault;
  readonly notifier: Notifier;
}

const SOURCE = 'eventgrid:keyvault';

function safeBody(event: unknown): string | null {
  try {
    return JSON.stringify(event)?.slice(0, 10_000) ?? null;
  } catch {
    return null;
  }
}

/**
 * One Key Vault event. Malformed events are recorded as poison and acknowledged (Event Grid would retry a 500 for a
 * day); duplicates (event id) are dropped. `SecretNearExpiry`/`SecretExpired` start a rotation only for the
 * reference's current version, re-read from the vault (they fire per version: an older version's event, a disabled
 * version or a disabled reference is only audited). `SecretNewVersionCreated` never starts one: a version without
 * Warden's tags for this reference is out-of-band drift (audited and notified). Throws only for transient failures.
 */
export async function handleKeyVaultEvent(
  deps: KeyVaultEventDeps,
  client: OrchestrationClient,
  event: unknown,
): Promise<KeyVaultEventHandling> {
  const { store } = deps;
  const parsed = KeyVaultEventSchema.safeParse(event);
  const rawId = (event as { id?: unknown } | null)?.id;
  if (
    !parsed.success ||
    !(KV_EVENT_TYPES as readonly string[]).includes(parsed.data.eventType) ||
    parsed.data.data.ObjectType !== 'Secret'
  ) {
    const reason = parsed.success
      ? `not a Key Vault secret event Warden handles (${parsed.data.eventType}, ${parsed.data.data.ObjectType})`
      : `malformed Key Vault event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`;
    const messageId = typeof rawId === 'string' && rawId.length > 0 ? rawId.slice(0, 256) : null;
    if (messageId === null || (await store.events.firstReceipt(messageId, SOURCE)))
      await store.events.recordPoison({ source: SOURCE, messageId, reason, body: safeBody(event) });
    return { handled: 'invalid', reason };
  }
  const e = parsed.data;
  // A failure after the receipt (a vault read, the start) gives it back: Event Grid's redelivery is then processed.
  const done = await store.events.handleOnce(e.id, SOURCE, () => actOnKeyVaultEvent(deps, client, e));
  return done?.value ?? { handled: 'duplicate' };
}

/** A valid Key Vault secret event, seen for the first time (see {@link handleKeyVaultEvent}). */
async function actOnKeyVaultEvent(
  deps: KeyVaultEventDeps,
  client: OrchestrationClient,
  e: z.infer<typeof KeyVaultEventSchema>,
): Promise<KeyVaultEventHandling> {
  const { store, vault } = deps;
  const vaultName = e.data.VaultName.toLowerCase();
  const name = e.data.ObjectName.toLowerCase();
  const refs = (await store.secretReferences.list()) as StoredRef[];
  const ref = refs.find(
    (r) =>
      new URL(r.vault_uri).hostname.toLowerCase().split('.')[0] === vaultName && r.secret_name.toLowerCase() === name,
  );
  if (!ref) return { handled: 'dismissed', reason: `no reference for ${vaultName}/${name}` };
  const version = e.data.Version.toLowerCase();
  const correlationId = `event-${e.id}`.slice(0, 128);
  const audit = async (action: string, reason: string, after: Record<string, unknown> = {}) =>
    store.audit.append({
      actor: `warden (event ${e.id})`.slice(0, 256),
      action,
      target: target(ref.id),
      after: { eventId: e.id, eventType: e.eventType, version, ...after },
      reason,
      correlationId,
    });

  if (e.eventType === 'Microsoft.KeyVault.SecretNewVersionCreated') {
    const props = await vault.getProperties(ref.vault_uri, ref.secret_name, version);
    if (!props) return { handled: 'dismissed', reason: `version ${version} no longer exists` };
    if (props.tags[TAGS.reference] === ref.id && props.tags[TAGS.correlation])
      return { handled: 'dismissed', reason: `Warden's own write (${props.tags[TAGS.correlation]})` };
    const reason = `version ${version} of ${ref.secret_name} was written outside Warden (no warden.reference tag for ${ref.id})`;
    await audit('secret.drift.out-of-band', reason, { currentVersion: ref.current_version });
    await notifySafely(store, deps.notifier, {
      id: `drift-${e.id}`.slice(0, 200),
      type: SECRET_NOTIFICATIONS.drift,
      subject: target(ref.id),
      data: {
        referenceId: ref.id,
        vaultUri: ref.vault_uri,
        secretName: ref.secret_name,
        version,
        currentVersion: ref.current_version,
      },
      correlationId,
    });
    return { handled: 'drift', reason };
  }

  // Near expiry / expired: only the current version of an enabled reference starts a rotation.
  if (ref.status === 'disabled') {
    const reason = `${e.eventType} ignored: the reference is disabled`;
    await audit('secret.event.ignored', reason);
    return { handled: 'audited', reason };
  }
  const [props, latest] = await Promise.all([
    vault.getProperties(ref.vault_uri, ref.secret_name, version),
    vault.getProperties(ref.vault_uri, ref.secret_name),
  ]);
  if (!props || !props.enabled) {
    const reason = `${e.eventType} ignored: version ${version} is ${props ? 'disabled' : 'gone'}`;
    await audit('secret.event.ignored', reason);
    return { handled: 'audited', reason };
  }
  if (!latest || latest.version.toLowerCase() !== version) {
    const reason = `${e.eventType} for an older version (current: ${latest?.version ?? 'none'}): nothing to rotate`;
    await audit('secret.event.old-version', reason, { currentVersion: latest?.version ?? null });
    return { handled: 'audited', reason };
  }
  // Key Vault warns 30 days ahead of every expiry; Warden keeps its own due time. When that comes before the expiry,
  // the sweep rotates in time and the warning is only audited (otherwise a version that lives less than 30 days —
  // short intervals — would be rotated again as soon as it is written).
  const due = ref.next_rotation_at;
  if (
    e.eventType === 'Microsoft.KeyVault.SecretNearExpiry' &&
    props.expiresOn &&
    due !== null &&
    due < props.expiresOn
  ) {
    const planned = `${e.eventType} for the current version ${version}: rotation already due at ${due}, before it expires at ${props.expiresOn}`;
    await audit('secret.event.planned', planned, { nextRotationAt: due, expiresOn: props.expiresOn });
    return { handled: 'audited', reason: planned };
  }
  const reason = `${e.eventType} for the current version ${version}`;
  const start = await startRotateSecret(client, {
    referenceId: ref.id,
    correlationId,
    requestedBy: `warden (event ${e.id})`.slice(0, 256),
    reason,
  });
  await audit('secret.event.rotation-requested', `${reason}: rotation ${start.action}`, {
    instanceId: start.instanceId,
  });
  return { handled: 'started', start, reason };
}

// ------------------------------------------------------------------ dry run

export interface RotationPlan {
  readonly referenceId: string;
  readonly rotator: string;
  readonly publishFirst: boolean;
  readonly dualCredential: boolean;
  readonly currentVersion: string | null;
  readonly nextRotationAt: string | null;
  readonly issues: readonly { readonly path: string; readonly message: string }[];
  readonly steps: readonly string[];
}

/** What a rotation of the reference would do (undefined when it does not exist); reads metadata only. */
export async function planRotationFor(
  deps: { readonly store: MetadataStore; readonly settings: RotationCheckSettings; readonly clock?: Clock },
  referenceId: string,
): Promise<RotationPlan | undefined> {
  const ref = await deps.store.secretReferences.get(referenceId);
  if (!ref) return undefined;
  const entry = rotatorEntry(ref.rotator);
  const issues = checkReferenceForRotation(ref, deps.settings);
  return {
    referenceId: ref.id,
    rotator: ref.rotator,
    publishFirst: entry?.publishFirst ?? false,
    dualCredential: entry?.dualCredential ?? false,
    currentVersion: ref.current_version,
    nextRotationAt: ref.next_rotation_at,
    issues,
    steps: issues.length > 0 ? ['fail fast: the configuration is invalid; nothing is changed'] : rotationSteps(ref),
  };
}
