/**
 * The bodies of the model signals (functions/models/* only parse and call these): the Monitor alert webhook, Azure ML
 * events, ARM writes on online endpoints, the SQL trigger on `alert_rules` and `models`, and the sweep.
 */
import type { ModelRegistryPort } from '../../cloud/ports/model-registry.port';
import { workspaceOf } from '../../cloud/ports/model-registry.port';
import { NotFoundError } from '../../domain/errors';
import type { RecordOf } from '../../domain/metadata/metadata-tables';
import { STAGE_TAG } from '../../domain/models/evidence';
import type { CommonAlert } from '../../domain/models/signals';
import { onlineEndpointOf, parseMlEvent, sameArmId, toAlertSignal } from '../../domain/models/signals';
import type { MetadataStore } from '../../metadata/metadata-store';
import type { OrchestrationClient } from '../orchestration-client';
import type { StartOutcome } from '../start-remediation';
import { syncState } from './model-activities';
import { type QuarantineSignal, QuarantineSignalSchema } from './model-catalog';
import { isWardenActor } from './model-deps';
import { startQuarantineModel, startReleaseModel, startRetireModel, startSyncAlertRules } from './start-model';

export type AlertHandling =
  | { readonly handled: 'started'; readonly start: StartOutcome; readonly modelId: string; readonly ruleId: string }
  | { readonly handled: 'resolved' | 'duplicate' | 'notify-only'; readonly modelId: string; readonly ruleId: string };

/**
 * A validated common-alert-schema alert (the token already checked): unknown rule or model → NotFoundError (404);
 * `Resolved` is recorded and never quarantines; `Fired` starts (or joins) the quarantine of the rule's model, which
 * confirms the breach against the metric itself. Every delivery is audited; a redelivery of the same firing is a
 * duplicate.
 */
export async function handleMonitorAlert(
  store: MetadataStore,
  client: OrchestrationClient,
  alert: CommonAlert,
  caller: string,
): Promise<AlertHandling> {
  const s = toAlertSignal(alert);
  const rule = s.ruleId ? await store.alertRules.get(s.ruleId) : undefined;
  if (!rule) throw new NotFoundError('alert rule', s.ruleId ?? s.monitorRuleName);
  const model = await store.models.get(rule.model_id);
  if (!model) throw new NotFoundError('model', rule.model_id);
  const receipt = `${s.alertId}|${s.condition}|${s.condition === 'Resolved' ? (s.resolvedAt ?? '') : s.firedAt}`.slice(
    0,
    400,
  );
  const correlationId = `alert-${s.alertId.split('/').pop() ?? s.alertId}`.slice(0, 128);
  const ids = { modelId: model.id, ruleId: rule.id };
  const audit = (action: string) =>
    store.audit.append({
      actor: caller,
      action,
      target: `models/${model.id}`,
      after: {
        alertId: s.alertId,
        rule: rule.id,
        monitorRule: s.monitorRuleName,
        condition: s.condition,
        signalType: s.signalType,
        metricValue: s.metricValue,
        firedAt: s.firedAt,
        resolvedAt: s.resolvedAt,
      },
      reason: `${s.condition} alert ${s.monitorRuleName}`,
      correlationId,
    });
  // A start that fails (transient) gives the receipt back, so the action group's retry is processed, not deduped.
  const done = await store.events.handleOnce(receipt, 'monitor:alert', async (): Promise<AlertHandling> => {
    await audit('model.alert.received');
    if (s.condition === 'Resolved') return { handled: 'resolved', ...ids };
    const start = await startQuarantineModel(client, {
      modelId: model.id,
      ruleId: rule.id,
      correlationId,
      requestedBy: `warden (alert ${s.monitorRuleName})`.slice(0, 256),
      reason: `Monitor alert ${s.monitorRuleName} fired`,
      signal: { kind: 'alert', ref: s.alertId.slice(0, 1024), metricValue: s.metricValue },
    });
    return { handled: 'started', start, ...ids };
  });
  if (done) return done.value;
  await audit('model.alert.duplicate');
  return { handled: 'duplicate', ...ids };
}

export type EventHandlingResult =
  | { readonly handled: 'started'; readonly starts: readonly StartOutcome[]; readonly reason: string }
  | { readonly handled: 'duplicate' | 'ignored' | 'invalid'; readonly reason: string };

function safeBody(event: unknown): string | null {
  try {
    return JSON.stringify(event)?.slice(0, 10_000) ?? null;
  } catch {
    return null;
  }
}

