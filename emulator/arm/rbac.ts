/**
 * Azure RBAC evaluation, as ARM does it for control-plane calls and resource providers do it for data actions:
 * the caller's role assignments at the scope and above, each role definition's permission blocks, `actions` minus
 * `notActions` (or `dataActions` minus `notDataActions`), wildcards matched case-insensitively.
 *
 * @remarks
 * Pure: no I/O, no clock. Deny assignments and ABAC conditions are not modelled (a condition on an assignment is
 * ignored, which is what ARM does for every control-plane action except role assignment writes and deletes with
 * delegation conditions; the emulator documents this limit).
 */
import { isAtOrAbove, roleDefinitionGuid } from './ids';

export interface Permission {
  actions: readonly string[];
  notActions: readonly string[];
  dataActions?: readonly string[];
  notDataActions?: readonly string[];
}

export interface RoleDefinitionLike {
  /** The definition's GUID (the `name`). */
  name: string;
  roleName: string;
  permissions: readonly Permission[];
}

export interface RoleAssignmentLike {
  /** The assignment's GUID name. */
  name: string;
  scope: string;
  /** Role definition id in any form; compared by its trailing GUID. */
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
}

/** The assignment that allowed an action: what ARM reports as `authorization.evidence`. */
export interface Evidence {
  role: string;
  roleAssignmentScope: string;
  roleAssignmentId: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
}

export type Decision = { allowed: true; evidence: Evidence } | { allowed: false };

const patternCache = new Map<string, RegExp>();

/**
 * Whether an action pattern from a role definition (`*`, `Microsoft.Storage/*`, or a pattern with a `*` segment
 * such as any-provider read) matches a concrete operation (`Microsoft.Storage/storageAccounts/write`).
 * `*` matches any run of characters, `/` included; the comparison ignores case.
 */
export function actionMatches(pattern: string, action: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 'i');
    patternCache.set(pattern, re);
  }
  return re.test(action);
}

/** Whether one permission block grants `action` (control plane) or the data action. */
export function permissionGrants(permission: Permission, action: string, dataAction = false): boolean {
  const allow = dataAction ? (permission.dataActions ?? []) : permission.actions;
  const deny = dataAction ? (permission.notDataActions ?? []) : permission.notActions;
  return allow.some((p) => actionMatches(p, action)) && !deny.some((p) => actionMatches(p, action));
}

/** Whether a role definition grants the action (any of its permission blocks). */
export function roleGrants(definition: RoleDefinitionLike, action: string, dataAction = false): boolean {
  return definition.permissions.some((p) => permissionGrants(p, action, dataAction));
}

/**
 * Decides whether any of `principalIds` (the caller and, when modelled, its groups) may perform `action` on
 * `scope`, given all role assignments and definitions. The first allowing assignment, nearest scope first, is the
 * evidence.
 */
export function evaluate(input: {
  principalIds: readonly string[];
  scope: string;
  action: string;
  dataAction?: boolean;
  assignments: readonly RoleAssignmentLike[];
  definitions: ReadonlyMap<string, RoleDefinitionLike> | ((guid: string) => RoleDefinitionLike | undefined);
}): Decision {
  const principals = new Set(input.principalIds.map((p) => p.toLowerCase()));
  const lookup =
    typeof input.definitions === 'function'
      ? input.definitions
      : (guid: string) => (input.definitions as ReadonlyMap<string, RoleDefinitionLike>).get(guid);
  const candidates = input.assignments
    .filter((a) => principals.has(a.principalId.toLowerCase()) && isAtOrAbove(a.scope, input.scope))
    // Nearest scope first, so the evidence names the most specific grant.
    .sort((a, b) => b.scope.length - a.scope.length);
  for (const a of candidates) {
    const guid = roleDefinitionGuid(a.roleDefinitionId);
    const def = guid ? lookup(guid) : undefined;
    if (def && roleGrants(def, input.action, input.dataAction ?? false)) {
      return {
        allowed: true,
        evidence: {
          role: def.roleName,
          roleAssignmentScope: a.scope,
          roleAssignmentId: a.name.toLowerCase(),
          roleDefinitionId: def.name.toLowerCase(),
          principalId: a.principalId.toLowerCase(),
          principalType: a.principalType,
        },
      };
    }
  }
  return { allowed: false };
}

/** ARM's 403 message for a denied control-plane call. */
export function authorizationFailedMessage(client: string, objectId: string, action: string, scope: string): string {
  return (
    `The client '${client}' with object id '${objectId}' does not have authorization to perform action ` +
    `'${action}' over scope '${scope}' or the scope is invalid. ` +
    'If access was recently granted, please refresh your credentials.'
  );
}
