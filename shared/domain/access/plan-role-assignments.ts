/**
 * Access planning: access policies (desired) against Azure role assignments (actual) on one managed scope → a plan
 * of creates and deletes, each step carrying the policy or rule that justifies it and a human reason. Pure (no I/O,
 * no clock: `now` is an input); the plan IS the dry-run output.
 */
import { isWithinScope } from '../guardrails/scope-coverage';
import { isPrivilegedRole, PRIVILEGED_ROLES, roleDefinitionGuid } from '../primitives/role-reference';
import { type ApprovalContext, type ApprovalGate, type BlastRadiusLimits, NO_APPROVALS } from './blast-radius';
import type { PlannedExemption as Exemption, PlannedPolicy as AccessPolicy, PlannedScope } from './planned-rows';
import type { AssignmentPrincipalType, PimScheduleInstance, RoleAssignment, RoleDefinition } from './role-assignment';
import { roleAssignmentName } from './role-assignment-name';

/** Everything the access planner reads. */
export interface AccessPlanInput {
  /** ISO instant the plan is made at (orchestrators pass `currentUtcDateTime`). */
  readonly now: string;
  readonly scope: PlannedScope;
  /** The policies governed by this managed scope (policies outside it are ignored with a note). */
  readonly policies: readonly AccessPolicy[];
  /** Exemptions (any kind; only unexpired `access` ones count). */
  readonly exemptions: readonly Exemption[];
  /** `RoleAssignmentsPort.listForScope(scope)`: at, above (inherited) and below. */
  readonly actual: readonly RoleAssignment[];
  /** `RoleAssignmentsPort.listPimInstances(scope)`. */
  readonly pimInstances: readonly PimScheduleInstance[];
  /** Role definitions Warden may need, keyed by lower-case role name and by GUID. */
  readonly roles: Readonly<Record<string, RoleDefinition>>;
  /** Warden's own principal ids: never touched. */
  readonly wardenPrincipalIds: readonly string[];
  /** Resource ids of raw-data stores (inference-only principals get no data-plane read on them). */
  readonly rawDataStores: readonly string[];
  /** The global kill switch: plan, never apply. */
  readonly killSwitch: boolean;
  readonly limits: BlastRadiusLimits;
  readonly approvals?: ApprovalContext;
  /** Drift keys the fight detector stopped (see `detectFights`), with the reason. */
  readonly stoppedDrifts?: Readonly<Record<string, string>>;
  /**
   * Grants a model quarantine's access cut removed and holds until the model is released: never re-created meanwhile,
   * even when a policy desires them (docs/models.md).
   */
  readonly heldGrants?: readonly HeldGrant[];
}

/** One change to make. */
export interface AccessPlanStep {
  /** Stable across runs for the same change: what approvals and fight detection refer to. */
  readonly key: string;
  /** `scope|principal|roleGuid`, shared by a create and a delete of the same grant (fight detection). */
  readonly driftKey: string;
  readonly action: 'create' | 'delete';
  readonly scope: string;
  readonly principalId: string;
  readonly principalType: AssignmentPrincipalType | 'Unknown';
  readonly roleDefinitionGuid: string;
  readonly roleName: string;
  /** Create: the deterministic id Warden PUTs; delete: the id of the assignment found. */
  readonly assignmentId: string;
  /** The policy that justifies the step (create, or the policy a revoked Warden grant belonged to if known). */
  readonly policyId: string | null;
  /** The rule that justifies the step, e.g. `policy ap-x`, `exclusive scope /subscriptions/…`. */
  readonly justifiedBy: string;
  readonly reason: string;
  readonly privileged: boolean;
  readonly needsApproval: boolean;
  readonly gate: ApprovalGate | null;
  readonly approvalReason: string | null;
  /** The approval that unlocked (approved) or holds (pending) this step. */
  readonly approvalId: string | null;
}

