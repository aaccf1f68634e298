/**
 * The `ResourceNetworkPort` on `@azure/arm-storage` 21 (storage accounts) and `@azure/arm-resources` 8 (everything
 * else, by id): each type is read and changed the way its API allows (emulator-api-surface §2.3, §2.4).
 */
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { StorageManagementClient } from '@azure/arm-storage';

import { ValidationError } from '../../domain/errors';
import {
  AZURE_INTEGRATION_RUNTIME,
  type NetworkChange,
  type NetworkPosture,
  type PrivateEndpointConnection,
} from '../../domain/network/network-posture';
import { parseArmResourceId } from '../../domain/primitives/arm-resource-id';
import type { ResourceNetworkPort } from '../ports/resource-network.port';
import { armErrorInfo, toWardenError } from './arm-clients';

/** How a resource type is read and written, and which network settings it has. */
interface TypeSpec {
  readonly apiVersion: string;
  /** `patch`: generic PATCH of the changed properties; `put`: PUT of the whole resource read just before. */
  readonly write: 'patch' | 'put';
  readonly publicNetworkAccess: boolean;
  /** `networkAcls` with `defaultAction` and `ipRules` (rule shape `{value}` or `{value, action}`). */
  readonly firewall: 'none' | 'networkAcls';
  readonly integrationRuntime: boolean;
}

/**
 * The resource types Warden governs, with the api-version each is called at. Online endpoints are not listed: their
 * PATCH cannot change network settings and a PUT carries traffic, which belongs to quarantineModel.
 */
export const NETWORK_TYPES: Readonly<Record<string, TypeSpec>> = {
  'microsoft.keyvault/vaults': {
    apiVersion: '2024-11-01',
    write: 'patch',
    publicNetworkAccess: true,
    firewall: 'networkAcls',
    integrationRuntime: false,
  },
  'microsoft.machinelearningservices/workspaces': {
    apiVersion: '2024-04-01',
    write: 'patch',
    publicNetworkAccess: true,
    firewall: 'none',
    integrationRuntime: false,
  },
  'microsoft.sql/servers': {
    apiVersion: '2021-11-01',
    write: 'patch',
    publicNetworkAccess: true,
    firewall: 'none',
    integrationRuntime: false,
  },
  'microsoft.databricks/workspaces': {
    apiVersion: '2026-01-01',
    write: 'put',
    publicNetworkAccess: true,
    firewall: 'none',
    integrationRuntime: false,
  },
  'microsoft.datafactory/factories/linkedservices': {
    apiVersion: '2018-06-01',
    write: 'put',
    publicNetworkAccess: false,
    firewall: 'none',
    integrationRuntime: true,
  },
};

const STORAGE = 'microsoft.storage/storageaccounts';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class AzureResourceNetwork implements ResourceNetworkPort {
  constructor(
    private readonly resources: ResourceManagementClient,
    private readonly storage: StorageManagementClient,
    private readonly options: { readonly pollIntervalMs?: number } = {},
  ) {}

  async read(resourceId: string): Promise<NetworkPosture | undefined> {
    const { type, rg, name } = parse(resourceId);
    try {
      if (type === STORAGE) {
        const a = await this.storage.storageAccounts.getProperties(rg, name);
        const pecs: PrivateEndpointConnection[] = [];
        for await (const c of this.storage.privateEndpointConnections.list(rg, name))
          pecs.push({
            name: c.name ?? '',
            privateEndpointId: c.privateEndpoint?.id ?? null,
            status: c.privateLinkServiceConnectionState?.status ?? 'Unknown',
          });
        return {
          resourceId,
          resourceType: 'Microsoft.Storage/storageAccounts',
          publicNetworkAccess: pna(a.publicNetworkAccess),
          defaultAction: a.networkRuleSet?.defaultAction === 'Deny' ? 'Deny' : 'Allow',
          ipRules: (a.networkRuleSet?.ipRules ?? []).map((r) => r.iPAddressOrRange),
          privateEndpointConnections: pecs,
          integrationRuntime: null,
          tags: { ...(a.tags ?? {}) },
        };
      }
      const spec = specOf(type, resourceId);
      const r = await this.resources.resources.getById(resourceId, spec.apiVersion);
      return fromGeneric(resourceId, r.type ?? type, obj(r.properties), r.tags ?? {}, spec);
    } catch (e) {
      if (armErrorInfo(e).status === 404) return undefined;
      throw toWardenError(e, 'read network posture', resourceId);
    }
  }

  async apply(resourceId: string, change: NetworkChange): Promise<NetworkPosture> {
    const { type, rg, name } = parse(resourceId);
    try {
      if (type === STORAGE) {
        if (change.integrationRuntime !== undefined)
          throw unsupported(resourceId, 'integrationRuntime', 'a storage account connects via no integration runtime');
        const current = await this.storage.storageAccounts.getProperties(rg, name);
        const rules = current.networkRuleSet;
        await this.storage.storageAccounts.update(rg, name, {
          ...(change.publicNetworkAccess !== undefined ? { publicNetworkAccess: change.publicNetworkAccess } : {}),
          ...(change.defaultAction !== undefined || change.ipRules !== undefined
            ? {
                networkRuleSet: {
                  bypass: rules?.bypass ?? 'AzureServices',
                  virtualNetworkRules: rules?.virtualNetworkRules ?? [],
                  resourceAccessRules: rules?.resourceAccessRules ?? [],
                  defaultAction: change.defaultAction ?? rules?.defaultAction ?? 'Deny',
                  ipRules: (change.ipRules ?? (rules?.ipRules ?? []).map((r) => r.iPAddressOrRange)).map((v) => ({
                    iPAddressOrRange: v,
                    action: 'Allow' as const,
                  })),
                },
              }
            : {}),
        });
      } else {
        const spec = specOf(type, resourceId);
        const current = await this.resources.resources.getById(resourceId, spec.apiVersion);
        const props = obj(current.properties);
        const changed: Json = {};
        if (change.publicNetworkAccess !== undefined) {
          if (!spec.publicNetworkAccess)
            throw unsupported(resourceId, 'publicNetworkAccess', 'the type has no such setting');
          changed.publicNetworkAccess = change.publicNetworkAccess;
        }
        if (change.defaultAction !== undefined || change.ipRules !== undefined) {
          if (spec.firewall !== 'networkAcls')
            throw unsupported(resourceId, 'ipRules', 'the type has no IP firewall Warden can change');
          const acls = obj(props.networkAcls);
          changed.networkAcls = {
            ...acls,
            defaultAction: change.defaultAction ?? acls.defaultAction ?? 'Deny',
            ipRules: (change.ipRules ?? arr(acls.ipRules).map((r) => str(obj(r).value) ?? '')).map((value) => ({
              value,
            })),
          };
        }
        if (change.integrationRuntime !== undefined) {
          if (!spec.integrationRuntime)
            throw unsupported(resourceId, 'integrationRuntime', 'the type has no integration runtime');
          const ir = change.integrationRuntime;
          changed.connectVia = {
            referenceName: ir === 'azure' ? AZURE_INTEGRATION_RUNTIME : ir.replace(/^self-hosted:/, ''),
            type: 'IntegrationRuntimeReference',
          };
        }
        const poll =
          this.options.pollIntervalMs !== undefined ? { updateIntervalInMs: this.options.pollIntervalMs } : {};
        if (spec.write === 'patch') {
          await this.resources.resources.updateById(resourceId, spec.apiVersion, { properties: changed }, poll);
        } else {
          // PATCH would drop everything but tags (Databricks) or does not exist (linked services): PUT it whole.
          const body = {
            ...(current.location !== undefined ? { location: current.location } : {}),
            ...(current.tags !== undefined ? { tags: current.tags } : {}),
            ...(current.sku !== undefined ? { sku: current.sku } : {}),
            ...(current.kind !== undefined ? { kind: current.kind } : {}),
            properties: { ...props, ...changed },
          };
          await this.resources.resources.createOrUpdateById(resourceId, spec.apiVersion, body, poll);
        }
      }
    } catch (e) {
      if (e instanceof ValidationError) throw e;
      throw toWardenError(e, 'change network posture', resourceId);
    }
    const after = await this.read(resourceId);
    if (!after) throw toWardenError({ statusCode: 404 }, 'change network posture', resourceId);
    return after;
  }
}

