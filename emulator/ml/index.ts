/**
 * The Azure ML module: what `@azure/arm-machinelearning` 2.1.1 (api-version 2022-10-01) and generic resource calls
 * need beyond the generic ARM resource handler — model version and deployment lists, traffic validated against the
 * endpoint's deployments, PATCH limited to tags and identity, endpoint keys (`listKeys`, `regenerateKeys`) for
 * key-auth endpoints, and the workspace system-topic events Azure ML publishes (`ModelRegistered` on a new model
 * version, `ModelDeployed` on a new deployment, `RunStatusChanged` for model-monitor runs through the admin API).
 *
 * @remarks
 * Its routes are literal ARM paths, so the router tries them before ARM's catch-all; after its own checks each
 * write is handed to the ARM module's code path (`dispatch`), which authorises it, stores it, answers it (sync or
 * async LRO) and emits `Microsoft.Resources.ResourceWriteSuccess`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { ARM_AUDIENCES, jsonObjectBody, page, requireApiVersion } from '../arm/http';
import { normalizeId, type ParsedId, parseId } from '../arm/ids';
import { resourceTypeSpec } from '../arm/providers';
import {
  ML_NS,
  MODEL_CONTAINER_TYPE,
  MODEL_VERSION_TYPE,
  modelContainers,
  ONLINE_DEPLOYMENT_TYPE,
  ONLINE_ENDPOINT_TYPE,
} from '../arm/providers/machinelearning';
import { obj, text } from '../arm/providers/types';
import { ResourceHandlers } from '../arm/resources';
import { dispatch } from '../arm/routes';
import { ArmService } from '../arm/service';
import type { ResourceEnvelope } from '../arm/store';
import { armError, EmulatorHttpError } from '../core/errors';
import type {
  CallerIdentity,
  EmulatorContext,
  EmulatorModule,
  EmulatorRequest,
  EmulatorResponse,
  EventGridEvent,
  Router,
} from '../core/module';

const WS = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}';

/** Azure ML's error body (`code` is `UserError`, the detail in `innerError`). */
export function userError(status: number, message: string, inner = 'BadArgument'): EmulatorHttpError {
  return new EmulatorHttpError(status, { error: { code: 'UserError', message, innerError: { code: inner } } });
}

interface Keys {
  primaryKey: string;
  secondaryKey: string;
}

class MlService {
  readonly arm: ArmService;
  readonly handlers: ResourceHandlers;

  constructor(readonly ctx: EmulatorContext) {
    this.arm = new ArmService(ctx);
    this.handlers = new ResourceHandlers(this.arm);
  }