export type AccessNoteKind =
  | 'inherited'
  | 'pim-activation'
  | 'break-glass'
  | 'warden-identity'
  | 'exempt'
  | 'inference-only'
  | 'role-not-allowed'
  | 'role-unknown'
  | 'expired'
  | 'disabled'
  | 'outside-scope'
  | 'duplicate-policy'
  | 'additive-unbacked'
  | 'fight-stopped'
  | 'quarantine-hold';

/** A grant held away by a model quarantine's access cut (scope, principal, role GUID), with the reason shown. */
export interface HeldGrant {
  readonly scope: string;
  readonly principalId: string;
  readonly roleDefinitionGuid: string;
  readonly reason: string;
}

/** Something the plan decided not to change, and why (reported, audited). */
export interface AccessPlanNote {
  readonly kind: AccessNoteKind;
  /** A policy id, an assignment id or a scope. */
  readonly target: string;
  readonly reason: string;
}

/** The plan for one managed scope: the dry-run output and what the orchestration applies. */
export interface AccessPlan {
  readonly kind: 'access';
  readonly target: string;
  readonly mode: 'additive' | 'exclusive';
  readonly enforcement: 'enforce' | 'report-only';
  readonly plannedAt: string;
  /** False: plan only (report-only scope, or the kill switch). */
  readonly apply: boolean;
  readonly notApplyingReason: string | null;
  readonly steps: readonly AccessPlanStep[];
  readonly notes: readonly AccessPlanNote[];
  readonly blastRadius: {
    readonly deletes: number;
    readonly deleteShare: number;
    readonly resourcesChanged: number;
    readonly exceeded: readonly string[];
  };
  /** Some step waits for an approval. */
  readonly needsApproval: boolean;
}

/** A grant's compact identity within one plan (see `planRoleAssignments`). */
type GrantId = number | string;

interface DesiredGrant {
  readonly scope: string;
  readonly principalId: string;
  readonly principalType: AssignmentPrincipalType;
  readonly role: RoleDefinition;
  readonly policy: AccessPolicy;
  readonly privileged: boolean;
}

const lower = (s: string): string => s.toLowerCase();
const trimScope = (s: string): string => (s.endsWith('/') ? s.replace(/\/+$/, '') : s);
const normScope = (scope: string): string => lower(trimScope(scope));
export const grantKey = (scope: string, principalId: string, roleGuid: string): string =>
  `${normScope(scope)}|${lower(principalId)}|${lower(roleGuid)}`;

/**
 * Memoises a string → value function for one plan: scopes, role references and role GUIDs repeat across a scope's
 * thousands of policies and assignments, so each distinct string is normalised (or resolved) once.
 */
function memo<T>(fn: (s: string) => T): (s: string) => T {
  const cache = new Map<string, T>();
  return (s) => {
    let v = cache.get(s);
    if (v === undefined && !cache.has(s)) cache.set(s, (v = fn(s)));
    return v as T;
  };
}

/**
 * Whether `name` can be a UUIDv5 ({@link roleAssignmentName}'s output: 36 characters, version digit 5): a cheap
 * test that spares the SHA-1 for the (usually random, version 4) names of assignments Warden did not make.
 */
const mayBeV5 = (name: string): boolean => name.length === 36 && name.charCodeAt(14) === 0x35;

/**
 * The first (in input order) of `items` whose normalised target covers `target` in the sense of `isWithinScope`:
 * the target itself or an ancestor on a `/` boundary. Looks up every `/`-prefix of the target instead of testing
 * every item, so many exemptions cost no more per step than a few.
 */
function firstCovering<T>(items: readonly T[], targetOf: (item: T) => string): (target: string) => T | undefined {
  if (items.length <= 8) return (target) => items.find((i) => isWithinScope(target, targetOf(i)));
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const key = lower(targetOf(item)).replace(/\/+$/, '');
    if (!first.has(key)) first.set(key, i);
  });
  return (target) => {
    const t = lower(target);
    let best = first.get(t) ?? Infinity;
    for (let k = t.indexOf('/'); k !== -1; k = t.indexOf('/', k + 1)) {
      const i = first.get(t.slice(0, k));
      if (i !== undefined && i < best) best = i;
    }
    return best === Infinity ? undefined : items[best];
  };
}

