/**
 * The ARM module's behaviour, independent of HTTP: role assignments and definitions, PIM activations, generic
 * resources, RBAC decisions and the events ARM emits. The HTTP handlers (authorization.ts, resources.ts), the admin
 * API (admin.ts) and the seeder (seed.ts) all change the world through this one code path.
 */
import { createHash, randomUUID } from 'node:crypto';

import { armError, notImplemented } from '../core/errors';
import type { CallerIdentity, EmulatorContext, EmulatorRequest } from '../core/module';
import { BUILT_IN_ROLES } from './builtin-roles';
import * as E from './errors';
import type { AssignmentFilter } from './filters';
import { isAtOrAbove, isGuid, lastName, normalizeId, type ParsedId, parseId, roleDefinitionGuid } from './ids';
import { KNOWN_NAMESPACES, resourceTypeSpec } from './providers';
import type { ResourceContext, ResourceTypeSpec } from './providers/types';
import { obj } from './providers/types';
import { authorizationFailedMessage, type Decision, evaluate, type Evidence } from './rbac';
import {
  ArmStore,
  type ResourceEnvelope,
  type StoredActivation,
  type StoredRoleAssignment,
  type StoredRoleDefinition,
} from './store';

export const AUTH_NS = 'Microsoft.Authorization';
export const ROLE_ASSIGNMENT_TYPE = 'Microsoft.Authorization/roleAssignments';
export const ROLE_DEFINITION_TYPE = 'Microsoft.Authorization/roleDefinitions';
export const SCHEDULE_INSTANCE_TYPE = 'Microsoft.Authorization/roleAssignmentScheduleInstances';
/** The principal types a role assignment may name. */
export const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] as const;

/** Who asked for a change and how it reached ARM. */
export interface ChangeOrigin {
  caller: CallerIdentity;
  /** The ARM request (absent for admin and seed changes). */
  request?: EmulatorRequest;
  /** RBAC evidence when ARM evaluated it. */
  evidence?: Evidence;
  /** Seed changes emit no events. */
  silent?: boolean;
  /** HTTP method to report for admin changes (events' httpRequest). */
  method?: string;
}

export interface CreateAssignmentInput {
  scope: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  description?: string | null;
  condition?: string | null;
  conditionVersion?: string | null;
  delegatedManagedIdentityResourceId?: string | null;
}

export class ArmService {
  readonly store: ArmStore;

  constructor(readonly ctx: EmulatorContext) {
    this.store = new ArmStore(ctx.db);
  }

  resourceContext(): ResourceContext {
    return {
      subscriptionId: this.ctx.subscriptionId,
      tenantId: this.ctx.tenantId,
      location: this.ctx.location,
      now: this.ctx.clock.nowIso(),
      newId: () => randomUUID(),
    };
  }

  // ------------------------------------------------------------------ RBAC

  /** The caller's decision for `action` on `scope` (PIM activations that have ended no longer count). */
  decide(caller: CallerIdentity, scope: string, action: string, dataAction = false): Decision {
    this.expireActivations();
    const principalIds = [caller.oid, ...this.groupsOf(caller.oid)];
    return evaluate({
      principalIds,
      scope,
      action,
      dataAction,
      assignments: this.store.listRoleAssignmentsForPrincipals(principalIds),
      definitions: (guid) => this.store.getRoleDefinition(guid),
    });
  }

  /**
   * The groups a principal belongs to, when the directory models membership (an optional `groupsOf` on the
   * directory; see NEEDS-FROM-CORE.md). Without it, group assignments reach no member.
   */
  groupsOf(principalId: string): string[] {
    const dir = this.ctx.directory as { groupsOf?: (id: string) => string[] };
    return typeof dir.groupsOf === 'function' ? dir.groupsOf(principalId) : [];
  }

