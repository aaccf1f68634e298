/**
 * Out-of-band changes, as a person in the portal (or an attacker) would make them: through the same code path as
 * ARM requests, attributed to the admin caller (`x-emulator-caller` or the configured actor), emitting the same
 * Event Grid events. No RBAC check (the actor acts outside Warden's view); the events carry the actor's own grant as
 * evidence when it has one. Also the seed's drift handlers and the module's settings (page size, LRO mode).
 */
import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { armError } from '../core/errors';
import type {
  CallerIdentity,
  DemoDrift,
  EmulatorContext,
  EmulatorRequest,
  EmulatorResponse,
  Router,
} from '../core/module';
import { type ParsedId, parseId } from './ids';
import { AZURE_IR } from './providers/datafactory';
import type { ResourceTypeSpec } from './providers/types';
import { obj } from './providers/types';
import { type ArmService, assignmentId, type ChangeOrigin, definitionId } from './service';

const roleAssignmentBody = z.object({
  scope: z.string().min(1),
  principalId: z.string().min(1),
  role: z.string().min(1),
  principalType: z.enum(['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device']).optional(),
  name: z.string().optional(),
  description: z.string().optional(),
});
const activationBody = z.object({
  principalId: z.string().min(1),
  role: z.string().min(1),
  scope: z.string().min(1),
  durationMinutes: z.number().positive().optional(),
  justification: z.string().optional(),
});
const patchBody = z.object({
  resourceId: z.string().min(1),
  properties: z.record(z.string(), z.unknown()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
const publicAccessBody = z.object({ resourceId: z.string().min(1), value: z.enum(['Enabled', 'Disabled']).optional() });
const ipRuleBody = z.object({
  resourceId: z.string().min(1),
  value: z.string().min(1),
  action: z.literal('Allow').optional(),
});
const resourceIdBody = z.object({ resourceId: z.string().min(1) });
const pecBody = z.object({
  resourceId: z.string().min(1),
  name: z.string().min(1),
  status: z.enum(['Approved', 'Pending', 'Rejected', 'Disconnected']),
  privateEndpoint: z.string().optional(),
  description: z.string().optional(),
});
const settingsBody = z.object({
  pageSize: z.number().int().positive().nullable().optional(),
  lroPolls: z.number().int().min(0).nullable().optional(),
  /** Resource type → `sync` | `async`. */
  lro: z.record(z.string(), z.enum(['sync', 'async'])).optional(),
});

/** The admin operations, callable from HTTP routes and from drifts. */
export class ArmAdmin {
  constructor(private readonly service: ArmService) {}

  private origin(caller: CallerIdentity, scope: string, action: string, method: string): ChangeOrigin {
    const evidence = this.service.evidenceFor(caller, scope, action);
    return { caller, method, ...(evidence ? { evidence } : {}) };
  }

  addRoleAssignment(input: z.infer<typeof roleAssignmentBody>, caller: CallerIdentity) {
    const def = this.service.resolveRole(input.role);
    if (!def) throw armError(400, 'RoleDefinitionDoesNotExist', `The role '${input.role}' does not exist.`);
    const name = input.name ?? randomUUID();
    const origin = this.origin(
      caller,
      assignmentId(input.scope, name),
      'Microsoft.Authorization/roleAssignments/write',
      'PUT',
    );
    const { status, assignment } = this.service.createRoleAssignment(
      {
        scope: input.scope,
        name,
        roleDefinitionId: definitionId(def.name, input.scope),
        principalId: input.principalId,
        ...(input.principalType ? { principalType: input.principalType } : {}),
        description: input.description ?? null,
      },
      origin,
    );
    return { status, body: this.service.presentAssignment(assignment) };
  }

  removeRoleAssignment(name: string, caller: CallerIdentity) {
    const a = this.service.store.findRoleAssignmentByName(name);
    if (!a) throw armError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
    const origin = this.origin(
      caller,
      assignmentId(a.scope, a.name),
      'Microsoft.Authorization/roleAssignments/delete',
      'DELETE',
    );
    const gone = this.service.deleteRoleAssignment(a.scope, a.name, origin);
    return { status: 200, body: gone ? this.service.presentAssignment(gone) : null };
  }

  activatePim(input: z.infer<typeof activationBody>, caller: CallerIdentity) {
    const origin = this.origin(caller, input.scope, 'Microsoft.Authorization/roleAssignments/write', 'PUT');
    const { assignment } = this.service.activateRole(
      {
        principalId: input.principalId,
        role: input.role,
        scope: input.scope,
        ...(input.durationMinutes !== undefined ? { durationMinutes: input.durationMinutes } : {}),
        ...(input.justification !== undefined ? { justification: input.justification } : {}),
      },
      origin,
    );
    return {
      status: 201,
      body: {
        roleAssignment: this.service.presentAssignment(assignment),
        scheduleInstance: this.service.presentScheduleInstance(assignment),
      },
    };
  }

  /** Merges properties/tags into a resource, whatever its type's PATCH rules (the portal does a full PUT). */
  patchResource(
    input: { resourceId: string; properties?: Record<string, unknown>; tags?: Record<string, string> },
    caller: CallerIdentity,
  ) {
    const { p, spec } = this.resolve(input.resourceId);
    const existing = this.service.getResource(p);
    const origin = this.origin(caller, existing.id, `${spec.type}/write`, 'PUT');
    const body: Record<string, unknown> = {};
    if (input.properties) body.properties = input.properties;
    if (input.tags) body.tags = input.tags;
    const next = this.service.mergeResource(existing, spec, body, origin);
    return { status: 200, body: next };
  }

  setPublicNetworkAccess(resourceId: string, value: 'Enabled' | 'Disabled', caller: CallerIdentity) {
    return this.patchResource({ resourceId, properties: { publicNetworkAccess: value } }, caller);
  }

  addIpRule(resourceId: string, value: string, caller: CallerIdentity) {
    const { p, spec } = this.resolve(resourceId);
    const existing = this.service.getResource(p);
    const props = obj(existing.properties);
    if (props.networkAcls === undefined) {
      throw armError(
        400,
        'EmulatorUnsupported',
        `The local Azure emulator does not support IP rules on ${spec.type} (no networkAcls).`,
      );
    }
    const acls = { ...obj(props.networkAcls) };
    const rules = Array.isArray(acls.ipRules) ? [...(acls.ipRules as unknown[])] : [];
    const rule = spec.type === 'Microsoft.Storage/storageAccounts' ? { value, action: 'Allow' } : { value };
    if (!rules.some((r) => obj(r).value === value)) rules.push(rule);
    acls.ipRules = rules;
    return this.patchResource({ resourceId, properties: { networkAcls: acls } }, caller);
  }

  useAzureIntegrationRuntime(resourceId: string, caller: CallerIdentity) {
    const { p, spec } = this.resolve(resourceId);
    if (spec.type !== 'Microsoft.DataFactory/factories/linkedservices') {
      throw armError(400, 'InvalidResourceType', `'${resourceId}' is not a Data Factory linked service.`);
    }
    const existing = this.service.getResource(p);
    const props = {
      ...obj(existing.properties),
      connectVia: { referenceName: AZURE_IR, type: 'IntegrationRuntimeReference' },
    };
    const origin = this.origin(caller, existing.id, `${spec.type}/write`, 'PUT');
    const { resource } = this.service.putResource(p, spec, { properties: props }, origin);
    return { status: 200, body: resource };
  }

  setPrivateEndpointConnection(input: z.infer<typeof pecBody>, caller: CallerIdentity) {
    const { p } = this.resolve(input.resourceId);
    const existing = this.service.getResource(p);
    const list = Array.isArray(obj(existing.properties).privateEndpointConnections)
      ? [...(obj(existing.properties).privateEndpointConnections as Record<string, unknown>[])]
      : [];
    const i = list.findIndex((c) => String(c.name).toLowerCase() === input.name.toLowerCase());
    const current = i >= 0 ? list[i]! : { name: input.name, properties: {} };
    const props = obj(current.properties);
    const state = {
      ...obj(props.privateLinkServiceConnectionState),
      status: input.status,
      description: input.description ?? input.status,
    };
    const next = {
      ...current,
      properties: {
        ...props,
        ...(input.privateEndpoint ? { privateEndpoint: { id: input.privateEndpoint } } : {}),
        privateLinkServiceConnectionState: state,
      },
    };
    if (!obj(next.properties).privateEndpoint) {
      throw armError(
        400,
        'InvalidRequestContent',
        'privateEndpoint (the private endpoint id) is required for a new connection.',
      );
    }
    if (i >= 0) list[i] = next;
    else list.push(next);
    // privateEndpointConnections is read-only for PATCH bodies: write it through the stored envelope.
    const { spec } = this.resolve(input.resourceId);
    const origin = this.origin(caller, existing.id, `${spec.type}/write`, 'PUT');
    const stored = structuredClone(existing);
    obj(stored.properties).privateEndpointConnections = list;
    this.service.store.putResource(
      spec.normalize(stored, this.service.resourceContext()),
      this.service.ctx.clock.nowIso(),
    );
    const out = this.service.mergeResource(this.service.store.getResource(existing.id)!, spec, {}, origin);
    return { status: 200, body: out };
  }

  settings(input: z.infer<typeof settingsBody>) {
    const s = this.service.store;
    if (input.pageSize !== undefined)
      s.setSetting('pageSize', input.pageSize === null ? undefined : String(input.pageSize));
    if (input.lroPolls !== undefined)
      s.setSetting('lroPolls', input.lroPolls === null ? undefined : String(input.lroPolls));
    for (const [type, mode] of Object.entries(input.lro ?? {}))
      s.setSetting(`lro:${type.toLowerCase()}`, mode === 'async' ? 'async' : undefined);
    return { status: 200, body: this.currentSettings() };
  }

  currentSettings() {
    const s = this.service.store;
    return { pageSize: Number(s.getSetting('pageSize') ?? 100), lroPolls: Number(s.getSetting('lroPolls') ?? 1) };
  }

  private resolve(resourceId: string): { p: ParsedId; spec: ResourceTypeSpec } {
    const p = parseId(resourceId);
    if (!p || p.kind !== 'resource' || !p.resourceType) {
      throw armError(400, 'InvalidResourceId', `'${resourceId}' is not a resource id.`);
    }
    return { p, spec: this.service.specFor(p) };
  }
}

export function registerArmAdminRoutes(
  router: Router,
  ctx: EmulatorContext,
  admin: ArmAdmin,
  service: ArmService,
): void {
  const caller = (req: EmulatorRequest) => ctx.adminCaller(req, 'https://management.azure.com');
  const route =
    <S extends z.ZodType>(schema: S, fn: (body: z.infer<S>, req: EmulatorRequest) => EmulatorResponse) =>
    (req: EmulatorRequest): EmulatorResponse => {
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) {
        throw armError(
          400,
          'InvalidRequestContent',
          `Invalid admin request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
        );
      }
      return fn(parsed.data, req);
    };
  const opts = (operation: string) => ({ operation, admin: true });

  router.get(
    '/admin/arm/role-assignments',
    () => ({
      status: 200,
      body: { value: service.store.listRoleAssignments().map((a) => service.presentAssignment(a)) },
    }),
    opts('admin: list role assignments'),
  );
  router.post(
    '/admin/arm/role-assignments',
    route(roleAssignmentBody, (b, req) => admin.addRoleAssignment(b, caller(req))),
    opts('admin: add role assignment'),
  );
  router.delete(
    '/admin/arm/role-assignments/{name}',
    (req) => admin.removeRoleAssignment(req.params.name ?? '', caller(req)),
    opts('admin: remove role assignment'),
  );
  router.post(
    '/admin/arm/pim/activations',
    route(activationBody, (b, req) => admin.activatePim(b, caller(req))),
    opts('admin: activate PIM role'),
  );
  router.get(
    '/admin/arm/resources',
    (req) => {
      const type = req.queryParam('type')?.toLowerCase();
      return {
        status: 200,
        body: { value: service.store.listResources().filter((r) => !type || r.type.toLowerCase() === type) },
      };
    },
    opts('admin: list resources'),
  );
  router.post(
    '/admin/arm/resources/patch',
    route(patchBody, (b, req) => admin.patchResource(b, caller(req))),
    opts('admin: patch resource'),
  );
  router.post(
    '/admin/arm/resources/public-network-access',
    route(publicAccessBody, (b, req) => admin.setPublicNetworkAccess(b.resourceId, b.value ?? 'Enabled', caller(req))),
    opts('admin: set public network access'),
  );
  router.post(
    '/admin/arm/resources/ip-rules',
    route(ipRuleBody, (b, req) => admin.addIpRule(b.resourceId, b.value, caller(req))),
    opts('admin: add IP rule'),
  );
  router.post(
    '/admin/arm/resources/private-endpoint-connections',
    route(pecBody, (b, req) => admin.setPrivateEndpointConnection(b, caller(req))),
    opts('admin: set private endpoint connection'),
  );
  router.post(
    '/admin/arm/linked-services/azure-integration-runtime',
    route(resourceIdBody, (b, req) => admin.useAzureIntegrationRuntime(b.resourceId, caller(req))),
    opts('admin: switch linked service to the Azure IR'),
  );
  router.get(
    '/admin/arm/settings',
    () => ({ status: 200, body: admin.currentSettings() }),
    opts('admin: ARM settings'),
  );
  router.put(
    '/admin/arm/settings',
    route(settingsBody, (b) => admin.settings(b)),
    opts('admin: ARM settings'),
  );
}

/** Drift kinds from `world.drifts` this module applies (through the admin path, so the same events go out). */
export function armDrifts(
  adminFor: (ctx: EmulatorContext) => ArmAdmin,
): Record<string, (d: DemoDrift, ctx: EmulatorContext) => void> {
  const actor = (d: DemoDrift, ctx: EmulatorContext): CallerIdentity => {
    if (!d.actor) throw new Error(`drift '${d.kind}' needs an 'actor' (the object id it is attributed to)`);
    return ctx.directory.identityOf(d.actor);
  };
  const str = (d: DemoDrift, k: string): string => {
    const v = d[k];
    if (typeof v !== 'string' || v === '') throw new Error(`drift '${d.kind}' needs '${k}'`);
    return v;
  };
  return {
    roleAssignment: (d, ctx) => {
      const pt = d.principalType;
      adminFor(ctx).addRoleAssignment(
        {
          scope: str(d, 'scope'),
          principalId: str(d, 'principalId'),
          role: str(d, 'role'),
          ...(typeof d.id === 'string' ? { name: d.id } : {}),
          ...(typeof pt === 'string' ? { principalType: pt as 'User' } : {}),
          ...(typeof d.description === 'string' ? { description: d.description } : {}),
        },
        actor(d, ctx),
      );
    },
    patchResource: (d, ctx) => {
      adminFor(ctx).patchResource(
        {
          resourceId: str(d, 'resourceId'),
          ...(d.properties ? { properties: obj(d.properties) } : {}),
          ...(d.tags ? { tags: obj(d.tags) as Record<string, string> } : {}),
        },
        actor(d, ctx),
      );
    },
    activatePimRole: (d, ctx) => {
      adminFor(ctx).activatePim(
        {
          principalId: str(d, 'principalId'),
          role: str(d, 'role'),
          scope: str(d, 'scope'),
          ...(typeof d.durationMinutes === 'number' ? { durationMinutes: d.durationMinutes } : {}),
        },
        actor(d, ctx),
      );
    },
    enablePublicNetworkAccess: (d, ctx) => {
      adminFor(ctx).setPublicNetworkAccess(str(d, 'resourceId'), 'Enabled', actor(d, ctx));
    },
    addIpRule: (d, ctx) => {
      adminFor(ctx).addIpRule(str(d, 'resourceId'), str(d, 'value'), actor(d, ctx));
    },
    azureIntegrationRuntime: (d, ctx) => {
      adminFor(ctx).useAzureIntegrationRuntime(str(d, 'resourceId'), actor(d, ctx));
    },
  };
}
