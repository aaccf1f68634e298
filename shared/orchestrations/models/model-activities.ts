/**
 * The activities of the model orchestrations: all I/O (store, Azure ML, Monitor) happens here; each parses its input
 * against the catalogue schema, re-reads before it writes, and audits what it changes.
 */
import { CloudAuthorizationError } from '../../cloud/ports/cloud-authorization-error';
import { type OnlineEndpointState, workspaceOf } from '../../cloud/ports/model-registry.port';
import { type AlertRule } from '../../domain/metadata/alert-rule.schema';
import type { RecordOf } from '../../domain/metadata/metadata-tables';
import { type BreachEvidence, checkRecovery, confirmBreach, type MetricPoint } from '../../domain/models/breach';
import { checkBreaker } from '../../domain/models/circuit-breaker';
import { evidenceSummary, STAGE_TAG, TAG_TRAFFIC } from '../../domain/models/evidence';
import type { ScoreGrant } from '../../domain/models/score-access';
import { sameArmId } from '../../domain/models/signals';
import { parseTraffic, planRestore, planTraffic, type TrafficPlan } from '../../domain/models/traffic-plan';
import { monitorDurationMinutes } from '../../domain/primitives/monitor-duration';
import { parseInput } from '../remediation-activities';
import {
  ApplyStageInputSchema,
  AssessInputSchema,
  CutAccessInputSchema,
  MODEL_ACTIVITIES,
  ModelAuditInputSchema,
  ModelNotifyInputSchema,
  MoveTrafficInputSchema,
  type QuarantineAssessment,
  RecheckInputSchema,
  type RecheckResult,
  RecordModelApprovalInputSchema,
  RestoreAccessInputSchema,
  type RestoreAccessOutcome,
  SyncRuleInputSchema,
  type TrafficOutcome,
} from './model-catalog';
import { type ModelDeps, wardenActor } from './model-deps';
import { cutScoreAccess, pendingRestores, restoreScoreAccess, type ScoreCutOutcome } from './score-access-cut';

type ModelRow = RecordOf<'models'>;
type RuleRow = RecordOf<'alert_rules'>;

export const BREAKER_TARGET = 'models/circuit-breaker';

const HELD_STAGES = new Set(['Quarantined', 'Archived']);

export function modelTarget(modelId: string): string {
  return `models/${modelId}`;
}

function versionRef(model: ModelRow) {
  return { workspaceId: workspaceOf(model.endpoint), name: model.name, version: model.model_version };
}

/** Model rows' versions on the same endpoint (and model name) that must serve nothing. */
async function heldVersions(deps: ModelDeps, model: ModelRow, extra: readonly string[]): Promise<Set<string>> {
  const rows = await deps.store.models.list();
  const held = new Set(extra);
  for (const r of rows)
    if (sameArmId(r.endpoint, model.endpoint) && r.name === model.name && HELD_STAGES.has(r.stage))
      held.add(r.model_version);
  return held;
}

/** The rule that governs a model's quarantine: the given one, else the model's first `quarantine` rule. */
async function ruleFor(deps: ModelDeps, modelId: string, ruleId: string | null): Promise<RuleRow | undefined> {
  if (ruleId) return deps.store.alertRules.get(ruleId);
  const rules = await deps.store.alertRules.list({ where: { model_id: modelId } });
  return rules.find((r) => r.action === 'quarantine') ?? rules[0];
}

/** The rule's metric over its last windows, the still-open (partial, empty) window left out. */
async function readWindows(
  deps: ModelDeps,
  rule: AlertRule,
  endpoint: OnlineEndpointState | undefined,
  windows: number,
  now: Date,
): Promise<MetricPoint[]> {
  const windowMs = monitorDurationMinutes(rule.window) * 60_000;
  const from = new Date(now.getTime() - (windows + 1) * windowMs);
  const points =
    rule.source.kind === 'metrics'
      ? await deps.metrics.queryMetric({
          resourceId: rule.target,
          region: endpoint?.location ?? 'westeurope',
          namespace: rule.source.namespace,
          metric: rule.source.metric,
          aggregation: rule.source.aggregation,
          window: rule.window,
          from,
          to: now,
        })
      : await deps.metrics.queryLogs({
          workspaceId: rule.source.workspace ?? rule.target,
          query: rule.source.query,
          from,
          to: now,
        });
  return points.filter((p) => !(p.value === null && Date.parse(p.timeStamp) + windowMs > now.getTime()));
}

