/**
 * Microsoft.Databricks: workspaces. As in Azure, PATCH carries only `tags`; `publicNetworkAccess` and
 * `requiredNsgRules` change through a PUT of the whole workspace. (Azure's RP silently ignores other PATCH fields;
 * the emulator refuses them so a caller relying on them learns it at once.) Tokens are the workspace data plane's
 * (emulator/databricks), on an origin named by the host of `properties.workspaceUrl`.
 */
import type { ResourceTypeSpec } from './types';
import { dflt, normalizePrivateEndpointConnections, notOneOf, obj, propertiesOf } from './types';

export const workspaces: ResourceTypeSpec = {
  type: 'Microsoft.Databricks/workspaces',
  apiVersions: ['2026-01-01', '2025-03-01-preview', '2024-05-01', '2023-02-01'],
  tracked: true,
  patch: 'tags',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: [
    'provisioningState',
    'workspaceUrl',
    'workspaceId',
    'privateEndpointConnections',
    'createdDateTime',
  ],
  normalize(r, ctx) {
    dflt(r, 'tags', {});
    dflt(r, 'sku', { name: 'premium' });
    const p = propertiesOf(r);
    dflt(p, 'managedResourceGroupId', `/subscriptions/${ctx.subscriptionId}/resourceGroups/databricks-rg-${r.name}`);
    dflt(p, 'publicNetworkAccess', 'Enabled');
    dflt(p, 'requiredNsgRules', 'AllRules');
    dflt(
      p,
      'workspaceId',
      String(Math.abs(hash(r.id)))
        .padStart(16, '1')
        .slice(0, 16),
    );
    dflt(p, 'workspaceUrl', `adb-${String(p.workspaceId)}.15.azuredatabricks.net`);
    dflt(p, 'createdDateTime', ctx.now);
    p.privateEndpointConnections = normalizePrivateEndpointConnections(
      p.privateEndpointConnections,
      r.id,
      'Microsoft.Databricks/workspaces/privateEndpointConnections',
      'actionsRequired',
    );
    p.provisioningState = 'Succeeded';
    return r;
  },
  validate(body, method) {
    const p = obj(body.properties);
    if (method === 'PUT' && body.properties === undefined)
      return "The 'properties' of a Databricks workspace are required.";
    return (
      notOneOf(p.publicNetworkAccess, 'publicNetworkAccess', ['Enabled', 'Disabled']) ??
      notOneOf(p.requiredNsgRules, 'requiredNsgRules', ['AllRules', 'NoAzureDatabricksRules', 'NoAzureServiceRules'])
    );
  },
};

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export const databricksTypes: readonly ResourceTypeSpec[] = [workspaces];