  /** Throws ARM's 403 `AuthorizationFailed` unless the caller may perform `action` over `scope`. */
  authorize(caller: CallerIdentity, scope: string, action: string): Evidence {
    const d = this.decide(caller, scope, action);
    if (d.allowed) return d.evidence;
    this.ctx.log('arm.authorization.denied', { oid: caller.oid, action, scope });
    throw armError(
      403,
      'AuthorizationFailed',
      authorizationFailedMessage(caller.upn ?? caller.oid, caller.oid, action, scope),
    );
  }

  // ------------------------------------------------------------------ scopes

  /** Checks that a scope exists (subscription, resource group, resource), as ARM does before acting on it. */
  requireScope(scope: string): ParsedId {
    const p = parseId(scope);
    if (!p) throw E.badRequest('InvalidScope', `The scope '${scope}' is not a valid ARM scope.`);
    if (p.kind === 'root' || p.kind === 'tenantProvider') return p;
    if (p.subscriptionId && p.subscriptionId.toLowerCase() !== this.ctx.subscriptionId.toLowerCase()) {
      throw E.subscriptionNotFound(p.subscriptionId);
    }
    if (p.resourceGroup && !this.store.getResourceGroup(p.subscriptionId!, p.resourceGroup)) {
      throw E.resourceGroupNotFound(p.resourceGroup);
    }
    if (p.kind === 'resource' && p.resourceType && !this.store.getResource(p.id)) {
      throw E.resourceNotFound(typeAndName(p), p.resourceGroup ?? '');
    }
    return p;
  }

  // ------------------------------------------------------------------ role definitions

  seedBuiltInRoles(): void {
    const now = this.ctx.clock.nowIso();
    for (const r of BUILT_IN_ROLES) {
      this.store.upsertRoleDefinition({
        name: r.name,
        roleName: r.roleName,
        roleType: 'BuiltInRole',
        description: r.description,
        assignableScopes: ['/'],
        permissions: r.permissions,
        createdOn: '2015-02-02T21:55:09.8806423Z',
        updatedOn: now,
      });
    }
  }

  /** A role definition by GUID, any id form, or role name. */
  resolveRole(role: string): StoredRoleDefinition | undefined {
    const guid = roleDefinitionGuid(role);
    if (guid) return this.store.getRoleDefinition(guid);
    return this.store.findRoleDefinitionByName(role);
  }

  presentDefinition(d: StoredRoleDefinition, scope: string): Record<string, unknown> {
    return {
      id: definitionId(d.name, scope),
      name: d.name,
      type: ROLE_DEFINITION_TYPE,
      properties: {
        roleName: d.roleName,
        type: d.roleType,
        description: d.description,
        assignableScopes: d.assignableScopes,
        permissions: d.permissions.map((p) => ({
          actions: [...p.actions],
          notActions: [...p.notActions],
          dataActions: [...(p.dataActions ?? [])],
          notDataActions: [...(p.notDataActions ?? [])],
        })),
        createdOn: d.createdOn,
        updatedOn: d.updatedOn,
        createdBy: null,
        updatedBy: null,
      },
    };
  }

  /** Definitions visible at `scope`: built-ins, and custom roles assignable at, above or below it. */
  listDefinitions(scope: string): StoredRoleDefinition[] {
    return this.store
      .listRoleDefinitions()
      .filter(
        (d) =>
          d.roleType === 'BuiltInRole' ||
          d.assignableScopes.some((s) => isAtOrAbove(s, scope) || isAtOrAbove(scope, s)),
      );
  }

  // ------------------------------------------------------------------ role assignments

  presentAssignment(a: StoredRoleAssignment): Record<string, unknown> {
    const guid = roleDefinitionGuid(a.roleDefinitionId) ?? a.roleDefinitionId;
    return {
      id: assignmentId(a.scope, a.name),
      name: a.name,
      type: ROLE_ASSIGNMENT_TYPE,
      properties: {
        roleDefinitionId: definitionId(guid, a.scope),
        principalId: a.principalId,
        principalType: a.principalType,
        scope: a.scope,
        condition: a.condition,
        conditionVersion: a.conditionVersion,
        createdOn: a.createdOn,
        updatedOn: a.updatedOn,
        createdBy: a.createdBy,
        updatedBy: a.updatedBy,
        delegatedManagedIdentityResourceId: a.delegatedManagedIdentityResourceId,
        description: a.description,
      },
    };
  }