/** The approved access cut for a model decided within the validity window, if any. */
async function approvedAccessCut(deps: ModelDeps, modelId: string, now: Date): Promise<string | null> {
  const rows = await deps.store.approvals.list({ where: { kind: 'model', target: modelTarget(modelId) } });
  for (const a of rows)
    if (
      a.plan.action === 'access-cut' &&
      a.decision === 'approved' &&
      a.decided_at !== null &&
      Date.parse(a.decided_at) + deps.settings.approvalValidityMs > now.getTime()
    )
      return a.id;
  return null;
}

/** Quarantine times within the breaker window (audit `model.quarantined`), and the last breaker reset. */
export async function breakerState(deps: ModelDeps, now: Date) {
  const from = new Date(now.getTime() - deps.settings.breaker.windowMinutes * 60_000).toISOString();
  const rows = await deps.store.backend.db
    .selectFrom('audit_log')
    .select(['at'])
    .where('action', '=', 'model.quarantined')
    .where('at', '>=', from)
    .execute();
  const resets = await deps.store.approvals.list({ where: { kind: 'model', target: BREAKER_TARGET } });
  let resetAt: string | null = null;
  for (const r of resets)
    if (r.decision === 'approved' && r.decided_at !== null && (resetAt === null || r.decided_at > resetAt))
      resetAt = r.decided_at;
  return checkBreaker(
    rows.map((r) => String(r.at)),
    now,
    deps.settings.breaker,
    resetAt,
  );
}

/** Plans a quarantine (shared by the assess activity and the HTTP dry run). */
export async function assessQuarantine(deps: ModelDeps, raw: unknown): Promise<QuarantineAssessment> {
  const input = parseInput(MODEL_ACTIVITIES.assess.name, AssessInputSchema, raw);
  const now = new Date(input.now);
  const base = {
    modelId: input.modelId,
    ruleId: input.ruleId,
    ruleAction: null,
    evidence: null,
    traffic: null,
    accessCutApprovalId: null,
  } as const;
  const model = await deps.store.models.get(input.modelId);
  if (!model) return { ...base, decision: 'drop', reason: `model ${input.modelId} does not exist` };
  const rule = await ruleFor(deps, model.id, input.ruleId);
  const endpoint = await deps.registry.getEndpoint(model.endpoint);
  const accessCutApprovalId = await approvedAccessCut(deps, model.id, now);
  const withRule = { ...base, ruleId: rule?.id ?? input.ruleId, ruleAction: rule?.action ?? null, accessCutApprovalId };
  const plan = async (extra: readonly string[]): Promise<TrafficPlan | null> =>
    endpoint
      ? planTraffic(
          endpoint.traffic,
          endpoint.deployments,
          await heldVersions(deps, model, extra),
          model.last_good_version,
        )
      : null;

  if (model.stage === 'Archived')
    return { ...withRule, decision: 'hold', reason: 'the version is retired: held at 0%', traffic: await plan([]) };
  if (model.stage === 'Quarantined')
    return {
      ...withRule,
      decision: input.signal.kind === 'hold' || input.signal.kind === 'row-edit' ? 'hold' : 'joined',
      reason:
        input.signal.kind === 'hold' || input.signal.kind === 'row-edit'
          ? 'the version is quarantined: held at 0%'
          : `the version is already quarantined: ${input.signal.kind} ${input.signal.ref ?? ''} joins it`.trim(),
      traffic: await plan([model.model_version]),
    };
  if (input.signal.kind === 'hold')
    return { ...withRule, decision: 'hold', reason: 'held versions re-asserted at 0%', traffic: await plan([]) };

  const decided = input.signal.kind === 'operator' || input.signal.kind === 'row-edit';
  let evidence: BreachEvidence | null = null;
  if (!decided) {
    if (!rule) return { ...withRule, decision: 'drop', reason: `no alert rule governs model ${model.id}` };
    if (!endpoint) return { ...withRule, decision: 'drop', reason: `endpoint ${model.endpoint} does not exist` };
    const points = await readWindows(deps, rule, endpoint, rule.failing_periods.of_last, now);
    evidence = confirmBreach(points, rule);
    if (evidence.verdict !== 'confirmed')
      return {
        ...withRule,
        evidence,
        decision: 'drop',
        reason: `breach not confirmed (${evidence.verdict}): ${evidenceSummary(evidence)}`,
      };
    if (rule.action === 'notify')
      return { ...withRule, evidence, decision: 'drop', reason: `confirmed; the rule ${rule.id} only notifies` };
    const breaker = await breakerState(deps, now);
    if (breaker.tripped) return { ...withRule, evidence, decision: 'breaker', reason: breaker.reason };
  }
  return {
    ...withRule,
    evidence,
    decision: 'quarantine',
    reason: decided
      ? `decided by ${input.signal.kind === 'operator' ? 'an operator' : 'a models row edit'}`
      : `breach confirmed: ${evidenceSummary(evidence)}`,
    traffic: await plan([model.model_version]),
  };
}

