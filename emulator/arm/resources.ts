/**
 * Generic resources by id (`@azure/arm-resources` 8 `getById/updateById/createOrUpdateById/deleteById`, and the typed
 * clients whose paths are the same ids, e.g. `@azure/arm-storage`), resource groups, child collections, POST
 * actions, and the long-running-operation endpoints the SDK pollers follow.
 *
 * @remarks
 * LROs: by default every PUT answers 200/201 with `provisioningState: Succeeded`, PATCH 200 with the resource and
 * DELETE 200/204, which both poller generations accept at once. Per type, the admin setting `lro` switches to the
 * asynchronous form (PUT 201/200 + `Azure-AsyncOperation`, PATCH and DELETE 202 + `Azure-AsyncOperation` +
 * `Location`); the operation then completes after `lroPolls` status polls, and the write event is emitted then.
 */
import { randomUUID } from 'node:crypto';

import { armError, notImplemented, unsupported } from '../core/errors';
import type { CallerIdentity, EmulatorRequest, EmulatorResponse } from '../core/module';
import * as E from './errors';
import { checkApiVersion, jsonObjectBody, originOf, page, requireApiVersion } from './http';
import { lastName, normalizeId, type ParsedId, parseId } from './ids';
import { resourceTypeSpec } from './providers';
import type { ResourceTypeSpec } from './providers/types';
import { obj } from './providers/types';
import type { ArmService, ChangeOrigin } from './service';
import { typeAndName } from './service';

export const RESOURCE_GROUP_API_VERSIONS = [
  '2025-04-01',
  '2024-11-01',
  '2024-07-01',
  '2024-03-01',
  '2023-07-01',
  '2022-09-01',
  '2021-04-01',
] as const;

/** Pending asynchronous operations: what to do when they complete, and who started them (in memory). */
export interface PendingOperation {
  kind: 'PUT' | 'PATCH' | 'DELETE';
  spec: ResourceTypeSpec;
  origin: ChangeOrigin;
  parsed: ParsedId;
}

export class ResourceHandlers {
  private readonly pending = new Map<string, PendingOperation>();

  constructor(private readonly service: ArmService) {}

  /** `GET /subscriptions/{sub}/resourceGroups/{rg}`. */
  resourceGroup(req: EmulatorRequest, caller: CallerIdentity, subscriptionId: string, name: string): EmulatorResponse {
    if (req.method !== 'GET') throw notImplemented(`${req.method} Microsoft.Resources/resourceGroups`);
    checkApiVersion(req, RESOURCE_GROUP_API_VERSIONS);
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
    this.service.authorize(caller, id, 'Microsoft.Resources/subscriptions/resourceGroups/read');
    if (subscriptionId.toLowerCase() !== this.service.ctx.subscriptionId.toLowerCase())
      throw E.subscriptionNotFound(subscriptionId);
    const g = this.service.store.getResourceGroup(subscriptionId, name);
    if (!g) throw E.resourceGroupNotFound(name);
    return {
      status: 200,
      body: {
        id: `/subscriptions/${g.subscriptionId}/resourceGroups/${g.name}`,
        name: g.name,
        type: 'Microsoft.Resources/resourceGroups',
        location: g.location,
        tags: g.tags,
        properties: { provisioningState: 'Succeeded' },
      },
    };
  }