/** The role definition a policy's role reference names (name, GUID or definition id), if known. */
export function resolveRole(ref: string, roles: Readonly<Record<string, RoleDefinition>>): RoleDefinition | undefined {
  const guid = roleDefinitionGuid(ref);
  return guid !== undefined ? roles[guid] : roles[lower(ref)];
}

/** Whether a role grants data-plane reads (a data action ending in `/read`, or a wildcard). */
export function grantsDataRead(role: RoleDefinition): boolean {
  return role.permissions.some((p) =>
    p.dataActions.some((a) => a === '*' || a.endsWith('/*') || a.toLowerCase().endsWith('/read')),
  );
}

const PRIVILEGED_GUIDS: ReadonlySet<string> = new Set(PRIVILEGED_ROLES.values());
function isPrivilegedDefinition(role: RoleDefinition, ref: string): boolean {
  return PRIVILEGED_GUIDS.has(role.guid) || isPrivilegedRole(ref) || isPrivilegedRole(role.roleName);
}

/** Whether a policy is in force at `now`: enabled and not expired (expiry at exactly `now` counts as expired). */
export function isPolicyInForce(policy: Pick<AccessPolicy, 'enabled' | 'expires_at'>, now: Date): boolean {
  return policy.enabled && (policy.expires_at === null || Date.parse(policy.expires_at) > now.getTime());
}