async function requireModel(deps: ModelDeps, modelId: string): Promise<ModelRow> {
  return deps.store.models.require(modelId);
}

/** Moves the traffic of a model's endpoint per the plan (hold or restore); re-reads first; audits. */
async function moveTraffic(deps: ModelDeps, raw: unknown): Promise<TrafficOutcome> {
  const input = parseInput(MODEL_ACTIVITIES.moveTraffic.name, MoveTrafficInputSchema, raw);
  const model = await requireModel(deps, input.modelId);
  const endpoint = await deps.registry.getEndpoint(model.endpoint);
  if (!endpoint) return { status: 'endpoint-missing', plan: null, traffic: null };
  let plan: TrafficPlan;
  if (input.mode === 'hold') {
    plan = planTraffic(
      endpoint.traffic,
      endpoint.deployments,
      await heldVersions(deps, model, []),
      model.last_good_version,
    );
  } else {
    const tags = (await deps.registry.getVersionTags(versionRef(model))) ?? {};
    plan = planRestore(
      endpoint.traffic,
      endpoint.deployments,
      model.deployment,
      await heldVersions(deps, model, []),
      parseTraffic(tags[TAG_TRAFFIC]),
    );
  }
  if (plan.needsAccessCut) return { status: 'needs-access-cut', plan, traffic: endpoint.traffic };
  if (!plan.changed) return { status: 'unchanged', plan, traffic: endpoint.traffic };
  if (deps.settings.killSwitch) {
    await deps.store.audit.append({
      actor: input.actor,
      action: 'model.traffic.report-only',
      target: model.endpoint,
      before: plan.before,
      after: plan.after,
      reason: `kill switch engaged: ${plan.reason}`,
      correlationId: input.correlationId,
    });
    return { status: 'unchanged', plan, traffic: endpoint.traffic };
  }
  const traffic = await deps.registry.setTraffic(model.endpoint, plan.after);
  await deps.store.audit.append({
    actor: input.actor,
    action: input.mode === 'hold' ? 'model.traffic.held' : 'model.traffic.restored',
    target: model.endpoint,
    before: { traffic: plan.before },
    after: { traffic, held: plan.held, receiver: plan.receiver, modelId: model.id },
    reason: plan.reason,
    correlationId: input.correlationId,
  });
  return { status: 'applied', plan, traffic };
}

