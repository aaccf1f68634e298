/**
 * Microsoft.DataFactory: factories (the parent, read-only here) and linked services, which have no PATCH in the
 * API: a change is a PUT of the whole linked service. `properties.connectVia` names the integration runtime
 * (`AutoResolveIntegrationRuntime` is the Azure one; anything else here is a self-hosted IR).
 */
import type { ResourceTypeSpec } from './types';
import { dflt, obj, propertiesOf } from './types';

export const AZURE_IR = 'AutoResolveIntegrationRuntime';

export const factories: ResourceTypeSpec = {
  type: 'Microsoft.DataFactory/factories',
  apiVersions: ['2018-06-01'],
  tracked: true,
  patch: 'merge',
  operations: ['read'],
  readOnlyProperties: ['provisioningState', 'createTime', 'version'],
  normalize(r, ctx) {
    dflt(r, 'tags', {});
    const p = propertiesOf(r);
    p.provisioningState = 'Succeeded';
    dflt(p, 'createTime', ctx.now);
    dflt(p, 'version', '2018-06-01');
    dflt(p, 'publicNetworkAccess', 'Enabled');
    return r;
  },
};

export const linkedServices: ResourceTypeSpec = {
  type: 'Microsoft.DataFactory/factories/linkedservices',
  apiVersions: ['2018-06-01'],
  tracked: false,
  patch: 'none',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: [],
  normalize(r, ctx) {
    delete r.location;
    delete r.tags;
    dflt(r, 'etag', ctx.newId().replace(/-/g, '').slice(0, 16));
    propertiesOf(r);
    return r;
  },
  validate(body) {
    const p = obj(body.properties);
    if (typeof p.type !== 'string' || p.type === '') return "The linked service 'properties.type' is required.";
    if (p.connectVia !== undefined) {
      const c = obj(p.connectVia);
      if (typeof c.referenceName !== 'string' || c.type !== 'IntegrationRuntimeReference') {
        return 'connectVia must be {"referenceName": "<integration runtime>", "type": "IntegrationRuntimeReference"}.';
      }
    }
    return undefined;
  },
};

export const dataFactoryTypes: readonly ResourceTypeSpec[] = [factories, linkedServices];