/**
 * An Azure ML event: a model-monitor breach (`RunStatusChanged` with the tag) or a legacy `DatasetDriftDetected` →
 * the rules whose `monitor_name` is the monitor (in that workspace) → quarantine (confirmed by the run). Invalid
 * events are recorded as poison and answered normally; unmapped monitors are recorded too (nothing is lost).
 */
export async function handleMlEvent(
  store: MetadataStore,
  client: OrchestrationClient,
  event: unknown,
): Promise<EventHandlingResult> {
  const source = 'eventgrid:ml';
  const signal = parseMlEvent(event);
  if (signal.kind === 'invalid') {
    await store.events.recordPoison({
      source,
      messageId: signal.eventId,
      reason: signal.reason,
      body: safeBody(event),
    });
    return { handled: 'invalid', reason: signal.reason };
  }
  if (signal.kind === 'ignore') return { handled: 'ignored', reason: signal.reason };
  // A failure after the receipt (the rules read, a start) gives it back: Event Grid's redelivery is then processed.
  const done = await store.events.handleOnce(signal.eventId, source, async (): Promise<EventHandlingResult> => {
    const rules = (await store.alertRules.list()).filter(
      (r) =>
        r.monitor_name !== null &&
        r.monitor_name.toLowerCase() === signal.monitorName.toLowerCase() &&
        (signal.workspaceId === '' || sameArmId(workspaceOf(r.target), signal.workspaceId)),
    );
    if (rules.length === 0) {
      const reason = `monitor ${signal.monitorName} maps to no alert rule`;
      await store.events.recordPoison({ source, messageId: signal.eventId, reason, body: safeBody(event) });
      return { handled: 'ignored', reason };
    }
    const starts: StartOutcome[] = [];
    for (const rule of rules)
      starts.push(
        await startQuarantineModel(client, {
          modelId: rule.model_id,
          ruleId: rule.id,
          correlationId: `event-${signal.eventId}`.slice(0, 128),
          requestedBy: `warden (event ${signal.eventId})`.slice(0, 256),
          reason:
            signal.kind === 'monitor-breach'
              ? `model monitor ${signal.monitorName} breached${signal.signal ? ` (signal ${signal.signal})` : ''}`
              : `dataset drift ${signal.monitorName} detected`,
          signal: {
            kind: signal.kind === 'monitor-breach' ? 'monitor-run' : 'dataset-drift',
            ref: signal.eventId,
            metricValue: signal.kind === 'dataset-drift' ? signal.driftCoefficient : null,
          },
        }),
      );
    return { handled: 'started', starts, reason: `monitor ${signal.monitorName}` };
  });
  return done?.value ?? { handled: 'duplicate', reason: 'event already handled' };
}

/**
 * An ARM `ResourceWriteSuccess` at or under an online endpoint: if it carries a held (quarantined or retired)
 * version, re-read and put its deployment back to 0% (a redeploy must not bring a quarantined version back).
 */
export async function handleEndpointWrite(
  store: MetadataStore,
  client: OrchestrationClient,
  event: unknown,
): Promise<EventHandlingResult> {
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const type = typeof e.eventType === 'string' ? e.eventType : '';
  if (type.toLowerCase() !== 'microsoft.resources.resourcewritesuccess')
    return { handled: 'ignored', reason: `${type || 'no event type'} is not an endpoint write` };
  const data = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
  const uri = typeof data.resourceUri === 'string' ? data.resourceUri : typeof e.subject === 'string' ? e.subject : '';
  const endpoint = onlineEndpointOf(uri);
  if (!endpoint) return { handled: 'ignored', reason: 'not an online endpoint write' };
  const held = (await store.models.list()).filter(
    (m) => sameArmId(m.endpoint, endpoint) && (m.stage === 'Quarantined' || m.stage === 'Archived'),
  );
  if (held.length === 0) return { handled: 'ignored', reason: `no held version on ${endpoint}` };
  const id = typeof e.id === 'string' && e.id.length > 0 ? e.id : null;
  const reassert = async (): Promise<EventHandlingResult> => {
    const starts: StartOutcome[] = [];
    for (const m of held)
      starts.push(
        await startQuarantineModel(client, {
          modelId: m.id,
          correlationId: `event-${id ?? 'endpoint-write'}`.slice(0, 128),
          requestedBy: `warden (event ${id ?? 'endpoint write'})`.slice(0, 256),
          reason: `write on ${endpoint}: held versions re-asserted at 0%`,
          signal: { kind: 'hold', ref: id },
        }),
      );
    return { handled: 'started', starts, reason: `write on ${endpoint}` };
  };
  if (!id) return reassert();
  // A start that fails gives the receipt back: Event Grid's redelivery is then processed.
  const done = await store.events.handleOnce(id, 'eventgrid:arm:models', reassert);
  return done?.value ?? { handled: 'duplicate', reason: 'event already handled' };
}