/** Plans one managed scope. See the module comment and docs/enforcement.md for the rules. */
export function planRoleAssignments(input: AccessPlanInput): AccessPlan {
  const now = new Date(input.now);
  if (Number.isNaN(now.getTime())) throw new RangeError(`now must be an ISO date-time, got '${input.now}'`);
  const managed = trimScope(input.scope.scope);
  const managedKey = normScope(managed);
  const scopeKey = memo(normScope);
  const lowerMemo = memo(lower);
  /** `grantKey`, with the repeating parts (scope, role GUID) normalised once per distinct string. */
  const keyOf = (scope: string, principalId: string, roleGuid: string): string =>
    `${scopeKey(scope)}|${lower(principalId)}|${lowerMemo(roleGuid)}`;
  // Compact grant identity for the hot comparisons: each distinct normalised scope, principal and role GUID gets a
  // small number, so desired/actual are matched on one number instead of ~200-character strings.
  const interned = (): ((normalisedValue: string) => number) & { size: () => number } => {
    const ids = new Map<string, number>();
    const intern = (v: string): number => {
      let id = ids.get(v);
      if (id === undefined) ids.set(v, (id = ids.size));
      return id;
    };
    return Object.assign(intern, { size: () => ids.size });
  };
  const scopeIdOfNorm = interned();
  const principalIdOfNorm = interned();
  const roleIdOfNorm = interned();
  const scopeId = memo((s: string) => scopeIdOfNorm(normScope(s)));
  // principal ids and role GUIDs are short and (from ARM) already lower case: `toLowerCase` returns them as they are
  const principalId = (s: string): number => principalIdOfNorm(lower(s));
  const roleId = (s: string): number => roleIdOfNorm(lower(s));
  // Intern what the plan will meet first — every role definition's GUID, the assignments' scopes, principals and
  // roles — so the counts are bounded and a grant's identity fits one number (a string only beyond 2^53).
  for (const d of Object.values(input.roles)) roleId(d.guid);
  const actualCount = input.actual.length;
  const actualScope = new Int32Array(actualCount);
  const actualPrincipal = new Int32Array(actualCount);
  const actualRole = new Int32Array(actualCount);
  for (let i = 0; i < actualCount; i++) {
    const a = input.actual[i] as RoleAssignment;
    actualScope[i] = scopeId(a.scope);
    actualPrincipal[i] = principalId(a.principalId);
    actualRole[i] = roleId(a.roleDefinitionGuid);
  }
  const extra = input.policies.length + input.pimInstances.length + 1;
  const scopeBound = scopeIdOfNorm.size() + extra;
  const principalBound = principalIdOfNorm.size() + extra;
  const roleBound = roleIdOfNorm.size() + input.pimInstances.length + 1;
  const numeric = scopeBound * principalBound * roleBound <= Number.MAX_SAFE_INTEGER;
  const combine = (s: number, p: number, r: number): GrantId =>
    numeric ? (s * principalBound + p) * roleBound + r : `${s}|${p}|${r}`;
  /** Equal exactly when `grantKey` is equal. */
  const idOf = (scope: string, principal: string, roleGuid: string): GrantId =>
    combine(scopeId(scope), principalId(principal), roleId(roleGuid));
  const withinManaged = new Map<string, boolean>();
  const approvals = input.approvals ?? NO_APPROVALS;
  /** A Map, not the record: looking a long drift key up on an object would intern it first. */
  const stopped = new Map(Object.entries(input.stoppedDrifts ?? {}));
  const held = new Map((input.heldGrants ?? []).map((h) => [keyOf(h.scope, h.principalId, h.roleDefinitionGuid), h]));
  const notes: AccessPlanNote[] = [];
  const note = (kind: AccessNoteKind, target: string, reason: string): void => {
    notes.push({ kind, target, reason });
  };

  const breakGlass = new Set(input.scope.break_glass.map(lower));
  const warden = new Set(input.wardenPrincipalIds.map(lower));
  const untouchable = (principalId: string): AccessNoteKind | undefined => {
    const p = lower(principalId);
    return warden.has(p) ? 'warden-identity' : breakGlass.has(p) ? 'break-glass' : undefined;
  };

  const activeExemptions = input.exemptions.filter(
    (e) => e.kind === 'access' && Date.parse(e.expires_at) > now.getTime(),
  );
  const exemptionFor = firstCovering(activeExemptions, (e) => e.target);

  const allowedGuids = new Set<string>();
  const allowedNames = new Set<string>();
  for (const r of input.scope.allowed_roles) {
    const def = resolveRole(r, input.roles);
    if (def) allowedGuids.add(def.guid);
    allowedNames.add(lower(r));
  }

  // ---- desired: policies in force, minus what the guardrails forbid
  const inForce = [...input.policies]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((p) => {
      let inside = withinManaged.get(p.scope);
      if (inside === undefined) withinManaged.set(p.scope, (inside = isWithinScope(p.scope, managed)));
      if (!inside) {
        note('outside-scope', p.id, `policy ${p.id} targets ${p.scope}, which is outside managed scope ${managed}`);
        return false;
      }
      if (!p.enabled) {
        note('disabled', p.id, `policy ${p.id} is disabled`);
        return false;
      }
      if (!isPolicyInForce(p, now)) {
        note('expired', p.id, `policy ${p.id} expired at ${p.expires_at ?? '?'}`);
        return false;
      }
      return true;
    });
  const inferenceOnly = new Set(inForce.filter((p) => p.data_access === 'inference-only').map((p) => p.principal_id));
  const desired = new Map<GrantId, DesiredGrant>();
  /** What a policy's role reference resolves to, whether the scope allows it and whether it is privileged. */
  const roleRef = memo((ref: string) => {
    const role = resolveRole(ref, input.roles);
    return {
      role,
      allowed: role !== undefined && (allowedGuids.has(role.guid) || allowedNames.has(lower(role.roleName))),
      privileged: role !== undefined && isPrivilegedDefinition(role, ref),
    };
  });
  for (const p of inForce) {
    const who = untouchable(p.principal_id);
    if (who) {
      note(
        who,
        p.id,
        `policy ${p.id} names ${who === 'break-glass' ? 'a break-glass principal' : "Warden's own identity"} (${p.principal_id}); Warden never changes its access`,
      );
      continue;
    }
    const ref = roleRef(p.role);
    const role = ref.role;
    if (!role) {
      note('role-unknown', p.id, `policy ${p.id} names role '${p.role}', which no role definition at ${managed} has`);
      continue;
    }
    if (!ref.allowed) {
      note(
        'role-not-allowed',
        p.id,
        `policy ${p.id} asks for '${role.roleName}', which managed scope ${managed} does not allow (${input.scope.allowed_roles.join(', ') || 'none'})`,
      );
      continue;
    }
    if (inferenceOnly.has(p.principal_id) && grantsDataRead(role)) {
      const store = input.rawDataStores.find((s) => isWithinScope(s, p.scope) || isWithinScope(p.scope, s));
      if (store) {
        note(
          'inference-only',
          p.id,
          `policy ${p.id} asks for '${role.roleName}' (data-plane read) at ${p.scope}, which reaches raw-data store ${store}; principal ${p.principal_id} is inference-only, so it is not granted`,
        );
        continue;
      }
    }
    const id = idOf(p.scope, p.principal_id, role.guid);
    const existing = desired.get(id);
    if (existing) {
      note('duplicate-policy', p.id, `policy ${p.id} asks for the same grant as policy ${existing.policy.id}`);
      continue;
    }
    desired.set(id, {
      scope: trimScope(p.scope),
      principalId: lower(p.principal_id),
      principalType: p.principal_type,
      role,
      policy: p,
      privileged: ref.privileged,
    });
  }

  // ---- actual
  // PIM activations: an `Activated` instance matches an assignment by its origin id or by the same grant
  const activationOrigins = new Set<string>();
  const activationKeys = new Set<GrantId>();
  for (const i of input.pimInstances) {
    if (lower(i.assignmentType) !== 'activated') continue;
    if (i.originRoleAssignmentId !== null) activationOrigins.add(lower(i.originRoleAssignmentId));
    activationKeys.add(idOf(i.scope, i.principalId, i.roleDefinitionGuid));
  }
  const isActivation = (a: RoleAssignment, id: GrantId): boolean =>
    activationKeys.has(id) || (activationOrigins.size > 0 && activationOrigins.has(lower(a.id)));
  /** Each assignment's compact grant id, computed once (index-aligned with `input.actual`). */
  const actualKeyList = input.actual.map((_, i) =>
    combine(actualScope[i] as number, actualPrincipal[i] as number, actualRole[i] as number),
  );
  const actualKeys = new Set<GrantId>();
  input.actual.forEach((a, i) => {
    if (!a.inherited) actualKeys.add(actualKeyList[i] as GrantId);
  });

  const roleNameOf = (guid: string): string => input.roles[guid]?.roleName ?? guid;
  const privilegedGuid = memo((guid: string) => isPrivilegedRole(roleNameOf(guid)) || isPrivilegedRole(guid));
  const raw: Omit<AccessPlanStep, 'needsApproval' | 'gate' | 'approvalReason' | 'approvalId'>[] = [];
  const rawGate = new Map<string, { gate: ApprovalGate; reason: string; approvalId: string | null }>();

  for (const [id, d] of desired) {
    if (actualKeys.has(id)) continue;
    const key = keyOf(d.scope, d.principalId, d.role.guid);
    const name = roleAssignmentName(d.scope, d.principalId, d.role.guid);
    raw.push({
      key: `create:${key}`,
      driftKey: key,
      action: 'create',
      scope: d.scope,
      principalId: d.principalId,
      principalType: d.principalType,
      roleDefinitionGuid: d.role.guid,
      roleName: d.role.roleName,
      assignmentId: `${d.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      policyId: d.policy.id,
      justifiedBy: `policy ${d.policy.id}`,
      reason: `policy ${d.policy.id} grants '${d.role.roleName}' to ${d.principalType} ${d.principalId} at ${d.scope}${d.policy.expires_at ? ` until ${d.policy.expires_at}` : ''}, and no such assignment exists`,
      privileged: d.privileged,
    });
    if (d.privileged && d.policy.approved_by === null)
      rawGate.set(`create:${key}`, {
        gate: 'privileged-role',
        reason: `'${d.role.roleName}' is a privileged role: policy ${d.policy.id} is granted only after a four-eyes approval (approved_by is not set)`,
        approvalId: null,
      });
  }

  let atOrBelow = 0;
  for (let i = 0; i < input.actual.length; i++) {
    const a = input.actual[i] as RoleAssignment;
    const id = actualKeyList[i] as GrantId;
    if (a.inherited) {
      if (input.scope.mode === 'exclusive' && !desired.has(id))
        note(
          'inherited',
          a.id,
          `'${roleNameOf(a.roleDefinitionGuid)}' for ${a.principalId} is inherited from ${a.scope}; reported, never deleted at ${managed}`,
        );
      continue;
    }
    atOrBelow++;
    if (desired.has(id)) continue;
    const wardenMade =
      mayBeV5(a.name) && lower(a.name) === roleAssignmentName(a.scope, a.principalId, a.roleDefinitionGuid);
    const atManaged = scopeKey(a.scope) === managedKey;
    const drift = (input.scope.mode === 'exclusive' && atManaged) || wardenMade;
    if (!drift) {
      if (input.scope.mode === 'additive' && atManaged)
        note(
          'additive-unbacked',
          a.id,
          `'${roleNameOf(a.roleDefinitionGuid)}' for ${a.principalId} is not backed by a policy; scope ${managed} is additive, so it stays`,
        );
      continue;
    }
    const who = untouchable(a.principalId);
    if (who) {
      note(
        who,
        a.id,
        `${who === 'break-glass' ? 'break-glass principal' : "Warden's own identity"} ${a.principalId} holds '${roleNameOf(a.roleDefinitionGuid)}' at ${a.scope}; never touched`,
      );
      continue;
    }
    if (isActivation(a, id)) {
      note(
        'pim-activation',
        a.id,
        `'${roleNameOf(a.roleDefinitionGuid)}' for ${a.principalId} is a PIM activation; PIM ends it, Warden leaves it alone`,
      );
      continue;
    }
    const inference = inferenceOnly.has(a.principalId)
      ? ' (the principal is inference-only; no data-plane read on raw data)'
      : '';
    raw.push({
      key: `delete:${lower(a.id)}`,
      driftKey: keyOf(a.scope, a.principalId, a.roleDefinitionGuid),
      action: 'delete',
      scope: trimScope(a.scope),
      principalId: a.principalId,
      principalType: a.principalType,
      roleDefinitionGuid: a.roleDefinitionGuid,
      roleName: roleNameOf(a.roleDefinitionGuid),
      assignmentId: a.id,
      policyId: null,
      justifiedBy: wardenMade && !atManaged ? `Warden grant without policy` : `${input.scope.mode} scope ${managed}`,
      reason: wardenMade
        ? `Warden granted '${roleNameOf(a.roleDefinitionGuid)}' to ${a.principalId} at ${a.scope} for a policy that is no longer in force (expired, disabled or deleted)${inference}`
        : `'${roleNameOf(a.roleDefinitionGuid)}' for ${a.principalId} was made at exclusive scope ${managed} and no enabled, unexpired policy backs it${inference}`,
      privileged: privilegedGuid(a.roleDefinitionGuid),
    });
  }

  // ---- exemptions, fights, approvals
  const candidates = raw.filter((s) => {
    const ex = exemptionFor(s.assignmentId);
    if (ex) {
      note(
        'exempt',
        s.assignmentId,
        `${s.action} of '${s.roleName}' for ${s.principalId} skipped: exemption ${ex.id} (${ex.reason}) until ${ex.expires_at}`,
      );
      return false;
    }
    const hold = s.action === 'create' && held.size > 0 ? held.get(s.driftKey) : undefined;
    if (hold) {
      note('quarantine-hold', s.scope, `create of '${s.roleName}' for ${s.principalId} held: ${hold.reason}`);
      return false;
    }
    const fight = stopped.size === 0 ? undefined : stopped.get(s.driftKey);
    if (fight !== undefined) {
      note('fight-stopped', s.assignmentId, `${s.action} of '${s.roleName}' for ${s.principalId} stopped: ${fight}`);
      return false;
    }
    return true;
  });
  const approved = new Set(approvals.approvedStepKeys);
  // the first pending request (in input order) naming the step's key or its policy
  const pendingByStep = new Map<string, number>();
  const pendingByPolicy = new Map<string, number>();
  approvals.pending.forEach((p, i) => {
    for (const k of p.stepKeys) if (!pendingByStep.has(k)) pendingByStep.set(k, i);
    for (const id of p.policyIds) if (!pendingByPolicy.has(id)) pendingByPolicy.set(id, i);
  });
  const pendingFor = (s: (typeof candidates)[number]): string | undefined => {
    if (approvals.pending.length === 0) return undefined;
    const i = Math.min(
      pendingByStep.get(s.key) ?? Infinity,
      s.policyId !== null ? (pendingByPolicy.get(s.policyId) ?? Infinity) : Infinity,
    );
    return i === Infinity ? undefined : approvals.pending[i]?.approvalId;
  };
  for (const s of candidates) {
    if (approved.has(s.key)) {
      rawGate.delete(s.key);
      continue;
    }
    const pending = pendingFor(s);
    if (pending !== undefined)
      rawGate.set(s.key, {
        gate: 'awaiting-approval',
        reason: `waits for approval ${pending}`,
        approvalId: pending,
      });
  }

  // ---- blast radius over the steps no approval already covers
  const free = candidates.filter((s) => !approved.has(s.key) && rawGate.get(s.key)?.gate !== 'awaiting-approval');
  const deletes = free.filter((s) => s.action === 'delete');
  const deleteShare = atOrBelow === 0 ? 0 : deletes.length / atOrBelow;
  const resourcesChanged = new Set(free.map((s) => lower(s.scope))).size;
  const exceeded: string[] = [];
  if (deletes.length > input.limits.maxDeletes)
    exceeded.push(`removes ${deletes.length} grants (limit ${input.limits.maxDeletes})`);
  if (deletes.length > 0 && atOrBelow >= input.limits.shareAppliesFrom && deleteShare > input.limits.maxDeleteShare)
    exceeded.push(
      `removes ${Math.round(deleteShare * 100)}% of the ${atOrBelow} grants at and below ${managed} (limit ${Math.round(input.limits.maxDeleteShare * 100)}%)`,
    );
  const tooManyDeletes = exceeded.length > 0;
  if (resourcesChanged > input.limits.maxResourcesChanged)
    exceeded.push(`changes ${resourcesChanged} scopes (limit ${input.limits.maxResourcesChanged})`);
  const tooManyResources = resourcesChanged > input.limits.maxResourcesChanged;
  for (const s of free) {
    if (rawGate.has(s.key)) continue;
    if (tooManyResources || (tooManyDeletes && s.action === 'delete'))
      rawGate.set(s.key, {
        gate: 'blast-radius',
        reason: `the plan is over the blast-radius limits: ${exceeded.join('; ')}`,
        approvalId: null,
      });
  }

  const steps: AccessPlanStep[] = candidates.map((s) => {
    const g = rawGate.get(s.key);
    return {
      ...s,
      needsApproval: g !== undefined,
      gate: g?.gate ?? null,
      approvalReason: g?.reason ?? null,
      approvalId: g?.approvalId ?? null,
    };
  });
  const reportOnly = input.scope.enforcement === 'report-only';
  return {
    kind: 'access',
    target: managed,
    mode: input.scope.mode,
    enforcement: input.scope.enforcement,
    plannedAt: now.toISOString(),
    apply: !input.killSwitch && !reportOnly,
    notApplyingReason: input.killSwitch
      ? 'the global kill switch is engaged: every remediation is report-only'
      : reportOnly
        ? `managed scope ${managed} is report-only`
        : null,
    steps,
    notes,
    blastRadius: { deletes: deletes.length, deleteShare, resourcesChanged, exceeded },
    needsApproval: steps.some((s) => s.needsApproval),
  };
}