  /**
   * Creates (or re-puts) a role assignment with ARM's validation: GUID name, existing role definition, a principal
   * the tenant knows with the type the caller claims, no duplicate grant under another name. `201` when new, `200`
   * for an identical re-PUT or an update of description/condition.
   */
  createRoleAssignment(
    input: CreateAssignmentInput,
    origin: ChangeOrigin,
  ): { status: 200 | 201; assignment: StoredRoleAssignment } {
    this.expireActivations();
    const scope = normalizeId(input.scope);
    if (!isGuid(input.name)) {
      throw E.badRequest(
        'InvalidRoleAssignmentId',
        `The role assignment ID '${input.name}' is not valid. The role assignment ID must be a GUID.`,
      );
    }
    const guid = roleDefinitionGuid(input.roleDefinitionId);
    const definition = guid ? this.store.getRoleDefinition(guid) : undefined;
    if (!guid || !definition) {
      throw E.badRequest(
        'RoleDefinitionDoesNotExist',
        `The specified role definition with ID '${guid ?? input.roleDefinitionId}' does not exist.`,
      );
    }
    this.requireScope(scope);
    const principal = this.ctx.directory.getPrincipal(input.principalId);
    if (!principal) {
      throw E.badRequest(
        'PrincipalNotFound',
        `Principal ${input.principalId.replace(/-/g, '')} does not exist in the directory ${this.ctx.tenantId}. ` +
          'Check that you have the correct principal ID. If you are creating this principal and then immediately ' +
          'assigning a role, this error might be related to a replication delay. In this case, set the role ' +
          'assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See ' +
          'https://aka.ms/docs-principaltype',
      );
    }
    let principalType = principal.type as string;
    if (input.principalType !== undefined) {
      if (!(PRINCIPAL_TYPES as readonly string[]).includes(input.principalType)) {
        throw E.invalidRequestContent(
          `Error converting value "${input.principalType}" to type 'PrincipalType'. Path 'properties.principalType'`,
        );
      }
      if (input.principalType.toLowerCase() !== principal.type.toLowerCase()) {
        throw E.badRequest(
          'UnmatchedPrincipalType',
          `The PrincipalId '${input.principalId.replace(/-/g, '')}' has type '${principal.type}' , which is different ` +
            `from specified PrincipalType '${input.principalType}'.`,
        );
      }
      principalType = input.principalType;
    }
    if (definition.roleType === 'CustomRole' && !definition.assignableScopes.some((s) => isAtOrAbove(s, scope))) {
      throw armError(
        403,
        'AuthorizationFailed',
        `The role definition '${definition.name}' is not assignable at scope '${scope}'.`,
      );
    }
    const now = this.ctx.clock.nowIso();
    const existing = this.store.getRoleAssignment(scope, input.name);
    const elsewhere = existing ? undefined : this.store.findRoleAssignmentByName(input.name);
    if (elsewhere) {
      throw armError(
        409,
        'RoleAssignmentExists',
        `The role assignment ID '${input.name}' is already in use by a role assignment at scope '${elsewhere.scope}'.`,
      );
    }
    if (existing) {
      if (
        existing.principalId.toLowerCase() !== input.principalId.toLowerCase() ||
        roleDefinitionGuid(existing.roleDefinitionId) !== guid
      ) {
        throw E.badRequest(
          'RoleAssignmentUpdateNotPermitted',
          'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
        );
      }
    } else {
      const dup = this.store.findDuplicateAssignment(scope, input.principalId, guid);
      if (dup) {
        throw armError(
          409,
          'RoleAssignmentExists',
          `The role assignment already exists. The ID of the existing role assignment is ${dup.name.replace(/-/g, '')}.`,
        );
      }
    }
    const assignment: StoredRoleAssignment = {
      name: existing?.name ?? input.name.toLowerCase(),
      scope: existing?.scope ?? scope,
      roleDefinitionId: input.roleDefinitionId,
      principalId: input.principalId.toLowerCase(),
      principalType,
      description: input.description ?? null,
      condition: input.condition ?? null,
      conditionVersion: input.condition ? (input.conditionVersion ?? '2.0') : null,
      delegatedManagedIdentityResourceId: input.delegatedManagedIdentityResourceId ?? null,
      createdOn: existing?.createdOn ?? now,
      updatedOn: now,
      createdBy: existing?.createdBy ?? (origin.silent ? null : origin.caller.oid),
      updatedBy: origin.silent ? null : origin.caller.oid,
    };
    this.store.putRoleAssignment(assignment, guid);
    this.emit('Write', assignmentId(assignment.scope, assignment.name), `${ROLE_ASSIGNMENT_TYPE}/write`, origin);
    return { status: existing ? 200 : 201, assignment };
  }