  static migrate(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS ml_endpoint_keys (
      endpoint_id TEXT PRIMARY KEY COLLATE NOCASE, primary_key TEXT NOT NULL, secondary_key TEXT NOT NULL)`);
  }

  // ---- helpers

  private parsed(req: EmulatorRequest): ParsedId {
    const p = parseId(req.path);
    if (!p) throw armError(400, 'InvalidRequestUri', `The path '${req.path}' is not a resource id.`);
    return p;
  }

  private checkVersion(req: EmulatorRequest, type: string): string {
    const v = requireApiVersion(req);
    const spec = resourceTypeSpec(type);
    if (!spec) throw armError(400, 'EmulatorUnsupported', `The local Azure emulator does not support '${type}'.`);
    if (!spec.apiVersions.some((s) => s.toLowerCase() === v.toLowerCase())) {
      throw armError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location '${this.ctx.location}' and API version '${v}' for type ` +
          `'${type.split('/').slice(1).join('/')}'. The supported api-versions are '${spec.apiVersions.join(', ')}'.`,
      );
    }
    return v;
  }

  private workspaceOf(id: string): string {
    return normalizeId(id).split('/').slice(0, 9).join('/');
  }

  private children(prefix: string, type: string): ResourceEnvelope[] {
    const pre = `${normalizeId(prefix).toLowerCase()}/`;
    return this.arm.store
      .listResources()
      .filter((r) => r.type.toLowerCase() === type.toLowerCase() && r.id.toLowerCase().startsWith(pre))
      .filter((r) => !r.id.slice(pre.length).includes('/'));
  }

  // ---- model versions

  listVersions(req: EmulatorRequest): EmulatorResponse {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const apiVersion = this.checkVersion(req, MODEL_CONTAINER_TYPE);
    const containerId = normalizeId(req.path.replace(/\/versions$/i, ''));
    this.arm.authorize(caller, containerId, `${MODEL_VERSION_TYPE}/read`);
    this.arm.getResource(parseId(this.workspaceOf(containerId))!);
    for (const k of req.queryAll.keys()) {
      if (!['api-version', '$top', '$skiptoken', 'listviewtype', 'tags', '$orderby'].includes(k.toLowerCase())) {
        throw armError(400, 'EmulatorUnsupported', `The local Azure emulator does not support the '${k}' option here.`);
      }
    }
    let items = this.children(`${containerId}/versions`, MODEL_VERSION_TYPE);
    const view = req.queryParam('listViewType') ?? 'ActiveOnly';
    if (!['ActiveOnly', 'ArchivedOnly', 'All'].includes(view)) throw userError(400, `Invalid listViewType '${view}'.`);
    if (view !== 'All')
      items = items.filter((r) => Boolean(obj(r.properties).isArchived) === (view === 'ArchivedOnly'));
    const tags = req.queryParam('tags');
    if (tags) {
      for (const term of tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)) {
        const [k, v] = term.split('=', 2) as [string, string | undefined];
        items = items.filter((r) => {
          const t = obj(obj(r.properties).tags);
          return v === undefined ? k in t : t[k] === v;
        });
      }
    }
    const order = (req.queryParam('$orderBy') ?? 'createdtime desc').trim().toLowerCase();
    const created = (r: ResourceEnvelope) => text(obj(r.systemData).createdAt ?? '');
    const byVersion = (a: ResourceEnvelope, b: ResourceEnvelope) =>
      a.name.localeCompare(b.name, undefined, { numeric: true });
    const sorters: Record<string, (a: ResourceEnvelope, b: ResourceEnvelope) => number> = {
      'createdtime desc': (a, b) => created(b).localeCompare(created(a)) || byVersion(b, a),
      'createdtime asc': (a, b) => created(a).localeCompare(created(b)) || byVersion(a, b),
      'version desc': (a, b) => byVersion(b, a),
      'version asc': byVersion,
    };
    const sorter = sorters[order];
    if (!sorter) throw userError(400, `Unsupported $orderBy '${order}' (createdtime|version asc|desc).`);
    items.sort(sorter);
    const top = Number(req.queryParam('$top') ?? 100);
    if (!Number.isInteger(top) || top < 1) throw userError(400, `Invalid $top '${req.queryParam('$top')}'.`);
    return { status: 200, body: page(req, items, top, apiVersion) };
  }

  putVersion(req: EmulatorRequest): EmulatorResponse {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const p = this.parsed(req);
    this.checkVersion(req, MODEL_VERSION_TYPE);
    this.arm.authorize(caller, p.id, `${MODEL_VERSION_TYPE}/write`);
    this.arm.getResource(parseId(this.workspaceOf(p.id))!);
    const containerId = p.id.split('/').slice(0, -2).join('/');
    if (!this.arm.store.getResource(containerId)) {
      // Azure ML creates the model container with its first version.
      const envelope: ResourceEnvelope = {
        id: containerId,
        name: p.names[1]!,
        type: MODEL_CONTAINER_TYPE,
        properties: {},
      };
      modelContainers.normalize(envelope, this.arm.resourceContext());
      const now = this.ctx.clock.nowIso();
      envelope.systemData = { createdAt: now, lastModifiedAt: now };
      this.arm.store.putResource(envelope, now);
    }
    const existed = this.arm.store.getResource(p.id) !== undefined;
    const res = dispatch(this.arm, this.handlers, req);
    if (!existed && res.status < 300) {
      const v = this.arm.store.getResource(p.id);
      if (v) this.publishModelRegistered(v, p);
    }
    return res;
  }

  private publishModelRegistered(v: ResourceEnvelope, p: ParsedId): void {
    const props = obj(v.properties);
    const ws = this.workspaceOf(v.id);
    this.ctx.publishEvent({
      id: randomUUID(),
      topic: ws,
      subject: `models/${p.names[1]}:${p.names[2]}`,
      eventType: `${ML_NS}.ModelRegistered`,
      eventTime: this.ctx.clock.nowIso(),
      dataVersion: '2',
      metadataVersion: '1',
      data: {
        modelName: p.names[1],
        modelVersion: p.names[2],
        modelTags: obj(props.tags),
        modelProperties: obj(props.properties),
      },
    });
  }

  // ---- online endpoints

  putEndpoint(req: EmulatorRequest): EmulatorResponse {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const p = this.parsed(req);
    this.checkVersion(req, ONLINE_ENDPOINT_TYPE);
    this.arm.authorize(caller, p.id, `${ONLINE_ENDPOINT_TYPE}/write`);
    const body = jsonObjectBody(req);
    this.validateTraffic(p.id, obj(body.properties).traffic);
    return dispatch(this.arm, this.handlers, req);
  }

  /** Every traffic key an existing deployment, integer percentages 0–100 summing to 100 (or all 0). */
  private validateTraffic(endpointId: string, traffic: unknown): void {
    if (traffic === undefined || traffic === null) return;
    if (typeof traffic !== 'object' || Array.isArray(traffic)) {
      throw userError(400, 'Traffic must be a map of deployment names to integer percentages.');
    }
    const deployments = new Map(
      this.children(`${endpointId}/deployments`, ONLINE_DEPLOYMENT_TYPE).map((d) => [d.name.toLowerCase(), d.name]),
    );
    let sum = 0;
    for (const [name, value] of Object.entries(traffic)) {
      if (!deployments.has(name.toLowerCase())) {
        throw userError(
          400,
          `Traffic for deployment '${name}' cannot be set: the endpoint has no deployment of that name ` +
            `(deployments: ${[...deployments.values()].join(', ') || 'none'}).`,
          'DeploymentNotFound',
        );
      }
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
        throw userError(400, `Traffic for deployment '${name}' must be an integer between 0 and 100.`);
      }
      sum += value;
    }
    if (sum !== 100 && sum !== 0) {
      throw userError(400, `Traffic values must sum to 100 (or all be 0); they sum to ${sum}.`);
    }
  }

  patchEndpoint(req: EmulatorRequest): EmulatorResponse {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const p = this.parsed(req);
    this.checkVersion(req, ONLINE_ENDPOINT_TYPE);
    this.arm.authorize(caller, p.id, `${ONLINE_ENDPOINT_TYPE}/write`);
    const body = jsonObjectBody(req, false);
    const other = Object.keys(body).filter(
      (k) => !['tags', 'identity', 'kind', 'sku', 'location'].includes(k) && !(k === 'properties' && isEmpty(body[k])),
    );
    if (other.length) {
      throw userError(
        400,
        `An online endpoint PATCH takes tags and identity only (got '${other.join("', '")}'); change traffic and ` +
          'other properties with a PUT of the whole endpoint.',
      );
    }
    return dispatch(this.arm, this.handlers, req);
  }

  /** `onlineEndpoints.list` (workspace level): `name` and `tags` (`k=v`, comma-joined) filters, paging. */
  listEndpoints(req: EmulatorRequest): EmulatorResponse {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const workspaceId = normalizeId(req.path.replace(/\/onlineEndpoints$/i, ''));
    const apiVersion = this.checkVersion(req, ONLINE_ENDPOINT_TYPE);
    this.arm.authorize(caller, workspaceId, `${ONLINE_ENDPOINT_TYPE}/read`);
    this.arm.getResource(parseId(workspaceId)!);
    for (const k of req.queryAll.keys()) {
      if (!['api-version', '$skiptoken', 'name', 'tags'].includes(k.toLowerCase())) {
        throw armError(400, 'EmulatorUnsupported', `The local Azure emulator does not support the '${k}' option here.`);
      }
    }
    let items = this.children(`${workspaceId}/onlineEndpoints`, ONLINE_ENDPOINT_TYPE);
    const name = req.queryParam('name');
    if (name) items = items.filter((r) => r.name.toLowerCase() === name.toLowerCase());
    for (const term of (req.queryParam('tags') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)) {
      const [k, v] = term.split('=', 2) as [string, string | undefined];
      items = items.filter((r) => {
        const t = obj(r.tags);
        return v === undefined ? k in t : t[k] === v;
      });
    }
    items.sort((a, b) => a.name.localeCompare(b.name));
    return { status: 200, body: page(req, items, 100, apiVersion) };
  }

  listDeployments(req: EmulatorRequest): EmulatorResponse {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const endpointId = normalizeId(req.path.replace(/\/deployments$/i, ''));
    const apiVersion = this.checkVersion(req, ONLINE_ENDPOINT_TYPE);
    this.arm.authorize(caller, endpointId, `${ONLINE_DEPLOYMENT_TYPE}/read`);
    this.arm.getResource(parseId(endpointId)!);
    for (const k of req.queryAll.keys()) {
      if (!['api-version', '$top', '$skiptoken', '$orderby'].includes(k.toLowerCase())) {
        throw armError(400, 'EmulatorUnsupported', `The local Azure emulator does not support the '${k}' option here.`);
      }
    }
    const items = this.children(`${endpointId}/deployments`, ONLINE_DEPLOYMENT_TYPE).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    const top = Number(req.queryParam('$top') ?? 100);
    if (!Number.isInteger(top) || top < 1) throw userError(400, `Invalid $top '${req.queryParam('$top')}'.`);
    return { status: 200, body: page(req, items, top, apiVersion) };
  }

  putDeployment(req: EmulatorRequest): EmulatorResponse {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const p = this.parsed(req);
    this.checkVersion(req, ONLINE_DEPLOYMENT_TYPE);
    this.arm.authorize(caller, p.id, `${ONLINE_DEPLOYMENT_TYPE}/write`);
    const body = jsonObjectBody(req);
    const model = obj(body.properties).model;
    if (model !== undefined && model !== null) {
      if (typeof model !== 'string') throw userError(400, "'properties.model' must be a model version id.");
      const mp = parseId(model);
      const sameWorkspace =
        mp?.resourceType?.toLowerCase() === MODEL_VERSION_TYPE.toLowerCase() &&
        this.workspaceOf(mp.id).toLowerCase() === this.workspaceOf(p.id).toLowerCase();
      if (!sameWorkspace || !this.arm.store.getResource(mp.id)) {
        throw userError(
          400,
          `The model '${model}' is not a registered model version of this workspace.`,
          'ModelNotFound',
        );
      }
    }
    const existed = this.arm.store.getResource(p.id) !== undefined;
    const res = dispatch(this.arm, this.handlers, req);
    if (!existed && res.status < 300) {
      const d = this.arm.store.getResource(p.id);
      if (d) this.publishModelDeployed(d, p);
    }
    return res;
  }

  /** Azure ML refuses to delete a deployment that still receives traffic. */
  deleteDeployment(req: EmulatorRequest): EmulatorResponse {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const p = this.parsed(req);
    this.checkVersion(req, ONLINE_DEPLOYMENT_TYPE);
    this.arm.authorize(caller, p.id, `${ONLINE_DEPLOYMENT_TYPE}/delete`);
    const endpoint = this.arm.store.getResource(p.id.split('/').slice(0, -2).join('/'));
    const traffic = obj(obj(endpoint?.properties).traffic);
    const share = Object.entries(traffic).find(([k]) => k.toLowerCase() === p.names[2]!.toLowerCase())?.[1];
    if (typeof share === 'number' && share > 0) {
      throw userError(
        400,
        `The deployment '${p.names[2]}' receives ${share}% of the traffic of '${p.names[1]}'; move its traffic first.`,
      );
    }
    return dispatch(this.arm, this.handlers, req);
  }

  private publishModelDeployed(d: ResourceEnvelope, p: ParsedId): void {
    const endpointId = p.id.split('/').slice(0, -2).join('/');
    const endpoint = this.arm.store.getResource(endpointId);
    const props = obj(d.properties);
    const mp = typeof props.model === 'string' ? parseId(props.model) : undefined;
    const modelIds = mp && mp.names.length >= 3 ? `${mp.names[1]}:${mp.names[2]}` : '';
    this.ctx.publishEvent({
      id: randomUUID(),
      topic: this.workspaceOf(d.id),
      subject: `endpoints/${p.names[1]}`,
      eventType: `${ML_NS}.ModelDeployed`,
      eventTime: this.ctx.clock.nowIso(),
      dataVersion: '2',
      metadataVersion: '1',
      data: {
        serviceName: p.names[1],
        serviceComputeType: text(props.endpointComputeType ?? 'Managed'),
        modelIds,
        serviceTags: obj(endpoint?.tags),
        serviceProperties: { deploymentName: d.name, ...obj(props.properties) },
      },
    });
  }

  // ---- keys

  private keyEndpoint(req: EmulatorRequest, action: string): { endpoint: ResourceEnvelope; caller: CallerIdentity } {
    const caller = this.ctx.authenticate(req, ARM_AUDIENCES);
    const endpointId = normalizeId(req.path.split('/').slice(0, -1).join('/'));
    this.checkVersion(req, ONLINE_ENDPOINT_TYPE);
    this.arm.authorize(caller, endpointId, `${ONLINE_ENDPOINT_TYPE}/${action}/action`);
    const endpoint = this.arm.getResource(parseId(endpointId)!);
    const mode = String(obj(endpoint.properties).authMode);
    if (mode !== 'Key') {
      throw userError(400, `Keys exist only for endpoints with authMode 'Key'; '${endpoint.name}' uses '${mode}'.`);
    }
    return { endpoint, caller };
  }

  private keysOf(endpointId: string): Keys {
    const row = this.ctx.db
      .prepare('SELECT primary_key, secondary_key FROM ml_endpoint_keys WHERE endpoint_id = ?')
      .get(endpointId) as { primary_key: string; secondary_key: string } | undefined;
    if (row) return { primaryKey: row.primary_key, secondaryKey: row.secondary_key };
    const keys = { primaryKey: newKey(), secondaryKey: newKey() };
    this.saveKeys(endpointId, keys);
    return keys;
  }

  private saveKeys(endpointId: string, k: Keys): void {
    this.ctx.db
      .prepare(
        `INSERT INTO ml_endpoint_keys (endpoint_id, primary_key, secondary_key) VALUES (?, ?, ?)
         ON CONFLICT(endpoint_id) DO UPDATE SET primary_key = excluded.primary_key, secondary_key = excluded.secondary_key`,
      )
      .run(endpointId, k.primaryKey, k.secondaryKey);
  }

  listKeys(req: EmulatorRequest): EmulatorResponse {
    const { endpoint, caller } = this.keyEndpoint(req, 'listKeys');
    const keys = this.keysOf(endpoint.id);
    this.arm.emit('Action', endpoint.id, `${ONLINE_ENDPOINT_TYPE}/listKeys/action`, { caller, request: req });
    return { status: 200, body: keys };
  }

  regenerateKeys(req: EmulatorRequest): EmulatorResponse {
    const { endpoint, caller } = this.keyEndpoint(req, 'regenerateKeys');
    const body = jsonObjectBody(req);
    const keyType = body.keyType;
    if (keyType !== 'Primary' && keyType !== 'Secondary') {
      throw userError(400, "'keyType' is required: 'Primary' or 'Secondary'.");
    }
    if (body.keyValue !== undefined && body.keyValue !== null && typeof body.keyValue !== 'string') {
      throw userError(400, "'keyValue' must be a string.");
    }
    const keys = this.keysOf(endpoint.id);
    const value = typeof body.keyValue === 'string' && body.keyValue !== '' ? body.keyValue : newKey();
    if (keyType === 'Primary') keys.primaryKey = value;
    else keys.secondaryKey = value;
    this.saveKeys(endpoint.id, keys);
    this.arm.emit('Action', endpoint.id, `${ONLINE_ENDPOINT_TYPE}/regenerateKeys/action`, { caller, request: req });
    this.ctx.log('ml.endpoint.keys.regenerated', { endpoint: endpoint.id, keyType });
    return { status: 200 };
  }

  // ---- model-monitor runs and dataset drift (admin)

  private adminWorkspace(b: Record<string, unknown>): ResourceEnvelope {
    const workspaceId = b.workspaceId;
    if (typeof workspaceId !== 'string' || !workspaceId) {
      throw armError(400, 'BadRequest', "'workspaceId' is required.");
    }
    const wp = parseId(workspaceId);
    if (!wp || wp.resourceType?.toLowerCase() !== `${ML_NS}/workspaces`.toLowerCase()) {
      throw armError(400, 'BadRequest', `'${workspaceId}' is not an Azure ML workspace id.`);
    }
    const ws = this.arm.store.getResource(wp.id);
    if (!ws) throw armError(404, 'ResourceNotFound', `The workspace '${workspaceId}' does not exist.`);
    return ws;
  }

  datasetDrift(req: EmulatorRequest): EmulatorResponse {
    const b = obj(req.body);
    const ws = this.adminWorkspace(b);
    if (typeof b.dataDriftName !== 'string' || !b.dataDriftName) {
      throw armError(400, 'BadRequest', "'dataDriftName' is required (the dataset monitor's name).");
    }
    if (typeof b.driftCoefficient !== 'number' || b.driftCoefficient < 0 || b.driftCoefficient > 1) {
      throw armError(400, 'BadRequest', "'driftCoefficient' must be a number between 0 and 1.");
    }
    const now = this.ctx.clock.now();
    const iso = (v: unknown, fallback: number, field: string): string => {
      if (v === undefined) return new Date(fallback).toISOString();
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) {
        throw armError(400, 'BadRequest', `'${field}' must be an ISO 8601 timestamp.`);
      }
      return v;
    };
    const id = (v: unknown, field: string): string => {
      if (v === undefined) return randomUUID();
      if (typeof v !== 'string' || !v) throw armError(400, 'BadRequest', `'${field}' must be a string.`);
      return v;
    };
    const event = buildDatasetDrift(
      ws.id,
      {
        dataDriftName: b.dataDriftName,
        driftCoefficient: b.driftCoefficient,
        baseDatasetId: id(b.baseDatasetId, 'baseDatasetId'),
        targetDatasetId: id(b.targetDatasetId, 'targetDatasetId'),
        startTime: iso(b.startTime, now - 7 * 86_400_000, 'startTime'),
        endTime: iso(b.endTime, now, 'endTime'),
      },
      this.ctx.clock.nowIso(),
    );
    this.ctx.publishEvent(event);
    this.ctx.log('ml.dataset.drift', { workspace: ws.id, monitor: b.dataDriftName });
    return { status: 202, body: event };
  }

  monitorRun(req: EmulatorRequest): EmulatorResponse {
    const b = obj(req.body);
    const ws = this.adminWorkspace(b);
    if (typeof b.monitorName !== 'string' || !/^[A-Za-z0-9_.-]{1,255}$/.test(b.monitorName)) {
      throw armError(400, 'BadRequest', "'monitorName' is required (letters, digits, '_', '.', '-').");
    }
    if (typeof b.breached !== 'boolean') throw armError(400, 'BadRequest', "'breached' must be true or false.");
    const signal = b.signal === undefined ? 'data-drift-signal' : b.signal;
    if (typeof signal !== 'string' || !signal) throw armError(400, 'BadRequest', "'signal' must be a string.");
    const features = b.features === undefined ? [] : b.features;
    if (!Array.isArray(features)) throw armError(400, 'BadRequest', "'features' must be an array of violating rows.");
    const event = buildRunStatusChanged(ws.id, b.monitorName, b.breached, signal, features, this.ctx.clock.nowIso());
    this.ctx.publishEvent(event);
    this.ctx.log('ml.monitor.run', { workspace: ws.id, monitor: b.monitorName, breached: b.breached });
    return { status: 202, body: event };
  }
}