  /**
   * `GET /subscriptions/{sub}/resourceGroups/{rg}/resources` (`resources.listByResourceGroup`): the tracked resources
   * of the group as ARM lists them (envelope without `properties`), optionally `$filter=resourceType eq '…'` (or an
   * `or` of those) and `$top`.
   */
  listInGroup(req: EmulatorRequest, caller: CallerIdentity, subscriptionId: string, name: string): EmulatorResponse {
    const apiVersion = checkApiVersion(req, RESOURCE_GROUP_API_VERSIONS);
    const rgId = `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
    this.service.authorize(caller, rgId, 'Microsoft.Resources/subscriptions/resourceGroups/resources/read');
    if (subscriptionId.toLowerCase() !== this.service.ctx.subscriptionId.toLowerCase())
      throw E.subscriptionNotFound(subscriptionId);
    if (!this.service.store.getResourceGroup(subscriptionId, name)) throw E.resourceGroupNotFound(name);
    const filter = req.queryParam('$filter');
    let types: Set<string> | undefined;
    if (filter !== undefined && filter.trim() !== '') {
      types = new Set();
      for (const term of filter.trim().split(/\s+or\s+/i)) {
        const m = term.trim().match(/^resourceType\s+eq\s+'([^']+)'$/i);
        if (!m?.[1])
          throw unsupported(
            `the $filter '${filter}' on resources (supported: resourceType eq '{type}', joined with 'or')`,
          );
        types.add(m[1].toLowerCase());
      }
    }
    const top = Number(req.queryParam('$top') ?? Number.POSITIVE_INFINITY);
    const prefix = `${rgId.toLowerCase()}/`;
    const items = this.service.store
      .listResources()
      .filter((r) => r.id.toLowerCase().startsWith(prefix) && typeof r.location === 'string')
      .filter((r) => !types || types.has(r.type.toLowerCase()))
      .slice(0, Number.isFinite(top) && top > 0 ? top : undefined)
      .map(({ properties: _p, systemData: _s, ...rest }) => rest);
    const size = Number(this.service.store.getSetting('pageSize') ?? 100);
    return { status: 200, body: page(req, items, Number.isInteger(size) && size > 0 ? size : 100, apiVersion) };
  }

  /** Any path below `/subscriptions/{sub}/resourceGroups/{rg}/providers/...` that is not Microsoft.Authorization. */
  resource(req: EmulatorRequest, caller: CallerIdentity): EmulatorResponse {
    const p = parseId(req.path);
    if (!p || p.kind !== 'resource' || !p.resourceType || !p.resourceGroup) {
      throw notImplemented(`${req.method} ${req.path}`);
    }
    const types = p.resourceType.split('/').length - 1;
    if (p.names.length === types) return this.item(req, caller, p);
    return this.collectionOrAction(req, caller, p);
  }

  private item(req: EmulatorRequest, caller: CallerIdentity, p: ParsedId): EmulatorResponse {
    const apiVersion = requireApiVersion(req);
    const spec = this.service.specFor(p, apiVersion);
    if (!spec.apiVersions.some((v) => v.toLowerCase() === apiVersion.toLowerCase())) {
      throw E.noRegisteredProvider(apiVersion, spec.type, spec.apiVersions, this.service.ctx.location);
    }
    const op = { GET: 'read', PUT: 'write', PATCH: 'write', DELETE: 'delete' }[req.method] as
      'read' | 'write' | 'delete' | undefined;
    if (!op) throw armError(405, 'HttpMethodNotAllowed', `The requested method '${req.method}' is not allowed.`);
    const evidence = this.service.authorize(caller, p.id, `${spec.type}/${op}`);
    if (!spec.operations.includes(op)) {
      throw notImplemented(`${req.method} ${spec.type}`, 'this resource type is seeded and readable only, so far');
    }
    const origin: ChangeOrigin = { caller, request: req, evidence };
    const asyncMode = this.lroMode(spec) === 'async';
    switch (req.method) {
      case 'GET':
        return { status: 200, body: this.service.getResource(p) };
      case 'PUT': {
        const body = jsonObjectBody(req);
        if (!asyncMode) {
          const { created, resource } = this.service.putResource(p, spec, body, origin);
          return { status: created ? 201 : 200, body: resource };
        }
        const existed = this.service.store.getResource(p.id) !== undefined;
        const { created, resource } = this.service.putResource(p, spec, body, origin, {
          provisioningState: existed ? 'Updating' : 'Creating',
          emit: false,
        });
        const headers = this.startOperation(req, p, spec, 'PUT', origin, apiVersion);
        return { status: created ? 201 : 200, headers, body: resource };
      }
      case 'PATCH': {
        const body = jsonObjectBody(req, false);
        if (!asyncMode) return { status: 200, body: this.service.patchResource(p, spec, body, origin) };
        // Validate and apply like a synchronous PATCH, without the event, then report progress asynchronously.
        const existing = this.service.getResource(p);
        this.service.patchResource(p, spec, body, { ...origin, silent: true });
        const stored = this.service.store.getResource(existing.id);
        if (stored) {
          obj(stored.properties).provisioningState = 'Updating';
          this.service.store.putResource(stored, this.service.ctx.clock.nowIso());
        }
        const headers = this.startOperation(req, p, spec, 'PATCH', origin, apiVersion);
        headers.location = `${originOf(req)}${p.id}?api-version=${apiVersion}`;
        return { status: 202, headers };
      }
      case 'DELETE': {
        if (!asyncMode) {
          return this.service.deleteResource(p, spec, origin) ? { status: 200 } : { status: 204 };
        }
        this.service.requireResourceGroup(p);
        if (!this.service.store.getResource(p.id)) return { status: 204 };
        const headers = this.startOperation(req, p, spec, 'DELETE', origin, apiVersion);
        return { status: 202, headers };
      }
      default:
        throw armError(405, 'HttpMethodNotAllowed', `The requested method '${req.method}' is not allowed.`);
    }
  }

  /** `GET {resource}/{collection}` (child lists) and `POST {resource}/{action}`. */
  private collectionOrAction(req: EmulatorRequest, caller: CallerIdentity, p: ParsedId): EmulatorResponse {
    const segments = p.resourceType!.split('/');
    const child = segments[segments.length - 1]!;
    const parentType = segments.slice(0, -1).join('/');
    const parentId = normalizeId(p.id).split('/').slice(0, -1).join('/');
    const parent = parseId(parentId)!;
    const apiVersion = requireApiVersion(req);
    const spec = resourceTypeSpec(parentType) ?? this.service.specFor(parent, apiVersion);
    if (!spec.apiVersions.some((v) => v.toLowerCase() === apiVersion.toLowerCase())) {
      throw E.noRegisteredProvider(apiVersion, spec.type, spec.apiVersions, this.service.ctx.location);
    }
    if (req.method === 'POST') {
      const action = spec.actions?.[child.toLowerCase()];
      const actionName = action?.action ?? `${spec.type}/${child}/action`;
      const evidence = this.service.authorize(caller, parent.id, actionName);
      if (!action) throw notImplemented(`POST ${actionName}`);
      const resource = this.service.getResource(parent);
      const out = action.handle({
        resource,
        request: req,
        caller,
        context: this.service.resourceContext(),
        save: (next) => this.service.store.putResource(next, this.service.ctx.clock.nowIso()),
      });
      if (action.emitsEvent && out.status < 300) {
        this.service.emit('Action', resource.id, action.action, { caller, request: req, evidence });
      }
      return out;
    }
    if (req.method !== 'GET') throw notImplemented(`${req.method} ${spec.type}/${child}`);
    const collection = spec.children?.[child.toLowerCase()];
    if (!collection) throw notImplemented(`GET ${spec.type}/${child} (list)`);
    this.service.authorize(caller, parent.id, collection.readAction);
    const resource = this.service.getResource(parent);
    return { status: 200, body: { value: collection.list(resource) } };
  }

  // ---- long-running operations

  private lroMode(spec: ResourceTypeSpec): 'sync' | 'async' {
    return this.service.store.getSetting(`lro:${spec.type.toLowerCase()}`) === 'async' ? 'async' : 'sync';
  }

  private startOperation(
    req: EmulatorRequest,
    p: ParsedId,
    spec: ResourceTypeSpec,
    kind: PendingOperation['kind'],
    origin: ChangeOrigin,
    apiVersion: string,
  ): Record<string, string> {
    const id = randomUUID();
    const polls = Number(this.service.store.getSetting('lroPolls') ?? '1');
    this.service.store.putOperation({
      id,
      resourceId: p.id,
      status: 'InProgress',
      polls: 0,
      pollsToComplete: Number.isInteger(polls) && polls >= 0 ? polls : 1,
      createdAt: this.service.ctx.clock.nowIso(),
    });
    this.pending.set(id, { kind, spec, origin, parsed: p });
    const ns = spec.type.split('/')[0]!;
    const base = `${originOf(req)}/subscriptions/${p.subscriptionId!}/providers/${ns}/locations/${this.service.ctx.location}`;
    const headers: Record<string, string> = {
      'azure-asyncoperation': `${base}/operationStatuses/${id}?api-version=${apiVersion}`,
      'retry-after': '0',
    };
    if (kind === 'DELETE') headers.location = `${base}/operationResults/${id}?api-version=${apiVersion}`;
    return headers;
  }

  /** `GET .../locations/{loc}/operationStatuses/{id}` and `.../operationResults/{id}`. */
  operation(req: EmulatorRequest, id: string, form: 'status' | 'result'): EmulatorResponse {
    const op = this.service.store.getOperation(id);
    if (!op) throw armError(404, 'NotFound', `The operation '${id}' was not found.`);
    if (op.status === 'InProgress') {
      op.polls += 1;
      if (op.polls > op.pollsToComplete) {
        op.status = 'Succeeded';
        this.complete(op.id);
      }
      this.service.store.putOperation(op);
    }
    const done = op.status !== 'InProgress';
    if (form === 'result') {
      return done
        ? { status: 204 }
        : {
            status: 202,
            headers: {
              location: `${originOf(req)}${req.path}?${new URL(req.url).searchParams.toString()}`,
              'retry-after': '0',
            },
          };
    }
    return {
      status: 200,
      body: {
        id: `${originOf(req)}${req.path}`,
        name: op.id,
        status: op.status,
        startTime: op.createdAt,
        ...(done ? { endTime: this.service.ctx.clock.nowIso(), percentComplete: 100 } : { percentComplete: 50 }),
      },
    };
  }

  private complete(id: string): void {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    const op = this.service.store.getOperation(id);
    if (!op) return;
    const p = pending?.parsed ?? parseId(op.resourceId);
    const spec = pending?.spec ?? (p?.resourceType ? resourceTypeSpec(p.resourceType) : undefined);
    if (!p || !spec) return;
    const origin = pending?.origin;
    if (pending?.kind === 'DELETE') {
      if (origin) this.service.deleteResource(p, spec, origin);
      else this.service.store.deleteResource(p.id);
      return;
    }
    if (origin) this.service.completeResource(p.id, spec, origin);
    else {
      const r = this.service.store.getResource(p.id);
      if (r) {
        obj(r.properties).provisioningState = 'Succeeded';
        this.service.store.putResource(r, this.service.ctx.clock.nowIso());
      }
    }
  }
}

/** For messages: `Microsoft.Storage/storageAccounts/st1`. */
export function describeResource(p: ParsedId): string {
  return p.resourceType ? typeAndName(p) : lastName(p.id);
}