  /** Deletes an assignment; undefined when there was none (ARM answers 204). */
  deleteRoleAssignment(scope: string, name: string, origin: ChangeOrigin): StoredRoleAssignment | undefined {
    const existing = this.store.getRoleAssignment(scope, name);
    if (!existing) return undefined;
    this.store.deleteRoleAssignment(existing.scope, existing.name);
    const activation = this.store.activationForAssignment(existing.name);
    if (activation) this.store.deleteActivation(activation.name);
    this.emit('Delete', assignmentId(existing.scope, existing.name), `${ROLE_ASSIGNMENT_TYPE}/delete`, origin);
    return existing;
  }

  /**
   * Assignments visible at `scope` under `filter`: no filter → at, above and below; `atScope()` → at and above
   * (inherited included); principal filters narrow either.
   */
  listAssignments(scope: string, filter: AssignmentFilter, callerOid?: string): StoredRoleAssignment[] {
    this.expireActivations();
    const target = filter.principalId ?? filter.assignedTo ?? (filter.asTarget ? callerOid : undefined);
    // assignedTo() and asTarget() include the principal's groups (when the directory models membership).
    const principals =
      target === undefined
        ? undefined
        : new Set(
            [target, ...(filter.principalId === undefined ? this.groupsOf(target) : [])].map((p) => p.toLowerCase()),
          );
    return this.store.listRoleAssignments().filter((a) => {
      const above = isAtOrAbove(a.scope, scope);
      if (filter.atScope ? !above : !(above || isAtOrAbove(scope, a.scope))) return false;
      return principals === undefined || principals.has(a.principalId.toLowerCase());
    });
  }

  // ------------------------------------------------------------------ PIM

  /**
   * Activates an eligible role the way PIM does: a role assignment (created by the activating principal) plus an
   * `Activated` schedule instance ending after `durationMinutes`. Standing grants list as `Assigned` instances.
   */
  activateRole(
    input: { principalId: string; role: string; scope: string; durationMinutes?: number; justification?: string },
    origin: ChangeOrigin,
  ): { assignment: StoredRoleAssignment; activation: StoredActivation } {
    const def = this.resolveRole(input.role);
    if (!def) throw E.badRequest('RoleDefinitionDoesNotExist', `The role '${input.role}' does not exist.`);
    const minutes = input.durationMinutes ?? 480;
    if (!Number.isFinite(minutes) || minutes <= 0) {
      throw E.badRequest('InvalidParameter', 'durationMinutes must be a positive number.');
    }
    const { assignment } = this.createRoleAssignment(
      {
        scope: input.scope,
        name: randomUUID(),
        roleDefinitionId: definitionId(def.name, input.scope),
        principalId: input.principalId,
        description: input.justification ?? null,
      },
      origin,
    );
    const now = this.ctx.clock.now();
    const activation: StoredActivation = {
      name: randomUUID(),
      roleAssignmentName: assignment.name,
      scope: assignment.scope,
      roleDefinitionId: definitionId(def.name, assignment.scope),
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      startDateTime: new Date(now).toISOString(),
      endDateTime: new Date(now + minutes * 60_000).toISOString(),
      justification: input.justification ?? null,
      linkedRoleEligibilityScheduleId: randomUUID(),
      createdOn: new Date(now).toISOString(),
    };
    this.store.putActivation(activation);
    return { assignment, activation };
  }