export function createModelActivities(deps: ModelDeps) {
  const { store, registry } = deps;
  return {
    [MODEL_ACTIVITIES.assess.name]: (raw: unknown) => assessQuarantine(deps, raw),

    [MODEL_ACTIVITIES.applyStage.name]: async (raw: unknown): Promise<{ tags: Record<string, string> }> => {
      const input = parseInput(MODEL_ACTIVITIES.applyStage.name, ApplyStageInputSchema, raw);
      const model = await requireModel(deps, input.modelId);
      if (deps.settings.killSwitch) {
        await store.audit.append({
          actor: input.actor,
          action: 'model.stage.report-only',
          target: modelTarget(model.id),
          after: { stage: input.stage },
          reason: `kill switch engaged: ${input.reason}`,
          correlationId: input.correlationId,
        });
        return { tags: {} };
      }
      const before = (await registry.getVersionTags(versionRef(model))) ?? {};
      const tags = await registry.setVersionTags(versionRef(model), { ...input.tags, [STAGE_TAG]: input.stage });
      // The row follows the tag (Warden's own write: the models trigger skips it).
      if (model.stage !== input.stage) {
        const { version, created_at: _c, updated_at: _u, updated_by: _b, ...fields } = model;
        await store.models.upsert(
          { ...fields, stage: input.stage, next_check_at: null },
          {
            actor: wardenActor(`model ${input.stage.toLowerCase()}`, input.actor),
            expectedVersion: version,
            reason: input.reason,
            correlationId: input.correlationId,
          },
        );
      }
      const action =
        input.stage === 'Quarantined'
          ? 'model.quarantined'
          : input.stage === 'Archived'
            ? 'model.retired'
            : 'model.released';
      await store.audit.append({
        actor: input.actor,
        action,
        target: modelTarget(model.id),
        before: { stage: model.stage, tags: before },
        after: { stage: input.stage, tags, model: model.name, version: model.model_version },
        reason: input.reason,
        correlationId: input.correlationId,
      });
      return { tags };
    },

    [MODEL_ACTIVITIES.moveTraffic.name]: (raw: unknown) => moveTraffic(deps, raw),

    [MODEL_ACTIVITIES.cutAccess.name]: async (raw: unknown): Promise<{ status: string; detail: string }> => {
      const input = parseInput(MODEL_ACTIVITIES.cutAccess.name, CutAccessInputSchema, raw);
      const model = await requireModel(deps, input.modelId);
      const endpoint = await registry.getEndpoint(model.endpoint);
      if (!endpoint) return { status: 'endpoint-missing', detail: model.endpoint };
      if (deps.settings.killSwitch) return { status: 'report-only', detail: 'kill switch engaged' };
      const zero = Object.fromEntries(endpoint.deployments.map((d) => [d.name, 0]));
      const traffic = await registry.setTraffic(model.endpoint, zero);
      const keyAuth = endpoint.authMode === 'Key';
      let keys = false;
      let refused: string | null = null;
      let roles: ScoreCutOutcome | null = null;
      if (keyAuth)
        try {
          await registry.regenerateKeys(model.endpoint);
          keys = true;
        } catch (e) {
          // Warden lacks the right: the traffic cut stands, the refusal is audited, not retried.
          if (!(e instanceof CloudAuthorizationError)) throw e;
          refused = `key regeneration refused: ${e.action ?? 'missing permission'}`;
        }
      else if (endpoint.authMode === 'AADToken') {
        roles = await cutScoreAccess(deps, {
          endpointId: model.endpoint,
          modelId: model.id,
          approvalId: input.approvalId,
          actor: input.actor,
          correlationId: input.correlationId,
        });
        refused = roles.refused;
      }
      const detail = [
        'all traffic 0%',
        ...(keys ? ['both endpoint keys regenerated'] : []),
        ...(roles ? [`${roles.removed.length} score role assignment(s) at the endpoint removed`] : []),
        ...(roles && roles.left.length > 0 ? [`${roles.left.length} inherited score grant(s) left`] : []),
        ...(refused ? [refused] : []),
      ].join('; ');
      const strip = (gs: readonly ScoreGrant[]) =>
        gs.map((g) => ({
          assignmentId: g.assignmentId,
          principalId: g.principalId,
          principalType: g.principalType,
          roleName: g.roleName,
          scope: g.scope,
        }));
      await store.audit.append({
        actor: input.actor,
        action: 'model.access.cut',
        target: model.endpoint,
        before: { traffic: endpoint.traffic },
        after: {
          traffic,
          authMode: endpoint.authMode,
          keysRegenerated: keys,
          ...(roles
            ? {
                rolesRemoved: strip(roles.removed),
                alreadyGone: strip(roles.alreadyGone),
                left: strip(roles.left),
                unresolved: strip(roles.unresolved),
              }
            : {}),
          refused,
          approvalId: input.approvalId,
          modelId: model.id,
        },
        reason: `approved access cut (${input.approvalId}): no good deployment remains — ${detail}`,
        correlationId: input.correlationId,
      });
      return { status: refused ? 'partial' : 'applied', detail };
    },

    [MODEL_ACTIVITIES.restoreAccess.name]: async (raw: unknown): Promise<RestoreAccessOutcome> => {
      const input = parseInput(MODEL_ACTIVITIES.restoreAccess.name, RestoreAccessInputSchema, raw);
      const model = await requireModel(deps, input.modelId);
      const pending = await pendingRestores(deps, model.endpoint);
      if (pending.length === 0)
        return { status: 'none', detail: 'no score role assignment was removed by an access cut' };
      if (deps.settings.killSwitch) {
        await store.audit.append({
          actor: input.actor,
          action: 'model.access.restore.report-only',
          target: model.endpoint,
          after: { pending: pending.length, modelId: model.id },
          reason: `kill switch engaged: ${pending.length} score role assignment(s) would be restored`,
          correlationId: input.correlationId,
        });
        return { status: 'report-only', detail: 'kill switch engaged' };
      }
      const r = await restoreScoreAccess(deps, {
        endpointId: model.endpoint,
        modelId: model.id,
        actor: input.actor,
        correlationId: input.correlationId,
      });
      if (!r) return { status: 'none', detail: 'nothing to restore' };
      const detail = `${r.restored.length} restored, ${r.existing.length} already there, ${r.skipped.length} not restorable${r.refused ? `; ${r.refused}` : ''}`;
      return { status: r.refused ? 'partial' : 'restored', detail };
    },

    [MODEL_ACTIVITIES.recordApproval.name]: async (raw: unknown): Promise<{ approvalId: string; created: boolean }> => {
      const input = parseInput(MODEL_ACTIVITIES.recordApproval.name, RecordModelApprovalInputSchema, raw);
      const pending = await store.approvals.list({ where: { kind: 'model', target: input.target } });
      const open = pending.find((a) => a.decision === null && a.plan.action === input.action);
      if (open) return { approvalId: open.id, created: false };
      const id = `apr-model-${input.action}-${(input.modelId ?? 'breaker').slice(0, 40)}-${store.clock.now().getTime().toString(36)}`;
      await store.approvals.upsert(
        {
          id: id.slice(0, 128),
          kind: 'model',
          target: input.target,
          plan: {
            action: input.action,
            modelId: input.modelId,
            summary: input.summary,
            correlationId: input.correlationId,
          },
          requested_by: input.requestedBy,
          requested_at: store.clock.now().toISOString(),
        },
        { actor: input.requestedBy, reason: input.summary.slice(0, 500), correlationId: input.correlationId },
      );
      return { approvalId: id.slice(0, 128), created: true };
    },

    [MODEL_ACTIVITIES.audit.name]: async (raw: unknown): Promise<null> => {
      const input = parseInput(MODEL_ACTIVITIES.audit.name, ModelAuditInputSchema, raw);
      await store.audit.append({
        actor: input.actor,
        action: input.action,
        target: input.target,
        after: input.after,
        reason: input.reason,
        correlationId: input.correlationId,
      });
      return null;
    },

    [MODEL_ACTIVITIES.notify.name]: async (raw: unknown): Promise<{ sent: boolean }> => {
      const input = parseInput(MODEL_ACTIVITIES.notify.name, ModelNotifyInputSchema, raw);
      try {
        await deps.notifier.publish([input]);
        return { sent: true };
      } catch (e) {
        await store.audit.append({
          actor: 'warden',
          action: 'notification.failed',
          target: input.subject,
          reason: `${input.type} could not be published: ${e instanceof Error ? e.message.slice(0, 300) : 'unknown error'}`,
          correlationId: input.correlationId,
        });
        return { sent: false };
      }
    },

    [MODEL_ACTIVITIES.recheck.name]: async (raw: unknown): Promise<RecheckResult> => {
      const input = parseInput(MODEL_ACTIVITIES.recheck.name, RecheckInputSchema, raw);
      const now = new Date(input.now);
      const model = await store.models.get(input.modelId);
      if (model?.stage !== 'Quarantined')
        return { release: false, reason: 'the version is no longer quarantined', nextCheckAt: null };
      const rule = await ruleFor(deps, model.id, null);
      let verdict: { release: boolean; reason: string };
      if (!rule) verdict = { release: false, reason: 'no alert rule governs the model' };
      else if (!rule.auto_release) verdict = { release: false, reason: `rule ${rule.id} does not allow auto-release` };
      else {
        const endpoint = await registry.getEndpoint(model.endpoint);
        const points = await readWindows(deps, rule, endpoint, rule.recovery_windows, now);
        const r = checkRecovery(points, rule, rule.recovery_windows);
        verdict = { release: r.recovered, reason: r.reason };
      }
      if (verdict.release) return { ...verdict, nextCheckAt: null };
      // Not yet: the next check is due later (Warden's own write; the models trigger skips it).
      const nextCheckAt = new Date(now.getTime() + deps.settings.recheckMs).toISOString();
      const { version, created_at: _c, updated_at: _u, updated_by: _b, ...fields } = model;
      await store.models.upsert(
        { ...fields, next_check_at: nextCheckAt },
        {
          actor: wardenActor('quarantine re-check', 'sweep'),
          expectedVersion: version,
          reason: `re-check: ${verdict.reason}`,
          correlationId: input.correlationId,
        },
      );
      return { ...verdict, nextCheckAt };
    },

    [MODEL_ACTIVITIES.syncRule.name]: async (raw: unknown) => {
      const input = parseInput(MODEL_ACTIVITIES.syncRule.name, SyncRuleInputSchema, raw);
      return syncRule(deps, input.ruleId, input.correlationId, input.actor);
    },
  };
}

