import type {
  PimScheduleInstance,
  RoleAssignment,
  RoleAssignmentRequest,
  RoleDefinition,
} from '../../domain/access/role-assignment';

export type {
  PimScheduleInstance,
  RoleAssignment,
  RoleAssignmentRequest,
  RoleDefinition,
} from '../../domain/access/role-assignment';

/** The outcome of a create: the assignment as ARM stored it, and whether this call created it. */
export interface RoleAssignmentCreated {
  readonly assignment: RoleAssignment;
  /** False when the same grant already existed (same deterministic name, or the same grant under another name). */
  readonly created: boolean;
}

/**
 * Azure RBAC role assignments, role definitions and PIM schedule instances (Microsoft.Authorization), in Warden's
 * domain types. One Azure adapter (`shared/cloud/azure/role-assignments.ts`) implements it on
 * `@azure/arm-authorization`; locally the same adapter talks to the emulator.
 *
 * @remarks
 * Failures are typed: `TransientCloudError` (429/5xx, after the SDK's own retries) for durable retry to see,
 * `CloudAuthorizationError` (`./cloud-authorization-error`) (403 `AuthorizationFailed`: Warden lacks a right —
 * permanent, audited, never retried forever), `NotFoundError` for a scope that does not exist, and a
 * `ValidationError` for a request ARM refuses as malformed. `PrincipalNotFound` right after a principal was created
 * and RBAC propagation delays are retried inside the adapter, a bounded number of times.
 */
export interface RoleAssignmentsPort {
  /**
   * Every assignment that applies at `scope` or below it: made at the scope (`relation: 'at'`), inherited from a
   * parent (`'above'`, `inherited: true`), or made on a child scope (`'below'`).
   */
  listForScope(scope: string): Promise<RoleAssignment[]>;

  /**
   * Creates the assignment under its deterministic name (UUIDv5 of scope, principal, role — see
   * `roleAssignmentName`) or the `name` the request gives, passing `principalType` so a just-created principal is accepted. Idempotent: an identical
   * existing grant (under this name or another) is returned with `created: false`.
   */
  create(request: RoleAssignmentRequest): Promise<RoleAssignmentCreated>;

  /** Deletes an assignment by its full id. Returns false if it was already gone. */
  delete(assignmentId: string): Promise<boolean>;

  /** Re-reads one assignment by full id (undefined if it does not exist). */
  get(assignmentId: string): Promise<RoleAssignment | undefined>;

  /** A role definition by role name, as visible at `scope` (cached per name; built-ins and custom roles). */
  roleDefinitionByName(scope: string, roleName: string): Promise<RoleDefinition | undefined>;

  /** A role definition by GUID (cached). */
  roleDefinitionByGuid(scope: string, guid: string): Promise<RoleDefinition | undefined>;

  /** PIM role assignment schedule instances at `scope` (activations and standing grants, inherited included). */
  listPimInstances(scope: string): Promise<PimScheduleInstance[]>;
}