  /** Ends activations whose time is up: PIM removes their role assignments (the events name the principal). */
  expireActivations(): void {
    const now = this.ctx.clock.now();
    for (const a of this.store.listActivations()) {
      if (a.endDateTime === null || Date.parse(a.endDateTime) > now) continue;
      this.store.deleteActivation(a.name);
      const ra = this.store.getRoleAssignment(a.scope, a.roleAssignmentName);
      if (!ra) continue;
      this.store.deleteRoleAssignment(ra.scope, ra.name);
      const caller = this.ctx.directory.getPrincipal(a.principalId)
        ? this.ctx.directory.identityOf(a.principalId)
        : undefined;
      if (caller) this.emit('Delete', assignmentId(ra.scope, ra.name), `${ROLE_ASSIGNMENT_TYPE}/delete`, { caller });
    }
  }

  presentScheduleInstance(a: StoredRoleAssignment): Record<string, unknown> {
    const activation = this.store.activationForAssignment(a.name);
    const guid = roleDefinitionGuid(a.roleDefinitionId) ?? '';
    const def = this.store.getRoleDefinition(guid);
    const principal = this.ctx.directory.getPrincipal(a.principalId);
    const scheduleName = activation?.name ?? a.name;
    const p = parseId(a.scope);
    return {
      id: `${a.scope === '/' ? '' : a.scope}/providers/${AUTH_NS}/roleAssignmentScheduleInstances/${a.name}`,
      name: a.name,
      type: SCHEDULE_INSTANCE_TYPE,
      properties: {
        scope: a.scope,
        roleDefinitionId: definitionId(guid, a.scope),
        principalId: a.principalId,
        principalType: a.principalType,
        roleAssignmentScheduleId: `${a.scope === '/' ? '' : a.scope}/providers/${AUTH_NS}/roleAssignmentSchedules/${scheduleName}`,
        originRoleAssignmentId: assignmentId(a.scope, a.name),
        status: 'Provisioned',
        startDateTime: activation?.startDateTime ?? a.createdOn,
        endDateTime: activation?.endDateTime ?? null,
        linkedRoleEligibilityScheduleId: activation?.linkedRoleEligibilityScheduleId ?? null,
        linkedRoleEligibilityScheduleInstanceId: activation
          ? deterministicGuid(activation.linkedRoleEligibilityScheduleId, 'instance')
          : null,
        assignmentType: activation ? 'Activated' : 'Assigned',
        memberType: 'Direct',
        condition: a.condition,
        conditionVersion: a.conditionVersion,
        createdOn: activation?.createdOn ?? a.createdOn,
        expandedProperties: {
          scope: {
            id: a.scope,
            displayName: p?.names[p.names.length - 1] ?? p?.resourceGroup ?? p?.subscriptionId ?? a.scope,
            type: scopeKind(p),
          },
          roleDefinition: {
            id: definitionId(guid, a.scope),
            displayName: def?.roleName ?? null,
            type: def?.roleType ?? null,
          },
          principal: {
            id: a.principalId,
            displayName: principal?.displayName ?? null,
            email: principal?.userPrincipalName ?? null,
            type: a.principalType,
          },
        },
      },
    };
  }

  // ------------------------------------------------------------------ resources

  /** The type spec for a parsed resource id, or ARM's error for an unknown type. */
  specFor(p: ParsedId, apiVersion?: string): ResourceTypeSpec {
    const spec = p.resourceType ? resourceTypeSpec(p.resourceType) : undefined;
    if (spec) return spec;
    throw unknownType(p, apiVersion);
  }

  /** The stored resource or ARM's 404 (resource group first, as ARM checks it first). */
  getResource(p: ParsedId): ResourceEnvelope {
    this.requireResourceGroup(p);
    const r = this.store.getResource(p.id);
    if (!r) throw E.resourceNotFound(typeAndName(p), p.resourceGroup ?? '');
    return r;
  }

