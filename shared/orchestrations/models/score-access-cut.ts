/**
 * The role half of an approved access cut for AADToken online endpoints, and its undoing on release: the score role
 * assignments made at the endpoint are removed through the access-enforcement `RoleAssignments` port, each removal
 * audited, and recreated (same principal, role definition, scope and assignment name) when a version of the endpoint
 * is released.
 *
 * @remarks
 * Crash safety: what the cut is about to remove is recorded (`model.access.cut.recorded`) before the first delete,
 * so a run that crashes between deletes leaves a record of every grant it may have removed; the re-run lists the
 * endpoint again and deletes only what is still there (a delete of a gone assignment is `false`, never an error). The
 * restore reads every record since the last completed restore (`model.access.roles.restored`) and creates each grant
 * idempotently (an identical grant already there is left as it is).
 */
import { CloudAuthorizationError } from '../../cloud/ports/cloud-authorization-error';
import type { HeldGrant } from '../../domain/access/plan-role-assignments';
import type { AssignmentPrincipalType, RoleDefinition } from '../../domain/access/role-assignment';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { planScoreCut, type ScoreCutPlan, type ScoreGrant } from '../../domain/models/score-access';
import type { ModelDeps } from './model-deps';

export const CUT_RECORDED = 'model.access.cut.recorded';
export const ROLE_REMOVED = 'model.access.score-role.removed';
export const ROLES_RESTORED = 'model.access.roles.restored';
const RESTORE_REFUSED = 'model.access.roles.restore-refused';

/** The description a restored assignment carries (free text on the assignment; no secrets). */
export const RESTORED_DESCRIPTION = 'warden:restored-after-quarantine';

const RESTORABLE_TYPES: ReadonlySet<string> = new Set(['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device']);

export interface ScoreCutOutcome {
  readonly removed: readonly ScoreGrant[];
  /** Recorded for removal but already gone when deleted (a re-run after a crash, or removed by someone else). */
  readonly alreadyGone: readonly ScoreGrant[];
  readonly left: readonly ScoreGrant[];
  readonly unresolved: readonly ScoreGrant[];
  /** Set when Azure refused Warden a read or a delete: the cut stands at traffic 0%. */
  readonly refused: string | null;
}

interface CutContext {
  readonly endpointId: string;
  readonly modelId: string;
  readonly approvalId: string;
  readonly actor: string;
  readonly correlationId: string;
}

/** The score grants at and above the endpoint, planned (role definitions resolved through the port, cached there). */
export async function planEndpointScoreCut(deps: Pick<ModelDeps, 'roleAssignments'>, endpointId: string) {
  const assignments = await deps.roleAssignments.listForScope(endpointId);
  const roles = new Map<string, RoleDefinition | undefined>();
  for (const a of assignments) {
    const guid = a.roleDefinitionGuid.toLowerCase();
    if (a.relation === 'below' || roles.has(guid)) continue;
    roles.set(guid, await deps.roleAssignments.roleDefinitionByGuid(endpointId, guid));
  }
  return planScoreCut(assignments, roles);
}

function refusal(e: unknown, what: string): string {
  if (!(e instanceof CloudAuthorizationError)) throw e;
  return `${what} refused: ${e.action ?? 'missing permission'}`;
}

/** Removes the score role assignments made at an AADToken endpoint; audits each removal. Idempotent. */
export async function cutScoreAccess(deps: ModelDeps, c: CutContext): Promise<ScoreCutOutcome> {
  const { store } = deps;
  let plan: ScoreCutPlan;
  try {
    plan = await planEndpointScoreCut(deps, c.endpointId);
  } catch (e) {
    return { removed: [], alreadyGone: [], left: [], unresolved: [], refused: refusal(e, 'listing role assignments') };
  }
  if (plan.remove.length > 0)
    await store.audit.append({
      actor: c.actor,
      action: CUT_RECORDED,
      target: c.endpointId,
      after: { grants: plan.remove, approvalId: c.approvalId, modelId: c.modelId },
      reason: `access cut (${c.approvalId}): ${plan.remove.length} score role assignment(s) at the endpoint to remove`,
      correlationId: c.correlationId,
    });
  const removed: ScoreGrant[] = [];
  const alreadyGone: ScoreGrant[] = [];
  let refused: string | null = null;
  for (const g of plan.remove) {
    let deleted: boolean;
    try {
      deleted = await deps.roleAssignments.delete(g.assignmentId);
    } catch (e) {
      refused = refusal(e, 'role assignment delete');
      break;
    }
    if (!deleted) {
      alreadyGone.push(g);
      continue;
    }
    removed.push(g);
    await store.audit.append({
      actor: c.actor,
      action: ROLE_REMOVED,
      target: c.endpointId,
      after: { ...g, approvalId: c.approvalId, modelId: c.modelId },
      reason: `access cut (${c.approvalId}): ${g.roleName} of ${g.principalType} ${g.principalId} removed at the endpoint`,
      correlationId: c.correlationId,
    });
  }
  return { removed, alreadyGone, left: plan.left, unresolved: plan.unresolved, refused };
}

function isGrant(v: unknown): v is ScoreGrant {
  if (typeof v !== 'object' || v === null) return false;
  const g = v as Record<string, unknown>;
  return ['assignmentId', 'principalId', 'principalType', 'roleDefinitionGuid', 'roleName', 'scope'].every(
    (k) => typeof g[k] === 'string',
  );
}

/**
 * The grants recorded as removed by access cuts and not restored since (per endpoint, oldest first, de-duplicated):
 * of one endpoint, or of all when `endpointId` is undefined (the access planner holds them).
 */
