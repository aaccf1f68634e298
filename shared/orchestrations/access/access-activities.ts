/**
 * The access activities: plan (load desired and actual, plan purely), apply one step (re-read before write, audit),
 * verify (re-read). Built by {@link createAccessActivities} from their ports; the composition root registers them
 * under the catalogue's names.
 */
import { CloudAuthorizationError } from '../../cloud/ports/cloud-authorization-error';
import { type AccessPlan, planRoleAssignments } from '../../domain/access/plan-role-assignments';
import type { RoleDefinition } from '../../domain/access/role-assignment';
import { TransientCloudError, ValidationError } from '../../domain/errors';
import { governingScope, isWithinScope } from '../../domain/guardrails/scope-coverage';
import { roleDefinitionGuid } from '../../domain/primitives/role-reference';
import { loadTargetApprovals, planWithFights } from '../approval-context';
import {
  ACTIVITIES,
  type ApplyAccessStepInput,
  ApplyAccessStepInputSchema,
  PlanAccessInputSchema,
  type StepOutcome,
  type VerifyAccessInput,
  VerifyAccessInputSchema,
  type VerifyResult,
} from '../catalog';
import type { EnforcementDeps } from '../enforcement-deps';
import { heldScoreGrants } from '../models/score-access-cut';
import { parseInput } from '../remediation-activities';
import type { PlannedRun } from '../remediation-flow.orchestrator';

/** The audit action of an applied access step (fight detection counts these). */
export const ACCESS_STEP_APPLIED = 'access.step.applied';

/** A plan for a scope Warden does not manage: audited, applies nothing. */
function unmanaged(scope: string, now: Date): AccessPlan {
  return {
    kind: 'access',
    target: scope,
    mode: 'additive',
    enforcement: 'report-only',
    plannedAt: now.toISOString(),
    apply: false,
    notApplyingReason: `${scope} is not a managed scope: nothing to enforce`,
    steps: [],
    notes: [],
    blastRadius: { deletes: 0, deleteShare: 0, resourcesChanged: 0, exceeded: [] },
    needsApproval: false,
  };
}

/**
 * Loads everything the access planner reads for one managed scope and plans. Used by the plan activity and by the
 * HTTP dry run (`POST /api/access/reconcile?dryRun=true`), which returns the plan without starting anything.
 */
export async function planAccessForScope(
  deps: EnforcementDeps,
  scope: string,
  now: Date,
): Promise<PlannedRun<AccessPlan>> {
  const { store, roleAssignments, settings } = deps;
  const scopes = await store.managedScopes.list();
  const managed = scopes.find((s) => s.scope.toLowerCase() === scope.toLowerCase());
  if (!managed) return { plan: unmanaged(scope, now), parallelism: settings.parallelism, newFights: [] };
  const policies = (await store.accessPolicies.list()).filter(
    (p) => governingScope(p.scope, scopes)?.scope.toLowerCase() === managed.scope.toLowerCase(),
  );
  const [exemptions, actual, pimInstances] = await Promise.all([
    store.exemptions.list(),
    roleAssignments.listForScope(managed.scope),
    roleAssignments.listPimInstances(managed.scope),
  ]);

  const roles: Record<string, RoleDefinition> = {};
  const add = (d: RoleDefinition | undefined): void => {
    if (!d) return;
    roles[d.guid] = d;
    roles[d.roleName.toLowerCase()] = d;
  };
  const refs = new Set([...policies.map((p) => p.role), ...managed.allowed_roles]);
  for (const ref of refs) {
    const guid = roleDefinitionGuid(ref);
    add(
      guid
        ? await roleAssignments.roleDefinitionByGuid(managed.scope, guid)
        : await roleAssignments.roleDefinitionByName(managed.scope, ref),
    );
  }
  for (const guid of new Set(actual.map((a) => a.roleDefinitionGuid)))
    if (!roles[guid]) add(await roleAssignments.roleDefinitionByGuid(managed.scope, guid));

  const heldGrants = (await heldScoreGrants(store)).filter((h) => isWithinScope(h.scope, managed.scope));
  const approvals = await loadTargetApprovals(
    store,
    'access',
    managed.scope,
    now,
    settings.approvalValidityMs,
    settings.fight.windowMs,
  );
  const { plan, newFights } = await planWithFights(
    store,
    managed.scope,
    ACCESS_STEP_APPLIED,
    now,
    settings.fight,
    approvals,
    (stoppedDrifts) =>
      planRoleAssignments({
        now: now.toISOString(),
        scope: managed,
        policies,
        exemptions,
        actual,
        pimInstances,
        roles,
        wardenPrincipalIds: settings.wardenPrincipalIds,
        rawDataStores: settings.rawDataStores,
        killSwitch: settings.killSwitch,
        limits: settings.limits,
        approvals: approvals.context,
        stoppedDrifts,
        heldGrants,
      }),
  );
  return { plan, parallelism: settings.parallelism, newFights };
}