  requireResourceGroup(p: ParsedId): void {
    if (!p.subscriptionId || p.subscriptionId.toLowerCase() !== this.ctx.subscriptionId.toLowerCase()) {
      throw E.subscriptionNotFound(p.subscriptionId ?? '');
    }
    if (p.resourceGroup && !this.store.getResourceGroup(p.subscriptionId, p.resourceGroup)) {
      throw E.resourceGroupNotFound(p.resourceGroup);
    }
  }

  /**
   * PUT of a whole resource: creates or replaces it (read-only properties kept), fills Azure's defaults.
   * `provisioningState` is the state stored (async LROs store `Updating` first).
   */
  putResource(
    p: ParsedId,
    spec: ResourceTypeSpec,
    body: Record<string, unknown>,
    origin: ChangeOrigin,
    options: { provisioningState?: string; emit?: boolean } = {},
  ): { created: boolean; resource: ResourceEnvelope } {
    this.requireResourceGroup(p);
    this.requireParent(p);
    const message = validateBody(spec, body, 'PUT');
    if (message) throw E.badRequest('InvalidRequestContent', message);
    const existing = this.store.getResource(p.id);
    if (spec.tracked && typeof body.location !== 'string') {
      throw E.badRequest('LocationRequired', 'The location property is required for this definition.');
    }
    if (
      spec.tracked &&
      existing &&
      typeof existing.location === 'string' &&
      norm(existing.location) !== norm(String(body.location))
    ) {
      throw armError(
        409,
        'InvalidResourceLocation',
        `The resource '${existing.name}' already exists in location '${existing.location}' in resource group ` +
          `'${p.resourceGroup ?? ''}'. A resource with the same name cannot be created in location ` +
          `'${String(body.location)}'. Please select a new resource name.`,
      );
    }
    const ctx = this.resourceContext();
    const props = stripReadOnly(obj(body.properties), spec);
    const oldProps = obj(existing?.properties);
    for (const k of spec.readOnlyProperties) if (oldProps[k] !== undefined) props[k] = oldProps[k];
    const envelope: ResourceEnvelope = {
      id: existing?.id ?? p.id,
      name: p.names[p.names.length - 1] ?? lastName(p.id),
      type: spec.type,
      ...(spec.tracked ? { location: body.location } : {}),
      ...(body.tags !== undefined ? { tags: body.tags } : {}),
      ...(body.sku !== undefined ? { sku: body.sku } : existing?.sku !== undefined ? { sku: existing.sku } : {}),
      ...(body.kind !== undefined ? { kind: body.kind } : existing?.kind !== undefined ? { kind: existing.kind } : {}),
      ...(body.identity !== undefined
        ? { identity: { ...obj(existing?.identity), ...obj(body.identity) } }
        : existing?.identity !== undefined
          ? { identity: existing.identity }
          : {}),
      ...(body.etag !== undefined ? { etag: body.etag } : {}),
      properties: props,
    };
    if (spec.type.endsWith('/linkedservices')) delete envelope.etag;
    spec.normalize(envelope, ctx);
    envelope.systemData = systemData(existing, origin.caller, ctx.now);
    if (options.provisioningState) obj(envelope.properties).provisioningState = options.provisioningState;
    this.store.putResource(envelope, ctx.now);
    if (options.emit !== false) this.emit('Write', envelope.id, `${spec.type}/write`, origin);
    return { created: !existing, resource: envelope };
  }

