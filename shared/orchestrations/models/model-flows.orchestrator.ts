/**
 * quarantineModel, releaseModel, retireModel and syncAlertRules (DESIGN.md; issue 9). Deterministic: time from
 * `currentUtcDateTime`, all I/O in activities. Each run finishes (nothing waits on an event continue-as-new could
 * drop): gated steps are recorded in `approvals` and a decision starts a fresh run through the sweep.
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import * as df from 'durable-functions';

import { quarantineTags, releaseTags } from '../../domain/models/evidence';
import { takeRerun } from '../take-rerun.orchestrator';
import {
  MODEL_ACTIVITIES,
  type ModelRunResult,
  type QuarantineAssessment,
  type QuarantineModelInput,
  QuarantineModelInputSchema,
  type RecheckResult,
  type ReleaseModelInput,
  ReleaseModelInputSchema,
  type RestoreAccessOutcome,
  type RetireModelInput,
  RetireModelInputSchema,
  type SyncAlertRulesInput,
  SyncAlertRulesInputSchema,
  type TrafficOutcome,
} from './model-catalog';

const RETRY = new df.RetryOptions(5000, 3);

function parse<T>(
  name: string,
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  raw: unknown,
): T {
  const r = schema.safeParse(raw);
  if (!r.success)
    throw new Error(
      `${name} input is invalid: ${r.error.issues.map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

function notify(
  context: OrchestrationContext,
  type: string,
  subject: string,
  data: Record<string, unknown>,
  correlationId: string,
): Task {
  return context.df.callActivity(MODEL_ACTIVITIES.notify.name, { type, subject, data, correlationId });
}

function audit(
  context: OrchestrationContext,
  action: string,
  target: string,
  reason: string,
  after: Record<string, unknown> | null,
  correlationId: string,
  actor: string,
): Task {
  return context.df.callActivity(MODEL_ACTIVITIES.audit.name, { action, target, reason, after, correlationId, actor });
}

/** Another trigger for the same model meanwhile (a `rerun` event, buffered): continue as new with its input. */
function* finish<I extends { correlationId: string; requestedBy: string; reason: string }>(
  context: OrchestrationContext,
  _input: I,
  result: ModelRunResult,
  next: (signal: Record<string, unknown>) => I,
): Generator<Task, ModelRunResult, unknown> {
  const rerun = yield* takeRerun(context);
  if (!rerun) return result;
  const latest = rerun.latest;
  const s = (typeof latest === 'object' && latest !== null ? latest : {}) as Record<string, unknown>;
  context.df.continueAsNew(next(s));
  return { ...result, rerun: true };
}

const target = (modelId: string) => `models/${modelId}`;

