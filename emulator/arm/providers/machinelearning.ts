/**
 * Microsoft.MachineLearningServices: workspaces (network posture through generic resources), model containers and
 * versions (tags in `properties.tags`), online endpoints (traffic, auth mode) and their deployments.
 *
 * @remarks
 * What needs more than one resource — traffic validated against the endpoint's deployments, the ModelRegistered /
 * ModelDeployed events, the endpoint keys, the version and deployment lists — lives in the Azure ML module
 * (`emulator/ml/`), which routes those requests before the generic handler and delegates the rest to it.
 */
import type { ResourceTypeSpec } from './types';
import { dflt, normalizePrivateEndpointConnections, notOneOf, obj, propertiesOf, text } from './types';

const ML_VERSIONS = ['2025-06-01', '2024-10-01', '2024-04-01', '2023-10-01', '2023-04-01', '2022-10-01'];

export const ML_NS = 'Microsoft.MachineLearningServices';
export const ONLINE_ENDPOINT_TYPE = `${ML_NS}/workspaces/onlineEndpoints`;
export const ONLINE_DEPLOYMENT_TYPE = `${ML_NS}/workspaces/onlineEndpoints/deployments`;
export const MODEL_CONTAINER_TYPE = `${ML_NS}/workspaces/models`;
export const MODEL_VERSION_TYPE = `${ML_NS}/workspaces/models/versions`;

export const AUTH_MODES = ['Key', 'AMLToken', 'AADToken'] as const;
export const COMPUTE_TYPES = ['Managed', 'Kubernetes', 'AzureMLCompute'] as const;

export const workspaces: ResourceTypeSpec = {
  type: `${ML_NS}/workspaces`,
  apiVersions: ML_VERSIONS,
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: [
    'provisioningState',
    'workspaceId',
    'discoveryUrl',
    'privateEndpointConnections',
    'mlFlowTrackingUri',
  ],
  normalize(r, ctx) {
    dflt(r, 'tags', {});
    dflt(r, 'sku', { name: 'Basic', tier: 'Basic' });
    dflt(r, 'identity', { type: 'SystemAssigned', principalId: ctx.newId(), tenantId: ctx.tenantId });
    dflt(r, 'kind', 'Default');
    const p = propertiesOf(r);
    dflt(p, 'friendlyName', r.name);
    dflt(p, 'workspaceId', ctx.newId());
    dflt(p, 'discoveryUrl', `https://${String(r.location)}.api.azureml.ms/discovery`);
    dflt(p, 'publicNetworkAccess', 'Enabled');
    p.privateEndpointConnections = normalizePrivateEndpointConnections(
      p.privateEndpointConnections,
      r.id,
      `${ML_NS}/workspaces/privateEndpointConnections`,
      'actionsRequired',
    );
    p.provisioningState = 'Succeeded';
    return r;
  },
  validate(body) {
    const pna = obj(body.properties).publicNetworkAccess;
    return notOneOf(pna, 'publicNetworkAccess', ['Enabled', 'Disabled']);
  },
};

/**
 * Online endpoints. PUT carries the whole endpoint (the only way to change `traffic`, §2.6); PATCH takes tags and
 * identity only (the ML module refuses anything else, as `PartialMinimalTrackedResourceWithIdentity` has nothing
 * else). Traffic against existing deployments is checked by the ML module.
 */