async function pendingByEndpoint(
  store: Pick<ModelDeps, 'store'>['store'],
  endpointId: string | undefined,
): Promise<Map<string, ScoreGrant[]>> {
  let q = store.backend.db
    .selectFrom('audit_log')
    .select(['seq', 'target', 'action', 'after'])
    .where('action', 'in', [CUT_RECORDED, ROLES_RESTORED]);
  if (endpointId !== undefined) q = q.where('target', '=', endpointId);
  const rows = await q.orderBy('seq', 'asc').execute();
  const pending = new Map<string, Map<string, ScoreGrant>>();
  for (const r of rows) {
    const target = String(r.target);
    if (r.action === ROLES_RESTORED) {
      pending.delete(target);
      continue;
    }
    const after = (typeof r.after === 'string' ? JSON.parse(r.after) : r.after) as { grants?: unknown } | null;
    const grants = Array.isArray(after?.grants) ? after.grants : [];
    let byKey = pending.get(target);
    if (!byKey) {
      byKey = new Map<string, ScoreGrant>();
      pending.set(target, byKey);
    }
    for (const g of grants)
      if (isGrant(g)) byKey.set(`${g.scope}|${g.principalId}|${g.roleDefinitionGuid}`.toLowerCase(), g);
  }
  return new Map([...pending].map(([t, m]) => [t, [...m.values()]]));
}

/** The grants recorded as removed from the endpoint since the last completed restore (oldest first, de-duplicated). */
export async function pendingRestores(deps: Pick<ModelDeps, 'store'>, endpointId: string): Promise<ScoreGrant[]> {
  return (await pendingByEndpoint(deps.store, endpointId)).get(endpointId) ?? [];
}

/**
 * Every grant an access cut removed and no release has restored yet, for the access planner to hold
 * (`AccessPlanInput.heldGrants`): a policy that desires one must not grant it back while the model is quarantined.
 */
export async function heldScoreGrants(store: Pick<ModelDeps, 'store'>['store']): Promise<HeldGrant[]> {
  const out: HeldGrant[] = [];
  for (const [endpoint, grants] of await pendingByEndpoint(store, undefined))
    for (const g of grants)
      out.push({
        scope: g.scope,
        principalId: g.principalId,
        roleDefinitionGuid: g.roleDefinitionGuid,
        reason: `removed by the quarantine access cut of ${endpoint}; restored when a version of it is released`,
      });
  return out;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The name the removed assignment had (the last segment of its id), when it is a GUID. Restoring under it recreates
 * the very assignment: a grant Warden made for a policy keeps its deterministic name, and one made by someone else
 * is not taken by the access planner for a Warden grant without policy (which it would delete).
 */
function originalName(g: ScoreGrant): string | undefined {
  const name = g.assignmentId.split('/').pop() ?? '';
  return GUID.test(name) ? name.toLowerCase() : undefined;
}

export interface ScoreRestoreOutcome {
  readonly restored: readonly ScoreGrant[];
  /** Already there (an earlier restore that crashed before its audit, or re-granted by someone). */
  readonly existing: readonly ScoreGrant[];
  /**
   * Not restorable: the principal type was not reported (the grant cannot be recreated safely), or ARM refused the
   * grant itself (the principal or role no longer exists: 400/404) — with the reason.
   */
  readonly skipped: readonly (ScoreGrant & { readonly why: string })[];
  readonly refused: string | null;
}

/**
 * Recreates the grants an access cut removed from the endpoint; audited. A refusal (Warden lacks
 * `roleAssignments/write`) is audited and leaves the record pending, so a later release tries again.
 */
export async function restoreScoreAccess(
  deps: ModelDeps,
  c: Omit<CutContext, 'approvalId'>,
): Promise<ScoreRestoreOutcome | null> {
  const pending = await pendingRestores(deps, c.endpointId);
  if (pending.length === 0) return null;
  const restored: ScoreGrant[] = [];
  const existing: ScoreGrant[] = [];
  const skipped: (ScoreGrant & { why: string })[] = [];
  for (const g of pending) {
    if (!RESTORABLE_TYPES.has(g.principalType)) {
      skipped.push({ ...g, why: `principal type '${g.principalType}' not reported by ARM` });
      continue;
    }
    try {
      const r = await deps.roleAssignments.create({
        scope: g.scope,
        principalId: g.principalId,
        principalType: g.principalType as AssignmentPrincipalType,
        roleDefinitionGuid: g.roleDefinitionGuid,
        description: RESTORED_DESCRIPTION,
        ...(originalName(g) ? { name: originalName(g) } : {}),
      });
      (r.created ? restored : existing).push({ ...g, assignmentId: r.assignment.id });
    } catch (e) {
      // A principal or role deleted meanwhile: ARM refuses this grant for good; the others are still restored.
      if (e instanceof ValidationError || e instanceof NotFoundError) {
        const why =
          e instanceof ValidationError
            ? e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
            : e.message;
        skipped.push({ ...g, why: why.slice(0, 300) });
        continue;
      }
      const refused = refusal(e, 'role assignment create');
      await deps.store.audit.append({
        actor: c.actor,
        action: RESTORE_REFUSED,
        target: c.endpointId,
        after: { restored, pending, refused, modelId: c.modelId },
        reason: `release: the score role assignments removed by the access cut could not all be restored — ${refused}`,
        correlationId: c.correlationId,
      });
      return { restored, existing, skipped, refused };
    }
  }
  await deps.store.audit.append({
    actor: c.actor,
    action: ROLES_RESTORED,
    target: c.endpointId,
    after: { restored, existing, skipped, modelId: c.modelId },
    reason: `release: ${restored.length} score role assignment(s) removed by the access cut restored at the endpoint${skipped.length ? `; ${skipped.length} not restorable (see skipped)` : ''}`,
    correlationId: c.correlationId,
  });
  return { restored, existing, skipped, refused: null };
}