/** The SQL trigger on `alert_rules`: every change (insert, update, delete) → syncAlertRules for the row. */
export async function handleAlertRuleChange(
  store: MetadataStore,
  client: OrchestrationClient,
  change: { readonly key: string; readonly correlationId: string },
): Promise<StartOutcome> {
  const row = await store.alertRules.get(change.key);
  return startSyncAlertRules(client, {
    ruleId: change.key,
    correlationId: change.correlationId,
    requestedBy: row?.updated_by ?? 'warden (alert_rules delete)',
    reason: `alert_rules/${change.key} ${row ? 'changed' : 'deleted'}`,
  });
}

/**
 * The SQL trigger on `models`: the row is the desired state. Warden's own writes are skipped (no loop). A person
 * setting Quarantined → quarantine (decided); Production/Staging on a version tagged Quarantined → release;
 * Archived → retire; otherwise held versions are re-asserted at 0%.
 */
export async function handleModelChange(
  store: MetadataStore,
  client: OrchestrationClient,
  registry: Pick<ModelRegistryPort, 'getVersionTags'>,
  change: { readonly key: string; readonly correlationId: string },
): Promise<{ started: StartOutcome | null; note: string }> {
  const row = await store.models.get(change.key);
  if (!row) return { started: null, note: `model ${change.key} was deleted: Warden no longer manages it` };
  if (isWardenActor(row.updated_by)) return { started: null, note: "Warden's own write" };
  const tags = await registry.getVersionTags({
    workspaceId: workspaceOf(row.endpoint),
    name: row.name,
    version: row.model_version,
  });
  const tagged = tags?.[STAGE_TAG];
  const base = {
    modelId: row.id,
    correlationId: change.correlationId,
    requestedBy: row.updated_by,
    reason: `models/${row.id} set to ${row.stage} by ${row.updated_by}`,
  };
  if (row.stage === 'Quarantined')
    return {
      started: await startQuarantineModel(client, {
        ...base,
        signal: { kind: tagged === 'Quarantined' ? 'hold' : 'row-edit' },
      }),
      note: 'quarantine (row edit)',
    };
  if (row.stage === 'Archived')
    return { started: await startRetireModel(client, { ...base, approvalId: null }), note: 'retire (row edit)' };
  if (tagged === 'Quarantined' || tagged === 'Archived')
    return { started: await startReleaseModel(client, { ...base, mode: 'row-edit' }), note: 'release (row edit)' };
  return { started: null, note: `stage ${row.stage} matches the tag` };
}

/**
 * The sweep (every minute): quarantined versions due for a re-check (auto-release where allowed and recovered),
 * alert rules whose current version has not reached Monitor, and approved model decisions not yet applied (retire,
 * access cut, breaker reset).
 */
export async function sweepModels(
  store: MetadataStore,
  client: OrchestrationClient,
  now: Date,
): Promise<{ rechecks: StartOutcome[]; approvals: StartOutcome[]; syncs: StartOutcome[] }> {
  const correlationId = `sweep-models-${now.toISOString()}`;
  const rechecks: StartOutcome[] = [];
  for (const m of await store.models.list({ where: { stage: 'Quarantined' } }))
    if (m.next_check_at !== null && Date.parse(m.next_check_at) <= now.getTime())
      rechecks.push(
        await startReleaseModel(client, {
          modelId: m.id,
          correlationId,
          requestedBy: 'warden (sweep)',
          reason: `quarantine re-check due at ${m.next_check_at}`,
          mode: 'auto',
        }),
      );
  // Rows whose current version never reached Monitor (a transient failure, a missing action group at the time).
  const syncs: StartOutcome[] = [];
  for (const r of await store.alertRules.list()) {
    const state = await syncState(store, r.id);
    if (state.syncedVersion === r.version || state.notSyncedVersion === r.version) continue;
    syncs.push(
      await startSyncAlertRules(client, {
        ruleId: r.id,
        correlationId,
        requestedBy: 'warden (sweep)',
        reason: `alert_rules/${r.id} v${r.version} not synced yet`,
      }),
    );
  }
  const approvals: StartOutcome[] = [];
  for (const a of await store.approvals.list({ where: { kind: 'model', decision: 'approved' } })) {
    const r = await startApprovedModelDecision(store, client, a, 'warden (sweep)');
    approvals.push(...r.started);
  }
  return { rechecks, approvals, syncs };
}

