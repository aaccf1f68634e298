/**
 * The network activities: plan (load the rule and the posture, plan purely), apply the ready steps to one resource
 * (re-read before write, audit each step), verify (re-read).
 */
import { CloudAuthorizationError } from '../../cloud/ports/cloud-authorization-error';
import { TransientCloudError, ValidationError } from '../../domain/errors';
import { governingScope } from '../../domain/guardrails/scope-coverage';
import type { NetworkChange, NetworkPosture } from '../../domain/network/network-posture';
import { type NetworkPlan, type NetworkPlanStep, planNetworkPosture } from '../../domain/network/plan-network-posture';
import { loadTargetApprovals, planWithFights } from '../approval-context';
import {
  ACTIVITIES,
  type ApplyNetworkInput,
  ApplyNetworkInputSchema,
  PlanNetworkInputSchema,
  type StepOutcome,
  type VerifyNetworkInput,
  VerifyNetworkInputSchema,
  type VerifyResult,
} from '../catalog';
import type { EnforcementDeps } from '../enforcement-deps';
import { parseInput } from '../remediation-activities';
import type { PlannedRun } from '../remediation-flow.orchestrator';

export const NETWORK_STEP_APPLIED = 'network.step.applied';

function ungoverned(resourceId: string, now: Date, why: string): NetworkPlan {
  return {
    kind: 'network',
    target: resourceId,
    ruleId: '',
    plannedAt: now.toISOString(),
    apply: false,
    notApplyingReason: why,
    steps: [],
    notes: [],
    refused: [],
    needsApproval: false,
  };
}

/** Loads the rule and the posture of one resource and plans (the plan activity and the HTTP dry run). */
export async function planNetworkForResource(
  deps: EnforcementDeps,
  resourceId: string,
  now: Date,
): Promise<PlannedRun<NetworkPlan>> {
  const { store, network, settings } = deps;
  const rules = (await store.networkRules.list()).filter(
    (r) => r.resource_id.toLowerCase() === resourceId.toLowerCase(),
  );
  const rule = rules.find((r) => r.enabled) ?? rules[0];
  if (!rule)
    return {
      plan: ungoverned(resourceId, now, `no network rule governs ${resourceId}: nothing to enforce`),
      parallelism: settings.parallelism,
      newFights: [],
    };
  const [posture, exemptions, scopes] = await Promise.all([
    network.read(rule.resource_id),
    store.exemptions.list(),
    store.managedScopes.list(),
  ]);
  const approvals = await loadTargetApprovals(
    store,
    'network',
    rule.resource_id,
    now,
    settings.approvalValidityMs,
    settings.fight.windowMs,
  );
  const reportOnly = governingScope(rule.resource_id, scopes)?.enforcement === 'report-only';
  const { plan, newFights } = await planWithFights(
    store,
    rule.resource_id,
    NETWORK_STEP_APPLIED,
    now,
    settings.fight,
    approvals,
    (stoppedDrifts) =>
      planNetworkPosture({
        now: now.toISOString(),
        rule,
        posture,
        exemptions,
        wardenDependencies: settings.wardenDependencies,
        reportOnly,
        killSwitch: settings.killSwitch,
        approvals: approvals.context,
        stoppedDrifts,
      }),
  );
  return { plan, parallelism: settings.parallelism, newFights };
}

/** Whether the posture already shows what the step wants. */
export function stepHolds(step: NetworkPlanStep, posture: NetworkPosture): boolean {
  const c = step.change;
  if (c.publicNetworkAccess !== undefined && posture.publicNetworkAccess !== c.publicNetworkAccess) return false;
  if (c.defaultAction !== undefined && posture.defaultAction !== c.defaultAction) return false;
  if (c.ipRules !== undefined) {
    const have = new Set((posture.ipRules ?? []).map((r) => r.replace(/\/32$/, '')));
    const want = new Set(c.ipRules.map((r) => r.replace(/\/32$/, '')));
    if (have.size !== want.size || [...want].some((r) => !have.has(r))) return false;
  }
  if (c.integrationRuntime !== undefined) {
    const want = c.integrationRuntime === 'azure' ? 'azure' : c.integrationRuntime.replace(/^self-hosted:/, '');
    const ir = posture.integrationRuntime;
    if (!ir || (want === 'azure' ? ir.kind !== 'azure' : ir.name.toLowerCase() !== want.toLowerCase())) return false;
  }
  return true;
}