/** The Monitor rule ids Warden last synced for a row (from the audit log), for deletes. */
async function lastSyncedIds(deps: ModelDeps, ruleId: string): Promise<string[]> {
  const entries = await deps.store.audit.list({ target: `alert_rules/${ruleId}`, limit: 1000 });
  const ids: string[] = [];
  for (const e of entries) {
    const after = e.after as { monitorRuleId?: unknown; target?: unknown } | null;
    if (e.action === 'alert_rule.synced' && typeof after?.monitorRuleId === 'string') ids.push(after.monitorRuleId);
    if (e.action.startsWith('alert_rules.') && typeof after?.target === 'string')
      ids.push(...deps.alertRules.candidateIds(ruleId, after.target));
  }
  return [...new Set(ids)];
}

/** The row versions last recorded as synced and as not syncable (audit entries of `alert_rules/<id>`). */
export async function syncState(
  store: ModelDeps['store'],
  ruleId: string,
): Promise<{ syncedVersion: number | undefined; notSyncedVersion: number | undefined }> {
  let syncedVersion: number | undefined;
  let notSyncedVersion: number | undefined;
  for (const e of await store.audit.list({ target: `alert_rules/${ruleId}`, limit: 1000 })) {
    const v = (e.after as { version?: unknown } | null)?.version;
    if (typeof v !== 'number') continue;
    if (e.action === 'alert_rule.synced') syncedVersion = v;
    if (e.action === 'alert_rule.not-synced') notSyncedVersion = v;
  }
  return { syncedVersion, notSyncedVersion };
}