export const onlineEndpoints: ResourceTypeSpec = {
  type: ONLINE_ENDPOINT_TYPE,
  apiVersions: ML_VERSIONS,
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: ['provisioningState', 'scoringUri', 'swaggerUri'],
  normalize(r, ctx) {
    dflt(r, 'tags', {});
    dflt(r, 'kind', 'Managed');
    dflt(r, 'identity', { type: 'SystemAssigned' });
    const identity = obj(r.identity);
    if (identity.type === 'SystemAssigned' || identity.type === 'SystemAssigned,UserAssigned') {
      dflt(identity, 'principalId', ctx.newId());
      dflt(identity, 'tenantId', ctx.tenantId);
    }
    const p = propertiesOf(r);
    dflt(p, 'authMode', 'Key');
    dflt(p, 'traffic', {});
    dflt(p, 'publicNetworkAccess', 'Enabled');
    dflt(p, 'scoringUri', `https://${r.name}.${String(r.location)}.inference.ml.azure.com/score`);
    dflt(p, 'swaggerUri', `https://${r.name}.${String(r.location)}.inference.ml.azure.com/swagger.json`);
    p.provisioningState = 'Succeeded';
    return r;
  },
  validate(body, method) {
    const p = obj(body.properties);
    if (method === 'PUT' && p.authMode === undefined) return "'properties.authMode' is required.";
    const bad = notOneOf(p.authMode, 'properties.authMode', AUTH_MODES);
    if (bad) return bad;
    if (p.traffic !== undefined && (typeof p.traffic !== 'object' || p.traffic === null || Array.isArray(p.traffic))) {
      return "'properties.traffic' must be an object of deployment names to percentages.";
    }
    return notOneOf(p.publicNetworkAccess, 'properties.publicNetworkAccess', ['Enabled', 'Disabled']);
  },
};

/** Online deployments (`endpointComputeType` is the polymorphic discriminator: always present). */
export const onlineDeployments: ResourceTypeSpec = {
  type: ONLINE_DEPLOYMENT_TYPE,
  apiVersions: ML_VERSIONS,
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: ['provisioningState'],
  normalize(r) {
    dflt(r, 'tags', {});
    dflt(r, 'sku', { name: 'Default', capacity: 1 });
    const p = propertiesOf(r);
    dflt(p, 'endpointComputeType', 'Managed');
    dflt(r, 'kind', p.endpointComputeType === 'Kubernetes' ? 'Kubernetes' : 'Managed');
    if (p.endpointComputeType === 'Managed') dflt(p, 'instanceType', 'Standard_DS3_v2');
    p.provisioningState = 'Succeeded';
    return r;
  },
  validate(body, method) {
    const p = obj(body.properties);
    if (method === 'PUT' && p.endpointComputeType === undefined) {
      return "'properties.endpointComputeType' is required (Managed, Kubernetes or AzureMLCompute).";
    }
    return notOneOf(p.endpointComputeType, 'properties.endpointComputeType', COMPUTE_TYPES);
  },
};

/** Model containers (a proxy resource; created implicitly with a model's first version). */
export const modelContainers: ResourceTypeSpec = {
  type: MODEL_CONTAINER_TYPE,
  apiVersions: ML_VERSIONS,
  tracked: false,
  patch: 'none',
  operations: ['read', 'write'],
  readOnlyProperties: ['provisioningState', 'latestVersion', 'nextVersion'],
  normalize(r) {
    delete r.location;
    delete r.tags;
    const p = propertiesOf(r);
    dflt(p, 'tags', {});
    dflt(p, 'properties', {});
    dflt(p, 'isArchived', false);
    return r;
  },
};

/** Model versions (a proxy resource: no top-level tags; tags live in `properties.tags`). */
export const modelVersions: ResourceTypeSpec = {
  type: MODEL_VERSION_TYPE,
  apiVersions: ML_VERSIONS,
  tracked: false,
  patch: 'none',
  operations: ['read', 'write'],
  readOnlyProperties: ['provisioningState'],
  normalize(r) {
    delete r.location;
    delete r.tags;
    const p = propertiesOf(r);
    dflt(p, 'tags', {});
    dflt(p, 'properties', {});
    dflt(p, 'isArchived', false);
    dflt(p, 'isAnonymous', false);
    dflt(p, 'modelType', 'custom_model');
    dflt(p, 'flavors', null);
    dflt(p, 'jobName', null);
    dflt(p, 'modelUri', null);
    dflt(p, 'description', null);
    return r;
  },
  validate(body) {
    const p = obj(body.properties);
    for (const k of ['tags', 'properties']) {
      const v = p[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        return `'properties.${k}' must be an object of string values (got ${text(v)}).`;
      }
    }
    return undefined;
  },
};

export const machineLearningTypes: readonly ResourceTypeSpec[] = [
  workspaces,
  onlineEndpoints,
  onlineDeployments,
  modelContainers,
  modelVersions,
];
