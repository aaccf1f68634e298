/**
 * Activities every enforcement run shares: audit the plan and the outcome, record gated steps in `approvals`,
 * notify. Each parses its input against the catalogue schema and is idempotent.
 */
import type { z } from 'zod';

import type { AccessPlan } from '../domain/access/plan-role-assignments';
import { ValidationError } from '../domain/errors';
import { fnv1a } from '../domain/fnv1a';
import { toFieldIssues } from '../domain/metadata/metadata-tables';
import type { NetworkPlan } from '../domain/network/plan-network-posture';
import {
  ACTIVITIES,
  type ApprovalRecorded,
  AuditOutcomeInputSchema,
  AuditPlanInputSchema,
  NotifyInputSchema,
  RecordApprovalInputSchema,
} from './catalog';
import type { EnforcementDeps } from './enforcement-deps';

/** Parses an activity input against its catalogue schema; a bad input is a ValidationError naming the fields. */
export function parseInput<T>(activity: string, schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(`input of activity ${activity}`, toFieldIssues(r.error));
  return r.data;
}

const MAX_AUDITED_STEPS = 1000;

/** A plan as audited: every step's key, what it does and why; capped so a huge plan stays one readable entry. */
export function planSummary(plan: AccessPlan | NetworkPlan): Record<string, unknown> {
  const steps = plan.steps.map((s) => ({
    key: s.key,
    reason: s.reason,
    justifiedBy: s.justifiedBy,
    needsApproval: s.needsApproval,
    ...(s.approvalReason ? { approvalReason: s.approvalReason } : {}),
  }));
  return {
    kind: plan.kind,
    target: plan.target,
    apply: plan.apply,
    notApplyingReason: plan.notApplyingReason,
    stepCount: plan.steps.length,
    steps: steps.slice(0, MAX_AUDITED_STEPS),
    notes: plan.notes.slice(0, MAX_AUDITED_STEPS),
    ...('refused' in plan ? { refused: plan.refused } : {}),
    ...('blastRadius' in plan ? { blastRadius: plan.blastRadius } : {}),
  };
}

export function createRemediationActivities(deps: Pick<EnforcementDeps, 'store' | 'notifier'>) {
  const { store, notifier } = deps;
  return {
    [ACTIVITIES.auditPlan.name]: async (raw: unknown): Promise<null> => {
      const input = parseInput(ACTIVITIES.auditPlan.name, AuditPlanInputSchema, raw);
      const plan = input.plan as unknown as AccessPlan | NetworkPlan;
      await store.audit.append({
        actor: input.actor,
        action: `${plan.kind}.plan${input.phase === 'report-only' ? '.report-only' : ''}`,
        target: plan.target,
        after: planSummary(plan),
        reason:
          input.phase === 'report-only'
            ? `planned only: ${plan.notApplyingReason ?? 'report-only'}`
            : `planned ${plan.steps.length} step(s)`,
        correlationId: input.correlationId,
      });
      return null;
    },

    [ACTIVITIES.auditOutcome.name]: async (raw: unknown): Promise<null> => {
      const input = parseInput(ACTIVITIES.auditOutcome.name, AuditOutcomeInputSchema, raw);
      await store.audit.append({
        actor: input.actor,
        action: `${input.kind}.outcome`,
        target: input.target,
        after: input.outcome,
        reason: `run ${String(input.outcome.status)}`,
        correlationId: input.correlationId,
      });
      return null;
    },

    [ACTIVITIES.recordApproval.name]: async (raw: unknown): Promise<ApprovalRecorded> => {
      const input = parseInput(ACTIVITIES.recordApproval.name, RecordApprovalInputSchema, raw);
      const keys = input.steps.map((s) => s.key).sort();
      const base = `apr-${input.kind}-${fnv1a(`${input.target.toLowerCase()}|${keys.join(',')}`)}${fnv1a(keys.join('|'))}`;
      // The same request again (activity retry, replay, duplicate run) finds its pending row; a decided one (expired
      // approval, rejection) is history and stays as it is: the new request gets the next free suffix.
      let approvalId = base;
      for (let n = 2; ; n++) {
        const existing = await store.approvals.get(approvalId);
        if (!existing) break;
        if (existing.decision === null) return { approvalId, created: false };
        approvalId = `${base}-${n}`;
      }
      await store.approvals.upsert(
        {
          id: approvalId,
          kind: input.kind,
          target: input.target,
          plan: {
            remediation: input.kind === 'access' ? 'reconcileAccess' : 'enforceNetwork',
            stepKeys: keys,
            steps: input.steps,
            fights: input.fights,
            correlationId: input.correlationId,
          },
          requested_by: input.requestedBy,
          requested_at: deps.store.clock.now().toISOString(),
        },
        {
          actor: input.requestedBy,
          reason: `${input.steps.length} step(s) wait for approval`,
          correlationId: input.correlationId,
        },
      );
      return { approvalId, created: true };
    },

    [ACTIVITIES.notify.name]: async (raw: unknown): Promise<{ sent: boolean }> => {
      const input = parseInput(ACTIVITIES.notify.name, NotifyInputSchema, raw);
      try {
        await notifier.publish([input]);
        return { sent: true };
      } catch (e) {
        // A failed publish never undoes the change it reports on; it is recorded instead (no payload, no secrets).
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
  };
}
