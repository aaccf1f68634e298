/**
 * Who may score an AADToken online endpoint, from its role assignments: the part of an approved access cut that
 * removes the score grants made at the endpoint itself (DESIGN.md, quarantineModel). Pure: the activity lists the
 * assignments and resolves their role definitions through the `RoleAssignments` port, this decides.
 *
 * @remarks
 * Azure evaluates a permission block as `actions` minus `notActions` (control plane) and `dataActions` minus
 * `notDataActions` (data plane); a role grants an operation when any of its blocks does. `*` in a pattern matches any
 * run of characters, `/` included (`*`, `Microsoft.MachineLearningServices/*`, `…/workspaces/*\/action`), and the
 * comparison ignores case. Azure ML checks `onlineEndpoints/score/action` for AADToken scoring; roles carry it either
 * as an action (the built-in data-scientist roles, by wildcard) or as a data action (custom scorer roles), so either
 * counts. Deny assignments are not read: they can only take access away.
 */
import type { RoleAssignment, RoleDefinition, RolePermission } from '../access/role-assignment';

export const SCORE_ACTION = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action';

const patterns = new Map<string, RegExp>();

/** Whether a role-definition pattern (`*`, `Microsoft.X/*`, `…/*\/action`, or a concrete operation) matches `action`. */
export function actionPatternMatches(pattern: string, action: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 'i');
    patterns.set(pattern, re);
  }
  return re.test(action);
}

function blockGrants(allow: readonly string[], deny: readonly string[], action: string): boolean {
  return allow.some((p) => actionPatternMatches(p, action)) && !deny.some((p) => actionPatternMatches(p, action));
}

/** Whether one permission block grants `action`, as a control-plane action or as a data action. */
export function permissionGrants(p: RolePermission, action: string): boolean {
  return blockGrants(p.actions, p.notActions, action) || blockGrants(p.dataActions, p.notDataActions, action);
}

/** Whether a role definition grants `action` (any block). */
export function roleGrants(role: RoleDefinition, action: string): boolean {
  return role.permissions.some((p) => permissionGrants(p, action));
}

/** Whether a role definition lets its holders score an online endpoint. */
export function grantsScore(role: RoleDefinition): boolean {
  return roleGrants(role, SCORE_ACTION);
}

/** A score grant as the cut records it: enough to audit it (no secrets) and to recreate the same grant. */
export interface ScoreGrant {
  readonly assignmentId: string;
  readonly principalId: string;
  readonly principalType: string;
  readonly roleDefinitionGuid: string;
  readonly roleName: string;
  readonly scope: string;
}

export interface ScoreCutPlan {
  /** Made at the endpoint and granting score: Warden removes them. */
  readonly remove: readonly ScoreGrant[];
  /** Granting score but inherited from a parent scope: not Warden's to cut here, reported to the operator. */
  readonly left: readonly ScoreGrant[];
  /** Made at the endpoint with a role definition Warden could not read: kept, reported. */
  readonly unresolved: readonly ScoreGrant[];
}

function grantOf(a: RoleAssignment, roleName: string): ScoreGrant {
  return {
    assignmentId: a.id,
    principalId: a.principalId,
    principalType: a.principalType,
    roleDefinitionGuid: a.roleDefinitionGuid,
    roleName,
    scope: a.scope,
  };
}

/**
 * Plans the role part of an access cut: `assignments` as listed at the endpoint (`listForScope`), `roles` their
 * definitions by lower-case GUID (undefined: not readable). Assignments below the endpoint (deployments) do not
 * authorise scoring the endpoint and are ignored; ordered by assignment id so runs compare.
 */
export function planScoreCut(
  assignments: readonly RoleAssignment[],
  roles: ReadonlyMap<string, RoleDefinition | undefined>,
): ScoreCutPlan {
  const remove: ScoreGrant[] = [];
  const left: ScoreGrant[] = [];
  const unresolved: ScoreGrant[] = [];
  for (const a of assignments) {
    if (a.relation === 'below') continue;
    const role = roles.get(a.roleDefinitionGuid.toLowerCase());
    if (!role) {
      if (a.relation === 'at') unresolved.push(grantOf(a, a.roleDefinitionGuid));
      continue;
    }
    if (!grantsScore(role)) continue;
    (a.relation === 'at' ? remove : left).push(grantOf(a, role.roleName));
  }
  const byId = (x: ScoreGrant, y: ScoreGrant) =>
    x.assignmentId.toLowerCase().localeCompare(y.assignmentId.toLowerCase());
  return { remove: remove.sort(byId), left: left.sort(byId), unresolved: unresolved.sort(byId) };
}