export const quarantineModelOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<Task, ModelRunResult, unknown> {
  const input: QuarantineModelInput = parse('quarantineModel', QuarantineModelInputSchema, context.df.getInput());
  const now = context.df.currentUtcDateTime.toISOString();
  const { correlationId, requestedBy: actor, modelId } = input;
  const assessment = (yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.assess.name, RETRY, {
    modelId,
    ruleId: input.ruleId,
    signal: input.signal,
    now,
    correlationId,
  })) as QuarantineAssessment;
  const done = (status: string, extra: Partial<ModelRunResult> = {}): ModelRunResult => ({
    modelId,
    status,
    reason: assessment.reason,
    assessment,
    ...extra,
  });
  if (input.dryRun) return done('dry-run');
  const next = (s: Record<string, unknown>): QuarantineModelInput => ({
    ...input,
    correlationId: typeof s.correlationId === 'string' ? s.correlationId : input.correlationId,
    requestedBy: typeof s.requestedBy === 'string' ? s.requestedBy : input.requestedBy,
    reason: typeof s.reason === 'string' ? s.reason : input.reason,
    ruleId: typeof s.ruleId === 'string' ? s.ruleId : null,
    signal:
      typeof s.signal === 'object' && s.signal !== null
        ? (s.signal as QuarantineModelInput['signal'])
        : { kind: 'hold', ref: null, metricValue: null },
  });

  switch (assessment.decision) {
    case 'drop': {
      yield audit(
        context,
        'model.quarantine.dropped',
        target(modelId),
        assessment.reason,
        { signal: input.signal, evidence: assessment.evidence },
        correlationId,
        actor,
      );
      if (assessment.ruleAction === 'notify' && assessment.evidence?.verdict === 'confirmed')
        yield notify(
          context,
          'Warden.Model.BreachConfirmed',
          target(modelId),
          { modelId, ruleId: assessment.ruleId, reason: assessment.reason },
          correlationId,
        );
      return yield* finish(context, input, done('dropped'), next);
    }
    case 'breaker': {
      const recorded = (yield context.df.callActivity(MODEL_ACTIVITIES.recordApproval.name, {
        target: 'models/circuit-breaker',
        action: 'breaker-reset',
        summary: `quarantine circuit breaker tripped: ${assessment.reason}`,
        modelId: null,
        requestedBy: actor,
        correlationId,
      })) as { approvalId: string; created: boolean };
      yield audit(
        context,
        'model.quarantine.breaker',
        target(modelId),
        assessment.reason,
        {
          signal: input.signal,
          ruleId: assessment.ruleId,
          evidence: assessment.evidence,
          approvalId: recorded.approvalId,
        },
        correlationId,
        actor,
      );
      if (recorded.created)
        yield notify(
          context,
          'Warden.Model.BreakerTripped',
          'models/circuit-breaker',
          { modelId, reason: assessment.reason, approvalId: recorded.approvalId },
          correlationId,
        );
      return yield* finish(context, input, done('breaker-tripped', { approvalId: recorded.approvalId }), next);
    }
    case 'joined':
    case 'hold': {
      if (assessment.decision === 'joined')
        yield audit(
          context,
          'model.quarantine.joined',
          target(modelId),
          assessment.reason,
          { signal: input.signal },
          correlationId,
          actor,
        );
      const traffic = (yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.moveTraffic.name, RETRY, {
        modelId,
        mode: 'hold',
        correlationId,
        actor,
      })) as TrafficOutcome;
      const approvalId = yield* accessCut(context, input, assessment, traffic);
      return yield* finish(
        context,
        input,
        done(assessment.decision === 'joined' ? 'joined' : 'held', { traffic, approvalId }),
        next,
      );
    }
    case 'quarantine': {
      yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.applyStage.name, RETRY, {
        modelId,
        stage: 'Quarantined',
        tags: quarantineTags(assessment, now, correlationId),
        now,
        correlationId,
        actor,
        reason: `${input.reason}: ${assessment.reason}`.slice(0, 1000),
      });
      const traffic = (yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.moveTraffic.name, RETRY, {
        modelId,
        mode: 'hold',
        correlationId,
        actor,
      })) as TrafficOutcome;
      const approvalId = yield* accessCut(context, input, assessment, traffic);
      yield notify(
        context,
        'Warden.Model.Quarantined',
        target(modelId),
        {
          modelId,
          ruleId: assessment.ruleId,
          signal: input.signal.kind,
          reason: assessment.reason,
          traffic: traffic.traffic,
          trafficStatus: traffic.status,
          approvalId,
        },
        correlationId,
      );
      return yield* finish(context, input, done('quarantined', { traffic, approvalId }), next);
    }
  }
};

/** No good deployment left: cut access when an approval allows, else ask for one (once). */
function* accessCut(
  context: OrchestrationContext,
  input: QuarantineModelInput,
  assessment: QuarantineAssessment,
  traffic: TrafficOutcome,
): Generator<Task, string | null, unknown> {
  if (traffic.status !== 'needs-access-cut') return null;
  const { modelId, correlationId, requestedBy: actor } = input;
  if (assessment.accessCutApprovalId) {
    yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.cutAccess.name, RETRY, {
      modelId,
      approvalId: assessment.accessCutApprovalId,
      correlationId,
      actor,
    });
    return assessment.accessCutApprovalId;
  }
  const recorded = (yield context.df.callActivity(MODEL_ACTIVITIES.recordApproval.name, {
    target: target(modelId),
    action: 'access-cut',
    summary: `no good deployment remains on the endpoint of ${modelId}: cut its access (all traffic 0%, keys regenerated for key-auth endpoints)`,
    modelId,
    requestedBy: actor,
    correlationId,
  })) as { approvalId: string; created: boolean };
  if (recorded.created)
    yield notify(
      context,
      'Warden.Approval.Requested',
      `approvals/${recorded.approvalId}`,
      { approvalId: recorded.approvalId, kind: 'model', target: target(modelId), action: 'access-cut' },
      correlationId,
    );
  return recorded.approvalId;
}