  /** PATCH with the type's rules (merge, tags only, or none). */
  patchResource(
    p: ParsedId,
    spec: ResourceTypeSpec,
    body: Record<string, unknown>,
    origin: ChangeOrigin,
  ): ResourceEnvelope {
    const existing = this.getResource(p);
    if (spec.patch === 'none') {
      throw armError(
        405,
        'HttpMethodNotAllowed',
        `The requested method 'PATCH' is not allowed for resource type '${spec.type}'. Send the whole resource with PUT.`,
      );
    }
    if (spec.patch === 'tags') {
      const other = Object.keys(body).filter((k) => k !== 'tags' && !(k === 'properties' && isEmpty(body.properties)));
      if (other.length) {
        throw armError(
          400,
          'EmulatorUnsupported',
          `The local Azure emulator does not support a PATCH of '${other.join("', '")}' on ${spec.type}: Azure's API ` +
            'takes only tags in a PATCH (its resource provider ignores the rest). Change network settings with a PUT ' +
            'of the whole resource.',
        );
      }
    }
    const message = validateBody(spec, body, 'PATCH');
    if (message) throw E.badRequest('InvalidRequestContent', message);
    return this.mergeResource(existing, spec, body, origin);
  }

  /** Merges a change into a stored resource (PATCH semantics; also the admin API's out-of-band path). */
  mergeResource(
    existing: ResourceEnvelope,
    spec: ResourceTypeSpec,
    body: Record<string, unknown>,
    origin: ChangeOrigin,
    options: { provisioningState?: string; emit?: boolean } = {},
  ): ResourceEnvelope {
    const ctx = this.resourceContext();
    const next: ResourceEnvelope = structuredClone(existing);
    if (body.tags !== undefined) next.tags = body.tags;
    if (body.sku !== undefined) next.sku = body.sku;
    if (body.identity !== undefined) next.identity = { ...obj(existing.identity), ...obj(body.identity) };
    const props = obj(next.properties);
    for (const [k, v] of Object.entries(stripReadOnly(obj(body.properties), spec))) props[k] = v;
    next.properties = props;
    spec.normalize(next, ctx);
    next.systemData = systemData(existing, origin.caller, ctx.now);
    if (options.provisioningState) obj(next.properties).provisioningState = options.provisioningState;
    this.store.putResource(next, ctx.now);
    if (options.emit !== false) this.emit('Write', next.id, `${spec.type}/write`, origin);
    return next;
  }

  /** Sets a stored resource's provisioning state to `Succeeded` (end of an async LRO) and emits the write event. */
  completeResource(id: string, spec: ResourceTypeSpec, origin: ChangeOrigin): void {
    const r = this.store.getResource(id);
    if (!r) return;
    obj(r.properties).provisioningState = 'Succeeded';
    this.store.putResource(r, this.ctx.clock.nowIso());
    this.emit('Write', r.id, `${spec.type}/write`, origin);
  }

  deleteResource(p: ParsedId, spec: ResourceTypeSpec, origin: ChangeOrigin): boolean {
    this.requireResourceGroup(p);
    const existing = this.store.getResource(p.id);
    if (!existing) return false;
    this.store.deleteResource(existing.id);
    this.emit('Delete', existing.id, `${spec.type}/delete`, origin);
    return true;
  }

  requireParent(p: ParsedId): void {
    if (p.names.length < 2) return;
    const parentId = p.id.split('/').slice(0, -2).join('/');
    if (!this.store.getResource(parentId)) throw E.parentResourceNotFound(p.names[p.names.length - 2] ?? parentId);
  }

  // ------------------------------------------------------------------ events

  emit(kind: 'Write' | 'Delete' | 'Action', resourceUri: string, operationName: string, origin: ChangeOrigin): void {
    if (origin.silent) return;
    this.ctx.publishResourceEvent({
      kind,
      resourceUri,
      operationName,
      caller: origin.caller,
      ...(origin.evidence ? { evidence: origin.evidence } : {}),
      ...(origin.request ? { request: origin.request } : {}),
      ...(origin.method ? { method: origin.method } : {}),
    });
  }

  /** Evidence for an out-of-band change: the actor's own grant if it has one (what ARM would report). */
  evidenceFor(caller: CallerIdentity, scope: string, action: string): Evidence | undefined {
    const d = this.decide(caller, scope, action);
    return d.allowed ? d.evidence : undefined;
  }
}

// ------------------------------------------------------------------ helpers