function parse(resourceId: string): { type: string; rg: string; name: string } {
  const p = parseArmResourceId(resourceId);
  if (typeof p === 'string' || !p.resourceType || !p.resourceGroup || !p.name)
    throw new ValidationError('resource id', [
      {
        path: 'resourceId',
        message: `'${resourceId}' is not a resource id${typeof p === 'string' ? `: it ${p}` : ''}`,
      },
    ]);
  return { type: p.resourceType.toLowerCase(), rg: p.resourceGroup, name: p.name };
}

function specOf(type: string, resourceId: string): TypeSpec {
  const spec = NETWORK_TYPES[type];
  if (!spec)
    throw new ValidationError('network posture', [
      {
        path: 'resourceId',
        message: `${resourceId} is a ${type}, which Warden does not govern (supported: Microsoft.Storage/storageAccounts, ${Object.keys(NETWORK_TYPES).join(', ')})`,
      },
    ]);
  return spec;
}

function unsupported(resourceId: string, field: string, why: string): ValidationError {
  return new ValidationError(`network change on ${resourceId}`, [
    { path: field, message: `cannot be changed: ${why}` },
  ]);
}

function pna(v: unknown): NetworkPosture['publicNetworkAccess'] {
  return v === 'Disabled' || v === 'SecuredByPerimeter' ? v : 'Enabled';
}

function fromGeneric(
  resourceId: string,
  type: string,
  props: Json,
  tags: Record<string, string>,
  spec: TypeSpec,
): NetworkPosture {
  const acls = obj(props.networkAcls);
  const connectVia = obj(props.connectVia);
  const irName = str(connectVia.referenceName);
  return {
    resourceId,
    resourceType: type,
    publicNetworkAccess: spec.publicNetworkAccess ? pna(props.publicNetworkAccess) : null,
    defaultAction: spec.firewall === 'networkAcls' ? (acls.defaultAction === 'Deny' ? 'Deny' : 'Allow') : null,
    ipRules: spec.firewall === 'networkAcls' ? arr(acls.ipRules).map((r) => str(obj(r).value) ?? '') : null,
    privateEndpointConnections: arr(props.privateEndpointConnections).map((raw) => {
      const c = obj(raw);
      const p = obj(c.properties);
      return {
        name: str(c.name) ?? str(c.id)?.split('/').pop() ?? '',
        privateEndpointId: str(obj(p.privateEndpoint).id) ?? null,
        status: str(obj(p.privateLinkServiceConnectionState).status) ?? 'Unknown',
      };
    }),
    integrationRuntime: spec.integrationRuntime
      ? irName === undefined || irName === AZURE_INTEGRATION_RUNTIME
        ? { kind: 'azure', name: AZURE_INTEGRATION_RUNTIME }
        : { kind: 'self-hosted', name: irName }
      : null,
    tags: { ...tags },
  };
}