export function createAccessActivities(deps: EnforcementDeps) {
  const { store, roleAssignments } = deps;

  async function audit(input: ApplyAccessStepInput, outcome: StepOutcome): Promise<void> {
    const s = input.step;
    await store.audit.append({
      actor: input.actor,
      action: outcome.status === 'applied' ? ACCESS_STEP_APPLIED : `access.step.${outcome.status}`,
      target: input.scope,
      before:
        s.action === 'delete' ? { assignmentId: s.assignmentId, principalId: s.principalId, role: s.roleName } : null,
      after: {
        driftKey: s.driftKey,
        key: s.key,
        action: s.action,
        assignmentId: s.assignmentId,
        principalId: s.principalId,
        role: s.roleName,
        policyId: s.policyId,
        status: outcome.status,
      },
      reason: `${s.reason}${outcome.status === 'applied' ? '' : ` — ${outcome.status}: ${outcome.detail}`}`,
      correlationId: input.correlationId,
    });
  }

  return {
    [ACTIVITIES.planAccess.name]: async (raw: unknown): Promise<PlannedRun<AccessPlan>> => {
      const input = parseInput(ACTIVITIES.planAccess.name, PlanAccessInputSchema, raw);
      return planAccessForScope(deps, input.scope, new Date(input.now));
    },

    [ACTIVITIES.applyAccessStep.name]: async (raw: unknown): Promise<StepOutcome> => {
      const input = parseInput(
        ACTIVITIES.applyAccessStep.name,
        ApplyAccessStepInputSchema,
        raw,
      ) as unknown as ApplyAccessStepInput;
      const s = input.step;
      let outcome: StepOutcome;
      try {
        // Re-read before writing: a replay, a retry or a duplicate run finds the work done and changes nothing.
        const current = await roleAssignments.get(s.assignmentId);
        if (s.action === 'create') {
          if (current) outcome = { key: s.key, status: 'unchanged', detail: 'the assignment already exists' };
          else {
            if (s.principalType === 'Unknown')
              throw new ValidationError('access step', [{ path: 'principalType', message: 'is unknown' }]);
            const r = await roleAssignments.create({
              scope: s.scope,
              principalId: s.principalId,
              principalType: s.principalType,
              roleDefinitionGuid: s.roleDefinitionGuid,
              description: `warden:policy=${s.policyId ?? 'none'}`,
            });
            outcome = r.created
              ? { key: s.key, status: 'applied', detail: `created ${r.assignment.id}` }
              : { key: s.key, status: 'unchanged', detail: `the grant exists as ${r.assignment.id}` };
          }
        } else if (!current) {
          outcome = { key: s.key, status: 'unchanged', detail: 'the assignment is already gone' };
        } else if (current.principalId !== s.principalId || current.roleDefinitionGuid !== s.roleDefinitionGuid) {
          outcome = {
            key: s.key,
            status: 'failed',
            detail: 'the assignment changed since it was planned; the next run plans again',
          };
        } else {
          const gone = await roleAssignments.delete(s.assignmentId);
          outcome = gone
            ? { key: s.key, status: 'applied', detail: `deleted ${s.assignmentId}` }
            : { key: s.key, status: 'unchanged', detail: 'the assignment was already gone' };
        }
      } catch (e) {
        if (e instanceof TransientCloudError) throw e; // durable retry
        if (e instanceof CloudAuthorizationError)
          outcome = {
            key: s.key,
            status: 'refused',
            detail: `Warden lacks the right${e.action ? ` ${e.action}` : ''} on ${e.scope}: ${e.message}`,
          };
        else if (e instanceof ValidationError) outcome = { key: s.key, status: 'failed', detail: e.message };
        else throw e;
      }
      await audit(input, outcome);
      return outcome;
    },

    [ACTIVITIES.verifyAccess.name]: async (raw: unknown): Promise<VerifyResult> => {
      const input = parseInput(
        ACTIVITIES.verifyAccess.name,
        VerifyAccessInputSchema,
        raw,
      ) as unknown as VerifyAccessInput;
      const actual = await roleAssignments.listForScope(input.scope);
      const verified: string[] = [];
      const mismatched: { key: string; detail: string }[] = [];
      for (const s of input.steps) {
        const present =
          s.action === 'create'
            ? actual.some(
                (a) =>
                  a.scope.toLowerCase() === s.scope.toLowerCase() &&
                  a.principalId === s.principalId &&
                  a.roleDefinitionGuid === s.roleDefinitionGuid,
              )
            : actual.some((a) => a.id.toLowerCase() === s.assignmentId.toLowerCase());
        if (present === (s.action === 'create')) verified.push(s.key);
        else
          mismatched.push({
            key: s.key,
            detail: s.action === 'create' ? 'the assignment is missing' : 'the assignment is still there',
          });
      }
      return { verified, mismatched };
    },
  };
}