/** What {@link startApprovedModelDecision} did for one approval. */
export interface ApprovedModelStart {
  /** False when an earlier hand-off (the approval call or a sweep) already started it. */
  readonly handled: boolean;
  readonly started: StartOutcome[];
  readonly reason: string;
}

/**
 * Starts what an approved model decision applies — once: the approval call does it at once, the sweep picks up what
 * that missed (audit `model.approval.started` on `approvals/<id>` marks it done). `retire` → `retireModel`;
 * `access-cut` → a `hold` run of `quarantineModel` (which cuts access); `breaker-reset` → every quarantine the breaker
 * stopped under this approval runs again with its original signal and rule (alerts are confirmed again; the count
 * starts after the reset).
 */
export async function startApprovedModelDecision(
  store: MetadataStore,
  client: OrchestrationClient,
  a: RecordOf<'approvals'>,
  actor: string,
  correlationId = `approval-${a.id}`.slice(0, 128),
): Promise<ApprovedModelStart> {
  if (a.kind !== 'model' || a.decision !== 'approved')
    return { handled: false, started: [], reason: `approval ${a.id} is not an approved model decision` };
  const applied = await store.audit.list({ target: `approvals/${a.id}`, limit: 50 });
  if (applied.some((e) => e.action === 'model.approval.applied' || e.action === 'model.approval.started'))
    return { handled: false, started: [], reason: `approval ${a.id} was already started` };
  const modelId = typeof a.plan.modelId === 'string' ? a.plan.modelId : null;
  const common = { correlationId, requestedBy: a.decided_by ?? actor };
  const started: StartOutcome[] = [];
  if (a.plan.action === 'retire' && modelId)
    started.push(
      await startRetireModel(client, { ...common, modelId, approvalId: a.id, reason: `approval ${a.id}: retire` }),
    );
  else if (a.plan.action === 'access-cut' && modelId)
    started.push(
      await startQuarantineModel(client, {
        ...common,
        modelId,
        reason: `approval ${a.id}: access cut`,
        signal: { kind: 'hold', ref: a.id },
      }),
    );
  else if (a.plan.action === 'breaker-reset')
    for (const stopped of await breakerStopped(store, a.id))
      started.push(
        await startQuarantineModel(client, {
          ...common,
          modelId: stopped.modelId,
          ruleId: stopped.ruleId,
          signal: stopped.signal,
          reason: `approval ${a.id}: breaker reset, quarantine stopped by the breaker runs again`,
        }),
      );
  await store.audit.append({
    actor,
    action: 'model.approval.started',
    target: `approvals/${a.id}`,
    after: {
      action: a.plan.action,
      modelId,
      instanceId: started[0]?.instanceId ?? null,
      instanceIds: started.map((x) => x.instanceId),
    },
    reason:
      started.length > 0
        ? `approved ${String(a.plan.action)} started`
        : `approved ${String(a.plan.action)} recorded (nothing to start)`,
    correlationId,
  });
  return {
    handled: true,
    started,
    reason: started.length > 0 ? `started ${started.length}` : `nothing to start for ${String(a.plan.action)}`,
  };
}

/** The quarantines the breaker stopped under one breaker-reset approval (latest signal per model). */
async function breakerStopped(
  store: MetadataStore,
  approvalId: string,
): Promise<{ modelId: string; ruleId: string | null; signal: QuarantineSignal }[]> {
  const rows = await store.backend.db
    .selectFrom('audit_log')
    .select(['target', 'after'])
    .where('action', '=', 'model.quarantine.breaker')
    .orderBy('seq', 'asc')
    .execute();
  const byModel = new Map<string, { modelId: string; ruleId: string | null; signal: QuarantineSignal }>();
  for (const r of rows) {
    let after: unknown;
    try {
      after = typeof r.after === 'string' ? JSON.parse(r.after) : r.after;
    } catch {
      continue;
    }
    const o = after as { approvalId?: unknown; signal?: unknown; ruleId?: unknown } | null;
    if (!o || o.approvalId !== approvalId || !String(r.target).startsWith('models/')) continue;
    const signal = QuarantineSignalSchema.safeParse(o.signal);
    if (!signal.success) continue;
    const modelId = String(r.target).slice('models/'.length);
    byModel.set(modelId, { modelId, ruleId: typeof o.ruleId === 'string' ? o.ruleId : null, signal: signal.data });
  }
  return [...byModel.values()];
}