export const releaseModelOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<Task, ModelRunResult, unknown> {
  const input: ReleaseModelInput = parse('releaseModel', ReleaseModelInputSchema, context.df.getInput());
  const now = context.df.currentUtcDateTime.toISOString();
  const { correlationId, requestedBy: actor, modelId } = input;
  if (input.mode === 'auto') {
    const check = (yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.recheck.name, RETRY, {
      modelId,
      now,
      correlationId,
    })) as RecheckResult;
    yield audit(
      context,
      check.release ? 'model.recheck.recovered' : 'model.recheck.held',
      target(modelId),
      check.reason,
      { nextCheckAt: check.nextCheckAt },
      correlationId,
      actor,
    );
    if (!check.release) return { modelId, status: 'held', reason: check.reason };
  }
  yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.applyStage.name, RETRY, {
    modelId,
    stage: 'Production',
    tags: releaseTags(),
    now,
    correlationId,
    actor,
    reason: input.reason,
  });
  const traffic = (yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.moveTraffic.name, RETRY, {
    modelId,
    mode: 'restore',
    correlationId,
    actor,
  })) as TrafficOutcome;
  // The endpoint serves again: give back the score role assignments an access cut removed (AADToken endpoints).
  const access =
    traffic.status === 'applied' || traffic.status === 'unchanged'
      ? ((yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.restoreAccess.name, RETRY, {
          modelId,
          correlationId,
          actor,
        })) as RestoreAccessOutcome)
      : null;
  yield notify(
    context,
    'Warden.Model.Released',
    target(modelId),
    {
      modelId,
      mode: input.mode,
      traffic: traffic.traffic,
      trafficStatus: traffic.status,
      ...(access && access.status !== 'none' ? { accessRestore: access.status } : {}),
    },
    correlationId,
  );
  return yield* finish(context, input, { modelId, status: 'released', reason: input.reason, traffic }, (s) => ({
    ...input,
    correlationId: typeof s.correlationId === 'string' ? s.correlationId : correlationId,
    requestedBy: typeof s.requestedBy === 'string' ? s.requestedBy : actor,
  }));
};

export const retireModelOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<Task, ModelRunResult, unknown> {
  const input: RetireModelInput = parse('retireModel', RetireModelInputSchema, context.df.getInput());
  const now = context.df.currentUtcDateTime.toISOString();
  const { correlationId, requestedBy: actor, modelId } = input;
  yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.applyStage.name, RETRY, {
    modelId,
    stage: 'Archived',
    tags: {},
    now,
    correlationId,
    actor,
    reason: input.approvalId ? `${input.reason} (approval ${input.approvalId})` : input.reason,
  });
  const traffic = (yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.moveTraffic.name, RETRY, {
    modelId,
    mode: 'hold',
    correlationId,
    actor,
  })) as TrafficOutcome;
  if (input.approvalId)
    yield audit(
      context,
      'model.approval.applied',
      `approvals/${input.approvalId}`,
      'retire applied',
      { modelId },
      correlationId,
      actor,
    );
  yield notify(
    context,
    'Warden.Model.Retired',
    target(modelId),
    { modelId, approvalId: input.approvalId, traffic: traffic.traffic, trafficStatus: traffic.status },
    correlationId,
  );
  return { modelId, status: 'retired', reason: input.reason, traffic, approvalId: input.approvalId };
};

export const syncAlertRulesOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<Task, ModelRunResult, unknown> {
  const input: SyncAlertRulesInput = parse('syncAlertRules', SyncAlertRulesInputSchema, context.df.getInput());
  const r = (yield context.df.callActivityWithRetry(MODEL_ACTIVITIES.syncRule.name, RETRY, {
    ruleId: input.ruleId,
    correlationId: input.correlationId,
    actor: input.requestedBy,
  })) as { action: string };
  return yield* finish(context, input, { modelId: input.ruleId, status: r.action, reason: input.reason }, (s) => ({
    ...input,
    correlationId: typeof s.correlationId === 'string' ? s.correlationId : input.correlationId,
    requestedBy: typeof s.requestedBy === 'string' ? s.requestedBy : input.requestedBy,
  }));
};