export function assignmentId(scope: string, name: string): string {
  const s = normalizeId(scope);
  return `${s === '/' ? '' : s}/providers/${AUTH_NS}/roleAssignments/${name}`;
}

/** Role definition ids as live ARM returns them: subscription-qualified when the scope has a subscription. */
export function definitionId(guid: string, scope: string): string {
  const sub = parseId(scope)?.subscriptionId;
  return `${sub ? `/subscriptions/${sub}` : ''}/providers/${AUTH_NS}/roleDefinitions/${guid}`;
}

/** Bicep's `guid()`-style deterministic name (UUID v5) for seeded grants. */
export function deterministicGuid(...parts: string[]): string {
  const ns = Buffer.from('11fb06fb712d4ddd98c7e71bbd588830', 'hex');
  const h = createHash('sha1').update(ns).update(parts.join('-')).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function typeAndName(p: ParsedId): string {
  if (!p.resourceType) return p.id;
  const [ns, ...types] = p.resourceType.split('/');
  return [ns, ...types.flatMap((t, i) => (p.names[i] !== undefined ? [t, p.names[i]] : [t]))].join('/');
}

function unknownType(p: ParsedId, apiVersion?: string) {
  const ns = p.namespace ?? '';
  const type = p.resourceType?.split('/').slice(1).join('/') ?? '';
  const parentType = p.resourceType?.split('/').slice(0, -1).join('/') ?? '';
  if (parentType.includes('/') && resourceTypeSpec(parentType)) {
    // A child type of a resource the emulator serves (blob services, firewall rules, ...): Azure has it, we don't.
    return notImplemented(`${p.resourceType} (a child resource type of ${parentType})`);
  }
  if (isKnownNamespace(ns)) {
    return E.badRequest(
      'InvalidResourceType',
      `The resource type '${type}' could not be found in the namespace '${ns}' for api version '${apiVersion ?? ''}'.`,
    );
  }
  return armError(
    400,
    'EmulatorUnsupported',
    `The local Azure emulator does not support the resource type '${p.resourceType ?? p.id}'.`,
  );
}

function isKnownNamespace(ns: string): boolean {
  return KNOWN_NAMESPACES.has(ns.toLowerCase());
}

function stripReadOnly(props: Record<string, unknown>, spec: ResourceTypeSpec): Record<string, unknown> {
  const out = { ...props };
  for (const k of spec.readOnlyProperties) delete out[k];
  return out;
}

function validateBody(
  spec: ResourceTypeSpec,
  body: Record<string, unknown>,
  method: 'PUT' | 'PATCH',
): string | undefined {
  if (
    body.properties !== undefined &&
    (typeof body.properties !== 'object' || body.properties === null || Array.isArray(body.properties))
  ) {
    return "'properties' must be a JSON object.";
  }
  if (body.tags !== undefined) {
    const tags = body.tags;
    if (
      typeof tags !== 'object' ||
      tags === null ||
      Array.isArray(tags) ||
      Object.values(tags).some((v) => typeof v !== 'string')
    ) {
      return "'tags' must be an object of string values.";
    }
  }
  return spec.validate?.(body, method);
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0);
}

function systemData(
  existing: ResourceEnvelope | undefined,
  caller: CallerIdentity,
  now: string,
): Record<string, unknown> {
  const old = obj(existing?.systemData);
  const by = caller.upn ?? caller.appid ?? caller.oid;
  const byType = caller.principalType === 'User' ? 'User' : 'Application';
  return {
    createdBy: old.createdBy ?? by,
    createdByType: old.createdByType ?? byType,
    createdAt: old.createdAt ?? now,
    lastModifiedBy: by,
    lastModifiedByType: byType,
    lastModifiedAt: now,
  };
}

function scopeKind(p: ParsedId | undefined): string {
  switch (p?.kind) {
    case 'subscription':
      return 'subscription';
    case 'resourceGroup':
      return 'resourcegroup';
    case 'root':
      return 'root';
    default:
      return 'resource';
  }
}

/** Locations compare without case and spaces (`West Europe` = `westeurope`). */
function norm(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}
