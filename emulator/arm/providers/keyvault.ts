/**
 * Microsoft.KeyVault: vaults (control plane) with their network posture. The secrets data plane (emulator/keyvault)
 * serves each vault on an origin of its own named by the host of `properties.vaultUri`, and reads
 * `enableRbacAuthorization`, `accessPolicies`, `enableSoftDelete` and `softDeleteRetentionInDays` from here.
 */
import type { ResourceTypeSpec } from './types';
import { dflt, normalizeNetworkAcls, normalizePrivateEndpointConnections, notOneOf, obj, propertiesOf } from './types';

export const vaults: ResourceTypeSpec = {
  type: 'Microsoft.KeyVault/vaults',
  apiVersions: ['2026-02-01', '2024-11-01', '2024-04-01-preview', '2023-07-01', '2023-02-01', '2022-07-01'],
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: ['provisioningState', 'privateEndpointConnections', 'hsmPoolResourceId'],
  normalize(r, ctx) {
    dflt(r, 'tags', {});
    const p = propertiesOf(r);
    dflt(p, 'tenantId', ctx.tenantId);
    dflt(p, 'sku', { family: 'A', name: 'standard' });
    dflt(p, 'accessPolicies', []);
    dflt(p, 'vaultUri', `https://${r.name}.vault.azure.net/`);
    dflt(p, 'enabledForDeployment', false);
    dflt(p, 'enableRbacAuthorization', true);
    dflt(p, 'enableSoftDelete', true);
    dflt(p, 'softDeleteRetentionInDays', 90);
    dflt(p, 'publicNetworkAccess', 'Enabled');
    p.networkAcls = normalizeNetworkAcls(p.networkAcls);
    p.privateEndpointConnections = normalizePrivateEndpointConnections(
      p.privateEndpointConnections,
      r.id,
      'Microsoft.KeyVault/vaults/privateEndpointConnections',
      'actionsRequired',
    );
    p.provisioningState = 'Succeeded';
    return r;
  },
  validate(body) {
    const p = obj(body.properties);
    const pna = p.publicNetworkAccess;
    return notOneOf(pna, 'publicNetworkAccess', ['Enabled', 'Disabled']);
  },
};

export const keyVaultTypes: readonly ResourceTypeSpec[] = [vaults];