/**
 * The legacy `DatasetDriftDetected` event (dataset monitors of Azure ML v1), its data in camelCase like the other ML
 * events (the SDK's system-event model; the docs example is PascalCase).
 */
export function buildDatasetDrift(
  workspaceId: string,
  input: {
    dataDriftName: string;
    driftCoefficient: number;
    baseDatasetId: string;
    targetDatasetId: string;
    startTime: string;
    endTime: string;
  },
  nowIso: string,
): EventGridEvent {
  const dataDriftId = randomUUID();
  const runId = `${dataDriftId}_${Date.parse(nowIso)}`;
  return {
    id: randomUUID(),
    topic: workspaceId,
    subject: `datadrift/${dataDriftId}/run/${runId}`,
    eventType: `${ML_NS}.DatasetDriftDetected`,
    eventTime: nowIso,
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      dataDriftId,
      dataDriftName: input.dataDriftName,
      runId,
      baseDatasetId: input.baseDatasetId,
      targetDatasetId: input.targetDatasetId,
      driftCoefficient: input.driftCoefficient,
      startTime: input.startTime,
      endTime: input.endTime,
    },
  };
}

/** The `RunStatusChanged` event of one model-monitor run (§4.3). */
export function buildRunStatusChanged(
  workspaceId: string,
  monitorName: string,
  breached: boolean,
  signal: string,
  features: unknown[],
  nowIso: string,
): EventGridEvent {
  const experimentId = randomUUID();
  const runId = `${monitorName.replace(/[^A-Za-z0-9_]/g, '_')}_${Date.parse(nowIso)}_${randomBytes(4).toString('hex')}`;
  return {
    id: randomUUID(),
    topic: workspaceId,
    subject: `experiments/${experimentId}/runs/${runId}`,
    eventType: `${ML_NS}.RunStatusChanged`,
    eventTime: nowIso,
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      experimentId,
      experimentName: monitorName,
      runId,
      runType: null,
      runTags: breached
        ? {
            azureml_modelmonitor_threshold_breached:
              `The signal '${signal}' has failed due to one or more features violating metric thresholds.\n` +
              `The feature names and their corresponding computed metric values violating the threshold are \n` +
              `${JSON.stringify(features)}\n`,
          }
        : {},
      runProperties: {},
      runStatus: breached ? 'Failed' : 'Completed',
    },
  };
}