/** Creates, updates or deletes the Monitor rule of one `alert_rules` row (idempotent); audited when it changes. */
export async function syncRule(
  deps: ModelDeps,
  ruleId: string,
  correlationId: string,
  actor: string,
): Promise<{ action: string; monitorRuleIds: string[] }> {
  const row = await deps.store.alertRules.get(ruleId);
  if (!row) {
    const deleted: string[] = [];
    for (const id of await lastSyncedIds(deps, ruleId))
      if ((await deps.alertRules.delete(id)) === 'deleted') deleted.push(id);
    if (deleted.length > 0)
      await deps.store.audit.append({
        actor,
        action: 'alert_rule.deleted',
        target: `alert_rules/${ruleId}`,
        after: { monitorRuleIds: deleted },
        reason: 'the alert_rules row was deleted',
        correlationId,
      });
    return { action: deleted.length > 0 ? 'deleted' : 'absent', monitorRuleIds: deleted };
  }
  const actionGroupId = deps.settings.actionGroupId;
  const recorded = await syncState(deps.store, ruleId);
  if (!actionGroupId) {
    // Recorded once per row version (the sweep retries rows that are not in sync).
    if (recorded.notSyncedVersion !== row.version)
      await deps.store.audit.append({
        actor,
        action: 'alert_rule.not-synced',
        target: `alert_rules/${ruleId}`,
        after: { version: row.version },
        reason: 'WARDEN_ALERT_ACTION_GROUP_ID is not set: no Monitor rule can notify Warden',
        correlationId,
      });
    return { action: 'not-configured', monitorRuleIds: [] };
  }
  // A target moved to another resource group leaves the old rule behind: remove it.
  const stale = (await lastSyncedIds(deps, ruleId)).filter(
    (id) => !deps.alertRules.candidateIds(ruleId, row.target).some((c) => sameArmId(c, id)),
  );
  for (const id of stale) await deps.alertRules.delete(id);
  const r = await deps.alertRules.upsert(row, actionGroupId);
  if (r.action !== 'unchanged' || stale.length > 0 || recorded.syncedVersion !== row.version)
    await deps.store.audit.append({
      actor,
      action: 'alert_rule.synced',
      target: `alert_rules/${ruleId}`,
      after: { monitorRuleId: r.monitorRuleId, kind: r.kind, action: r.action, removed: stale, version: row.version },
      reason: `Monitor rule ${r.action}`,
      correlationId,
    });
  return { action: r.action, monitorRuleIds: [r.monitorRuleId] };
}
