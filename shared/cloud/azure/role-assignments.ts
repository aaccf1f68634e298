/**
 * The `RoleAssignmentsPort` on `@azure/arm-authorization` 9 (api-version 2022-04-01; PIM instances 2020-10-01).
 */
import type { AuthorizationManagementClient, RoleAssignment as SdkRoleAssignment } from '@azure/arm-authorization';

import type {
  AssignmentPrincipalType,
  PimScheduleInstance,
  RoleAssignment,
  RoleAssignmentRequest,
  RoleDefinition,
  ScopeRelation,
} from '../../domain/access/role-assignment';
import { roleGuidOf } from '../../domain/access/role-assignment';
import { roleAssignmentName } from '../../domain/access/role-assignment-name';
import { isWithinScope } from '../../domain/guardrails/scope-coverage';
import type { RoleAssignmentCreated, RoleAssignmentsPort } from '../ports/role-assignments.port';
import { armErrorInfo, type BoundedRetry, DEFAULT_BOUNDED_RETRY, toWardenError, withBoundedRetry } from './arm-clients';

const PRINCIPAL_TYPES: readonly string[] = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'];
const trim = (s: string): string => s.replace(/\/+$/, '');

/** The part of an assignment id before `/providers/Microsoft.Authorization/roleAssignments/`. */
function scopeOfAssignmentId(id: string): string {
  const i = id.toLowerCase().lastIndexOf('/providers/microsoft.authorization/roleassignments/');
  return i > 0 ? id.slice(0, i) : '/';
}

export interface AzureRoleAssignmentsOptions {
  /** Bounded retry for `PrincipalNotFound` (a principal just created) and 403 during RBAC propagation. */
  readonly retry?: BoundedRetry;
}

/**
 * @remarks
 * Role definitions are cached per (scope, name) and per GUID for the adapter's lifetime: built-in definitions never
 * change, and a custom role's permissions changing is rare and only matters for the inference-only check.
 */
export class AzureRoleAssignments implements RoleAssignmentsPort {
  private readonly byName = new Map<string, Promise<RoleDefinition | undefined>>();
  private readonly byGuid = new Map<string, Promise<RoleDefinition | undefined>>();
  private readonly retry: BoundedRetry;

  constructor(
    private readonly client: AuthorizationManagementClient,
    options: AzureRoleAssignmentsOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_BOUNDED_RETRY;
  }

  async listForScope(scope: string): Promise<RoleAssignment[]> {
    const out: RoleAssignment[] = [];
    try {
      for await (const a of this.client.roleAssignments.listForScope(trim(scope))) out.push(toDomain(a, scope));
    } catch (e) {
      throw toWardenError(e, 'list role assignments', scope);
    }
    return out;
  }

  async get(assignmentId: string): Promise<RoleAssignment | undefined> {
    try {
      const a = await this.client.roleAssignments.getById(assignmentId);
      return toDomain(a, scopeOfAssignmentId(assignmentId));
    } catch (e) {
      if (armErrorInfo(e).status === 404) return undefined;
      throw toWardenError(e, 'read role assignment', assignmentId);
    }
  }

  async create(request: RoleAssignmentRequest): Promise<RoleAssignmentCreated> {
    const scope = trim(request.scope);
    const name =
      request.name?.toLowerCase() ?? roleAssignmentName(scope, request.principalId, request.roleDefinitionGuid);
    const roleDefinitionId = `/subscriptions/${this.subscriptionOf(scope)}/providers/Microsoft.Authorization/roleDefinitions/${request.roleDefinitionGuid}`;
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    const existing = await this.get(id);
    if (existing) return { assignment: existing, created: false };
    try {
      const created = await withBoundedRetry(this.retry, isPassing, () =>
        this.client.roleAssignments.create(scope, name, {
          roleDefinitionId,
          principalId: request.principalId,
          principalType: request.principalType,
          ...(request.description !== undefined ? { description: request.description } : {}),
        }),
      );
      return { assignment: toDomain(created, scope), created: true };
    } catch (e) {
      const { status, code } = armErrorInfo(e);
      if (status === 409 && code === 'RoleAssignmentExists') {
        // The same grant exists under another name (made out of band, or by an earlier Warden version).
        const same = (await this.listForScope(scope)).find(
          (a) =>
            a.relation === 'at' &&
            a.principalId === request.principalId.toLowerCase() &&
            a.roleDefinitionGuid === request.roleDefinitionGuid.toLowerCase(),
        );
        if (same) return { assignment: same, created: false };
      }
      throw toWardenError(e, 'create role assignment', id);
    }
  }

  async delete(assignmentId: string): Promise<boolean> {
    try {
      const gone = await withBoundedRetry(this.retry, isPropagation, () =>
        this.client.roleAssignments.deleteById(assignmentId),
      );
      // 200 carries the deleted assignment, 204 (already gone) nothing.
      return gone !== undefined && gone !== null && typeof gone.id === 'string';
    } catch (e) {
      if (armErrorInfo(e).status === 404) return false;
      throw toWardenError(e, 'delete role assignment', assignmentId);
    }
  }

