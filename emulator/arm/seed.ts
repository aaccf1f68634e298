/**
 * Seeds ARM's part of the demo world: built-in and custom role definitions, resource groups, resources (with their
 * network posture), standing role assignments and Warden's own grants. Seeding emits no events (it is the world as
 * it was before anyone watched); drifts, applied afterwards through the admin path, do.
 */
import type { CallerIdentity, DemoWorld } from '../core/module';
import { normalizeId, parseId } from './ids';
import { resourceTypeSpec } from './providers';
import { obj } from './providers/types';
import type { Permission } from './rbac';
import { type ArmService, definitionId, deterministicGuid } from './service';
import type { ResourceEnvelope } from './store';

export function seedArm(world: DemoWorld, service: ArmService): void {
  const ctx = service.ctx;
  const now = ctx.clock.nowIso();
  service.seedBuiltInRoles();

  for (const raw of world.customRoles ?? []) {
    const r = obj(raw);
    const name = (typeof r.id === 'string' ? r.id : '').toLowerCase();
    if (!name || typeof r.roleName !== 'string') throw new Error('world.customRoles[] needs id and roleName');
    const permissions: Permission[] = [
      {
        actions: strings(r.actions),
        notActions: strings(r.notActions),
        dataActions: strings(r.dataActions),
        notDataActions: strings(r.notDataActions),
      },
    ];
    service.store.upsertRoleDefinition({
      name,
      roleName: r.roleName,
      roleType: 'CustomRole',
      description: typeof r.description === 'string' ? r.description : '',
      assignableScopes: strings(r.assignableScopes).length
        ? strings(r.assignableScopes)
        : [`/subscriptions/${ctx.subscriptionId}`],
      permissions,
      createdOn: now,
      updatedOn: now,
    });
  }

  const azure = obj(world.azure);
  const location = world.location ?? ctx.location;
  for (const raw of Array.isArray(azure.resourceGroups) ? azure.resourceGroups : []) {
    const g = obj(raw);
    service.store.putResourceGroup({
      subscriptionId: ctx.subscriptionId,
      name: String(g.name),
      location: typeof g.location === 'string' ? g.location : location,
      tags: obj(g.tags) as Record<string, string>,
    });
  }

  const rc = service.resourceContext();
  for (const raw of Array.isArray(azure.resources) ? azure.resources : []) {
    const r = obj(raw);
    const id = normalizeId(String(r.id));
    const p = parseId(id);
    const spec = p?.resourceType ? resourceTypeSpec(p.resourceType) : undefined;
    if (!p || !spec) throw new Error(`world.azure.resources: unsupported resource '${id}'`);
    ensureParents(service, id, location);
    const envelope: ResourceEnvelope = {
      id,
      name: p.names[p.names.length - 1]!,
      type: spec.type,
      ...(spec.tracked ? { location: typeof r.location === 'string' ? r.location : location } : {}),
      ...(r.tags !== undefined ? { tags: r.tags } : {}),
      ...(r.sku !== undefined ? { sku: r.sku } : {}),
      ...(r.kind !== undefined ? { kind: r.kind } : {}),
      ...(r.identity !== undefined ? { identity: r.identity } : {}),
      properties: structuredClone(obj(r.properties)),
    };
    spec.normalize(envelope, rc);
    envelope.systemData = { createdAt: now, createdByType: 'User', lastModifiedAt: now, lastModifiedByType: 'User' };
    service.store.putResource(envelope, now);
    // Online endpoint deployments (the Azure ML feature serves them): stored as child resources.
    if (Array.isArray(r.deployments)) {
      const ws = id.split('/onlineEndpoints/')[0]!;
      for (const dRaw of r.deployments) {
        const d = obj(dRaw);
        const dep: ResourceEnvelope = {
          id: `${id}/deployments/${String(d.name)}`,
          name: String(d.name),
          type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
          location: envelope.location ?? location,
          tags: {},
          kind: 'Managed',
          sku: { name: 'Default', capacity: 1 },
          properties: {
            endpointComputeType: 'Managed',
            model: `${ws}/models/${String(d.model)}/versions/${String(d.version)}`,
            instanceType: 'Standard_DS3_v2',
            provisioningState: 'Succeeded',
          },
        };
        service.store.putResource(dep, now);
      }
    }
  }

  const seedActor: CallerIdentity = {
    oid: '00000000-0000-0000-0000-000000000000',
    tid: ctx.tenantId,
    principalType: 'ServicePrincipal',
    aud: 'https://management.azure.com',
    claims: {},
  };
  const assign = (scope: string, name: string, role: string, principalId: string, principalType?: string) => {
    const def = service.resolveRole(role);
    if (!def) throw new Error(`seed: unknown role '${role}'`);
    service.createRoleAssignment(
      {
        scope,
        name,
        roleDefinitionId: definitionId(def.name, scope),
        principalId,
        ...(principalType ? { principalType } : {}),
      },
      { caller: seedActor, silent: true },
    );
  };
  for (const raw of Array.isArray(azure.roleAssignments) ? azure.roleAssignments : []) {
    const a = obj(raw);
    assign(
      String(a.scope),
      String(a.id),
      String(a.role),
      String(a.principalId),
      typeof a.principalType === 'string' ? a.principalType : undefined,
    );
  }
  const warden = world.warden;
  for (const g of warden?.grants ?? []) {
    const def = service.resolveRole(g.role);
    if (!def) throw new Error(`seed: Warden grant names an unknown role '${g.role}'`);
    assign(
      g.scope,
      deterministicGuid(g.scope, warden!.principalId, def.name),
      g.role,
      warden!.principalId,
      'ServicePrincipal',
    );
  }
}

/** Creates implicit parents of nested seeded resources (a Data Factory for its linked services). */
function ensureParents(service: ArmService, id: string, location: string): void {
  const p = parseId(id);
  if (!p || p.names.length < 2) return;
  const parentId = id.split('/').slice(0, -2).join('/');
  if (service.store.getResource(parentId)) return;
  const pp = parseId(parentId);
  const spec = pp?.resourceType ? resourceTypeSpec(pp.resourceType) : undefined;
  if (!pp || !spec) return;
  ensureParents(service, parentId, location);
  const envelope: ResourceEnvelope = {
    id: parentId,
    name: pp.names[pp.names.length - 1]!,
    type: spec.type,
    ...(spec.tracked ? { location } : {}),
    properties: {},
  };
  spec.normalize(envelope, service.resourceContext());
  service.store.putResource(envelope, service.ctx.clock.nowIso());
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
