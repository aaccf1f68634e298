/**
 * Microsoft.MachineLearningServices: workspaces (network posture through generic resources). Model versions and
 * online endpoints are stored from the seed and readable; their writes (tags, traffic) belong to the quarantine
 * feature, which adds them here — until then writes answer 501 naming the operation.
 */
import type { ResourceTypeSpec } from './types';
import { dflt, normalizePrivateEndpointConnections, notOneOf, obj, propertiesOf } from './types';

const ML_VERSIONS = ['2025-06-01', '2024-10-01', '2024-04-01', '2023-10-01', '2023-04-01', '2022-10-01'];

export const workspaces: ResourceTypeSpec = {
  type: 'Microsoft.MachineLearningServices/workspaces',
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
      'Microsoft.MachineLearningServices/workspaces/privateEndpointConnections',
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

/** Seeded and readable; writes come with the Azure ML feature. */
export const onlineEndpoints: ResourceTypeSpec = {
  type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
  apiVersions: ML_VERSIONS,
  tracked: true,
  patch: 'merge',
  operations: ['read'],
  readOnlyProperties: ['provisioningState', 'scoringUri', 'swaggerUri'],
  normalize(r) {
    dflt(r, 'tags', {});
    dflt(r, 'kind', 'Managed');
    dflt(r, 'identity', { type: 'SystemAssigned' });
    const p = propertiesOf(r);
    dflt(p, 'authMode', 'Key');
    dflt(p, 'traffic', {});
    dflt(p, 'scoringUri', `https://${r.name}.${String(r.location)}.inference.ml.azure.com/score`);
    p.provisioningState = 'Succeeded';
    return r;
  },
};

/** Seeded and readable (a proxy resource: no top-level tags; tags live in `properties.tags`). */
export const modelVersions: ResourceTypeSpec = {
  type: 'Microsoft.MachineLearningServices/workspaces/models/versions',
  apiVersions: ML_VERSIONS,
  tracked: false,
  patch: 'none',
  operations: ['read'],
  readOnlyProperties: ['provisioningState'],
  normalize(r) {
    delete r.location;
    delete r.tags;
    const p = propertiesOf(r);
    dflt(p, 'tags', {});
    dflt(p, 'properties', {});
    dflt(p, 'isArchived', false);
    dflt(p, 'isAnonymous', false);
    return r;
  },
};

export const machineLearningTypes: readonly ResourceTypeSpec[] = [workspaces, onlineEndpoints, modelVersions];
