/** Microsoft.Sql: logical servers and their network posture (`publicNetworkAccess`, TLS, outbound restriction). */
import type { ResourceTypeSpec } from './types';
import { dflt, normalizePrivateEndpointConnections, notOneOf, obj, propertiesOf } from './types';

export const servers: ResourceTypeSpec = {
  type: 'Microsoft.Sql/servers',
  apiVersions: ['2023-08-01', '2022-08-01-preview', '2021-11-01'],
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: ['state', 'fullyQualifiedDomainName', 'privateEndpointConnections', 'provisioningState'],
  normalize(r) {
    dflt(r, 'tags', {});
    dflt(r, 'kind', 'v12.0');
    const p = propertiesOf(r);
    dflt(p, 'version', '12.0');
    dflt(p, 'state', 'Ready');
    dflt(p, 'fullyQualifiedDomainName', `${r.name}.database.windows.net`);
    dflt(p, 'publicNetworkAccess', 'Enabled');
    dflt(p, 'minimalTlsVersion', '1.2');
    dflt(p, 'restrictOutboundNetworkAccess', 'Disabled');
    p.privateEndpointConnections = normalizePrivateEndpointConnections(
      p.privateEndpointConnections,
      r.id,
      'Microsoft.Sql/servers/privateEndpointConnections',
      'actionsRequired',
      'Ready',
    );
    return r;
  },
  validate(body) {
    const pna = obj(body.properties).publicNetworkAccess;
    return notOneOf(pna, 'publicNetworkAccess', ['Enabled', 'Disabled', 'SecuredByPerimeter']);
  },
};

export const sqlTypes: readonly ResourceTypeSpec[] = [servers];