  roleDefinitionByName(scope: string, roleName: string): Promise<RoleDefinition | undefined> {
    const key = `${trim(scope).toLowerCase()}|${roleName.toLowerCase()}`;
    let hit = this.byName.get(key);
    if (!hit) {
      hit = this.lookupByName(scope, roleName);
      this.byName.set(key, hit);
      hit.catch(() => this.byName.delete(key));
    }
    return hit;
  }

  roleDefinitionByGuid(scope: string, guid: string): Promise<RoleDefinition | undefined> {
    const key = guid.toLowerCase();
    let hit = this.byGuid.get(key);
    if (!hit) {
      hit = this.lookupByGuid(scope, key);
      this.byGuid.set(key, hit);
      hit.catch(() => this.byGuid.delete(key));
    }
    return hit;
  }

  async listPimInstances(scope: string): Promise<PimScheduleInstance[]> {
    const out: PimScheduleInstance[] = [];
    try {
      for await (const i of this.client.roleAssignmentScheduleInstances.listForScope(trim(scope), {
        filter: 'atScope()',
      }))
        out.push({
          originRoleAssignmentId: i.originRoleAssignmentId ?? null,
          principalId: (i.principalId ?? '').toLowerCase(),
          roleDefinitionGuid: roleGuidOf(i.roleDefinitionId ?? ''),
          scope: i.scope ?? scope,
          assignmentType: i.assignmentType ?? 'Assigned',
          endDateTime: i.endDateTime ? new Date(i.endDateTime).toISOString() : null,
        });
    } catch (e) {
      throw toWardenError(e, 'list PIM schedule instances', scope);
    }
    return out;
  }

  private async lookupByName(scope: string, roleName: string): Promise<RoleDefinition | undefined> {
    try {
      const filter = `roleName eq '${roleName.replace(/'/g, "''")}'`;
      for await (const d of this.client.roleDefinitions.list(trim(scope), { filter })) {
        if ((d.roleName ?? '').toLowerCase() === roleName.toLowerCase()) {
          const def = definitionToDomain(d);
          this.byGuid.set(def.guid, Promise.resolve(def));
          return def;
        }
      }
      return undefined;
    } catch (e) {
      throw toWardenError(e, 'read role definitions', scope);
    }
  }

  private async lookupByGuid(scope: string, guid: string): Promise<RoleDefinition | undefined> {
    try {
      return definitionToDomain(await this.client.roleDefinitions.get(trim(scope), guid));
    } catch (e) {
      if (armErrorInfo(e).status === 404) return undefined;
      throw toWardenError(e, 'read role definition', guid);
    }
  }

  private subscriptionOf(scope: string): string {
    const m = /^\/subscriptions\/([^/]+)/i.exec(scope);
    if (!m?.[1]) throw new Error(`BUG: role assignment scope '${scope}' has no subscription`);
    return m[1];
  }
}

/** PrincipalNotFound (new principal not replicated yet) or a 403 during RBAC propagation. */
function isPassing(e: unknown): boolean {
  const { status, code } = armErrorInfo(e);
  return (status === 400 && code === 'PrincipalNotFound') || isPropagation(e);
}

function isPropagation(e: unknown): boolean {
  const { status, code } = armErrorInfo(e);
  return status === 403 && code === 'AuthorizationFailed';
}

function toDomain(a: SdkRoleAssignment, listedAt: string): RoleAssignment {
  const scope = a.scope ?? scopeOfAssignmentId(a.id ?? '');
  const relation: ScopeRelation =
    trim(scope).toLowerCase() === trim(listedAt).toLowerCase()
      ? 'at'
      : isWithinScope(listedAt, scope)
        ? 'above'
        : 'below';
  const pt = a.principalType ?? 'Unknown';
  return {
    id: a.id ?? '',
    name: (a.name ?? '').toLowerCase(),
    scope,
    roleDefinitionGuid: roleGuidOf(a.roleDefinitionId ?? ''),
    principalId: (a.principalId ?? '').toLowerCase(),
    principalType: PRINCIPAL_TYPES.includes(pt) ? (pt as AssignmentPrincipalType) : 'Unknown',
    relation,
    inherited: relation === 'above',
    description: a.description ?? null,
    condition: a.condition ?? null,
  };
}

function definitionToDomain(d: {
  name?: string;
  roleName?: string;
  roleType?: string;
  permissions?: { actions?: string[]; notActions?: string[]; dataActions?: string[]; notDataActions?: string[] }[];
}): RoleDefinition {
  return {
    guid: (d.name ?? '').toLowerCase(),
    roleName: d.roleName ?? '',
    roleType: d.roleType ?? 'BuiltInRole',
    permissions: (d.permissions ?? []).map((p) => ({
      actions: p.actions ?? [],
      notActions: p.notActions ?? [],
      dataActions: p.dataActions ?? [],
      notDataActions: p.notDataActions ?? [],
    })),
  };
}