function newKey(): string {
  return randomBytes(24).toString('base64url');
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0);
}

const services = new WeakMap<EmulatorContext, MlService>();

function serviceFor(ctx: EmulatorContext): MlService {
  let s = services.get(ctx);
  if (!s) {
    s = new MlService(ctx);
    services.set(ctx, s);
  }
  return s;
}

function registerMlRoutes(router: Router, ml: MlService): void {
  router.get(`${WS}/models/{model}/versions`, (r) => ml.listVersions(r), { operation: `${MODEL_VERSION_TYPE}/read` });
  router.put(`${WS}/models/{model}/versions/{version}`, (r) => ml.putVersion(r), {
    operation: `${MODEL_VERSION_TYPE}/write`,
  });
  router.get(`${WS}/onlineEndpoints`, (r) => ml.listEndpoints(r), { operation: `${ONLINE_ENDPOINT_TYPE}/read` });
  router.put(`${WS}/onlineEndpoints/{ep}`, (r) => ml.putEndpoint(r), { operation: `${ONLINE_ENDPOINT_TYPE}/write` });
  router.patch(`${WS}/onlineEndpoints/{ep}`, (r) => ml.patchEndpoint(r), {
    operation: `${ONLINE_ENDPOINT_TYPE}/write`,
  });
  router.get(`${WS}/onlineEndpoints/{ep}/deployments`, (r) => ml.listDeployments(r), {
    operation: `${ONLINE_DEPLOYMENT_TYPE}/read`,
  });
  router.put(`${WS}/onlineEndpoints/{ep}/deployments/{d}`, (r) => ml.putDeployment(r), {
    operation: `${ONLINE_DEPLOYMENT_TYPE}/write`,
  });
  router.delete(`${WS}/onlineEndpoints/{ep}/deployments/{d}`, (r) => ml.deleteDeployment(r), {
    operation: `${ONLINE_DEPLOYMENT_TYPE}/delete`,
  });
  router.post(`${WS}/onlineEndpoints/{ep}/listKeys`, (r) => ml.listKeys(r), {
    operation: `${ONLINE_ENDPOINT_TYPE}/listKeys/action`,
  });
  router.post(`${WS}/onlineEndpoints/{ep}/regenerateKeys`, (r) => ml.regenerateKeys(r), {
    operation: `${ONLINE_ENDPOINT_TYPE}/regenerateKeys/action`,
  });
  router.post('/admin/ml/monitor-runs', (r) => ml.monitorRun(r));
  router.post('/admin/ml/dataset-drift', (r) => ml.datasetDrift(r));
}

export const mlModule: EmulatorModule = {
  name: 'ml',
  migrate(db) {
    MlService.migrate(db);
  },
  register(router, ctx) {
    registerMlRoutes(router, serviceFor(ctx));
  },
};