export function createNetworkActivities(deps: EnforcementDeps) {
  const { store, network } = deps;

  async function audit(input: ApplyNetworkInput, step: NetworkPlanStep, outcome: StepOutcome): Promise<void> {
    await store.audit.append({
      actor: input.actor,
      action: outcome.status === 'applied' ? NETWORK_STEP_APPLIED : `network.step.${outcome.status}`,
      target: input.resourceId,
      before: { [step.aspect]: step.from },
      after: {
        driftKey: step.driftKey,
        key: step.key,
        aspect: step.aspect,
        to: step.to,
        ruleId: step.ruleId,
        status: outcome.status,
      },
      reason: `${step.reason}${outcome.status === 'applied' ? '' : ` — ${outcome.status}: ${outcome.detail}`}`,
      correlationId: input.correlationId,
    });
  }

  return {
    [ACTIVITIES.planNetwork.name]: async (raw: unknown): Promise<PlannedRun<NetworkPlan>> => {
      const input = parseInput(ACTIVITIES.planNetwork.name, PlanNetworkInputSchema, raw);
      return planNetworkForResource(deps, input.resourceId, new Date(input.now));
    },

    [ACTIVITIES.applyNetwork.name]: async (raw: unknown): Promise<StepOutcome[]> => {
      const input = parseInput(
        ACTIVITIES.applyNetwork.name,
        ApplyNetworkInputSchema,
        raw,
      ) as unknown as ApplyNetworkInput;
      const outcomes: StepOutcome[] = [];
      try {
        const current = await network.read(input.resourceId);
        if (!current) {
          for (const s of input.steps)
            outcomes.push({ key: s.key, status: 'failed', detail: 'the resource no longer exists' });
        } else {
          const needed = input.steps.filter((s) => !stepHolds(s, current));
          for (const s of input.steps)
            if (!needed.includes(s))
              outcomes.push({ key: s.key, status: 'unchanged', detail: 'already as the rule wants' });
          if (needed.length > 0) {
            const change: NetworkChange = Object.assign({}, ...needed.map((s) => s.change)) as NetworkChange;
            await network.apply(input.resourceId, change);
            for (const s of needed)
              outcomes.push({ key: s.key, status: 'applied', detail: `set ${s.aspect} to ${JSON.stringify(s.to)}` });
          }
        }
      } catch (e) {
        if (e instanceof TransientCloudError) throw e;
        const refused = e instanceof CloudAuthorizationError;
        if (!refused && !(e instanceof ValidationError)) throw e;
        outcomes.length = 0;
        for (const s of input.steps)
          outcomes.push({
            key: s.key,
            status: refused ? 'refused' : 'failed',
            detail: refused ? `Warden lacks the right${e.action ? ` ${e.action}` : ''} on ${e.scope}` : e.message,
          });
      }
      for (const o of outcomes) {
        const step = input.steps.find((s) => s.key === o.key);
        if (step) await audit(input, step, o);
      }
      return outcomes;
    },

    [ACTIVITIES.verifyNetwork.name]: async (raw: unknown): Promise<VerifyResult> => {
      const input = parseInput(
        ACTIVITIES.verifyNetwork.name,
        VerifyNetworkInputSchema,
        raw,
      ) as unknown as VerifyNetworkInput;
      const posture = await network.read(input.resourceId);
      const verified: string[] = [];
      const mismatched: { key: string; detail: string }[] = [];
      for (const s of input.steps) {
        if (posture && stepHolds(s, posture)) verified.push(s.key);
        else
          mismatched.push({
            key: s.key,
            detail: posture ? `${s.aspect} is not ${JSON.stringify(s.to)}` : 'the resource is gone',
          });
      }
      return { verified, mismatched };
    },
  };
}
