/**
 * Warden's view of Azure RBAC, free of SDK types: what the `RoleAssignments` port returns and the access planner
 * reads. Ids are compared case-insensitively (ARM does); the adapter lower-cases principal ids and role definition
 * GUIDs so the planner can compare with `===`.
 */

/** Principal types a role assignment may carry (Warden's policies use the first three). */
export type AssignmentPrincipalType = 'User' | 'Group' | 'ServicePrincipal' | 'ForeignGroup' | 'Device';

/** Where an assignment was made relative to the scope it was listed at. */
export type ScopeRelation = 'at' | 'above' | 'below';

/** One role assignment as ARM reports it. */
export interface RoleAssignment {
  /** Full ARM id: `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`. */
  readonly id: string;
  /** The assignment's GUID name (lower case). */
  readonly name: string;
  /** The scope the assignment was made at (as ARM reports it). */
  readonly scope: string;
  /** The role definition GUID (lower case): ARM returns several id forms, the GUID is what compares. */
  readonly roleDefinitionGuid: string;
  /** Lower-case object id. */
  readonly principalId: string;
  readonly principalType: AssignmentPrincipalType | 'Unknown';
  /** At, above (inherited) or below the scope it was listed for. */
  readonly relation: ScopeRelation;
  /** `relation === 'above'`: made at a parent scope and inherited here; never deleted from here. */
  readonly inherited: boolean;
  readonly description: string | null;
  /** ABAC condition, if any (Warden does not write conditions; a conditioned grant never matches a policy). */
  readonly condition: string | null;
}

/** One permission block of a role definition. */
export interface RolePermission {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
}

/** A role definition (built-in or custom). */
export interface RoleDefinition {
  /** Lower-case GUID. `roleType` is `BuiltInRole` or `CustomRole`. */
  readonly guid: string;
  readonly roleName: string;
  readonly roleType: string;
  readonly permissions: readonly RolePermission[];
}

/**
 * A PIM role assignment schedule instance: `Activated` instances are just-in-time activations (PIM created and will
 * remove their role assignment); `Assigned` ones are standing grants as PIM sees them.
 */
export interface PimScheduleInstance {
  /** The role assignment the instance stands for (full id), when ARM reports it. */
  readonly originRoleAssignmentId: string | null;
  readonly principalId: string;
  readonly roleDefinitionGuid: string;
  readonly scope: string;
  readonly assignmentType: string;
  /** ISO end of the activation (null: no end). */
  readonly endDateTime: string | null;
}

/** What Warden asks ARM to create. */
export interface RoleAssignmentRequest {
  readonly scope: string;
  readonly principalId: string;
  readonly principalType: AssignmentPrincipalType;
  readonly roleDefinitionGuid: string;
  /** Free text recorded on the assignment: Warden writes `warden:policy=<id>`. */
  readonly description?: string;
  /**
   * The assignment's GUID name. Default: the deterministic `roleAssignmentName` of scope, principal and role.
   * Given only to put back an assignment Warden removed under the name it had (the access cut's restore), so the
   * planner does not take it for a Warden grant without policy.
   */
  readonly name?: string;
}

/** The GUID at the end of any role definition id form (`/subscriptions/…/roleDefinitions/{guid}`, `/providers/…`). */
export function roleGuidOf(roleDefinitionId: string): string {
  const last = roleDefinitionId.split('/').pop() ?? roleDefinitionId;
  return last.toLowerCase();
}
