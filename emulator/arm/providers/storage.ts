/**
 * Microsoft.Storage: storage accounts as `@azure/arm-storage` 21 (2026-09-01) and generic resource calls see them,
 * with their network posture, private endpoint connections and access keys (`listKeys`, `regenerateKey`, §2.4; the
 * keys live in the storage module, emulator/storage/keys.ts, which the blob data plane verifies Shared Key against).
 */
import { armError, notImplemented } from '../../core/errors';
import type { EmulatorRequest } from '../../core/module';
import { KEY_NAMES, type KeyName, keyStoreForOrigin, type StorageKeyStore } from '../../storage/keys';
import type { ResourceAction, ResourceTypeSpec } from './types';
import {
  dflt,
  normalizeNetworkAcls,
  normalizePrivateEndpointConnections,
  notOneOf,
  obj,
  propertiesOf,
  text,
} from './types';

/** Azure's paired regions for the few the demo uses (geo-redundant SKUs report the pair as secondary). */
const PAIRED_REGIONS: Record<string, string> = {
  westeurope: 'northeurope',
  northeurope: 'westeurope',
  eastus: 'westus',
  eastus2: 'centralus',
  westus: 'eastus',
  swedencentral: 'swedensouth',
};

function keyStore(request: EmulatorRequest, action: string): StorageKeyStore {
  const store = keyStoreForOrigin(new URL(request.url).origin);
  if (!store) throw notImplemented(`POST ${action}`, 'the storage module (emulator/storage) is not loaded');
  return store;
}

function keyCreationTimes(props: Record<string, unknown>): Record<string, string> {
  const k = obj(props.keyCreationTime);
  const created = text(props.creationTime);
  return { key1: text(k.key1 ?? created), key2: text(k.key2 ?? created) };
}

const listKeys: ResourceAction = {
  action: 'Microsoft.Storage/storageAccounts/listKeys/action',
  emitsEvent: true,
  handle({ resource, request }) {
    const props = obj(resource.properties);
    return {
      status: 200,
      body: {
        keys: keyStore(request, 'Microsoft.Storage/storageAccounts/listKeys/action').keys(
          resource.id,
          keyCreationTimes(props).key1!,
        ),
      },
    };
  },
};

const regenerateKey: ResourceAction = {
  action: 'Microsoft.Storage/storageAccounts/regenerateKey/action',
  emitsEvent: true,
  handle(input) {
    const { resource, request, context } = input;
    const body = obj(request.body);
    const raw = body.keyName;
    if (typeof raw !== 'string' || raw === '') {
      throw armError(400, 'InvalidRequestContent', 'The request body must name the key: {"keyName": "key1" | "key2"}.');
    }
    const keyName = raw.toLowerCase();
    if (keyName === 'kerb1' || keyName === 'kerb2') {
      throw armError(400, 'EmulatorUnsupported', 'Kerberos keys (kerb1, kerb2) are not emulated.');
    }
    if (!(KEY_NAMES as readonly string[]).includes(keyName)) {
      throw armError(
        400,
        'InvalidValuesForRequestParameters',
        `Values for request parameters are invalid: keyName '${raw}'.`,
      );
    }
    const store = keyStore(request, 'Microsoft.Storage/storageAccounts/regenerateKey/action');
    const props = obj(resource.properties);
    const times = keyCreationTimes(props);
    store.keys(resource.id, times.key1!);
    const keys = store.regenerate(resource.id, keyName as KeyName, context.now);
    input.save({ ...resource, properties: { ...props, keyCreationTime: { ...times, [keyName]: context.now } } });
    return { status: 200, body: { keys } };
  },
};

export const storageAccounts: ResourceTypeSpec = {
  type: 'Microsoft.Storage/storageAccounts',
  apiVersions: ['2026-09-01', '2025-06-01', '2025-01-01', '2024-01-01', '2023-05-01', '2023-01-01', '2022-09-01'],
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: [
    'provisioningState',
    'creationTime',
    'secondaryLocation',
    'statusOfSecondary',
    'isHnsEnabled',
    'primaryEndpoints',
    'primaryLocation',
    'statusOfPrimary',
    'privateEndpointConnections',
    'keyCreationTime',
  ],
  normalize(r, ctx) {
    dflt(r, 'kind', 'StorageV2');
    dflt(r, 'sku', { name: 'Standard_LRS', tier: 'Standard' });
    dflt(r, 'tags', {});
    const p = propertiesOf(r);
    p.provisioningState = p.provisioningState ?? 'Succeeded';
    dflt(p, 'creationTime', ctx.now);
    dflt(p, 'publicNetworkAccess', 'Enabled');
    dflt(p, 'allowSharedKeyAccess', true);
    dflt(p, 'allowBlobPublicAccess', false);
    dflt(p, 'supportsHttpsTrafficOnly', true);
    dflt(p, 'minimumTlsVersion', 'TLS1_2');
    p.networkAcls = normalizeNetworkAcls(p.networkAcls, true);
    p.privateEndpointConnections = normalizePrivateEndpointConnections(
      p.privateEndpointConnections,
      r.id,
      'Microsoft.Storage/storageAccounts/privateEndpointConnections',
      'actionRequired',
    );
    const n = r.name;
    dflt(p, 'primaryEndpoints', {
      blob: `https://${n}.blob.core.windows.net/`,
      dfs: `https://${n}.dfs.core.windows.net/`,
      file: `https://${n}.file.core.windows.net/`,
      queue: `https://${n}.queue.core.windows.net/`,
      table: `https://${n}.table.core.windows.net/`,
      web: `https://${n}.web.core.windows.net/`,
    });
    const routing = obj(p.routingPreference);
    const endpoints = obj(p.primaryEndpoints);
    const variant = (suffix: string, kinds: string[]) =>
      Object.fromEntries(kinds.map((k) => [k, `https://${n}-${suffix}.${k}.core.windows.net/`]));
    if (routing.publishInternetEndpoints === true) {
      dflt(endpoints, 'internetEndpoints', variant('internetrouting', ['blob', 'dfs', 'file', 'web']));
    }
    if (routing.publishMicrosoftEndpoints === true) {
      dflt(
        endpoints,
        'microsoftEndpoints',
        variant('microsoftrouting', ['blob', 'dfs', 'file', 'queue', 'table', 'web']),
      );
    }
    dflt(p, 'primaryLocation', r.location);
    dflt(p, 'statusOfPrimary', 'available');
    const skuName = text(obj(r.sku).name);
    if (/GRS|GZRS/i.test(skuName)) {
      dflt(p, 'secondaryLocation', PAIRED_REGIONS[text(r.location).toLowerCase()] ?? text(r.location));
      dflt(p, 'statusOfSecondary', 'available');
    }
    dflt(p, 'isHnsEnabled', false);
    const created = text(p.creationTime);
    dflt(p, 'keyCreationTime', { key1: created, key2: created });
    const enc = obj(p.encryption);
    dflt(enc, 'keySource', 'Microsoft.Storage');
    const services = obj(enc.services);
    for (const s of ['blob', 'file']) {
      const svc = obj(services[s]);
      dflt(svc, 'enabled', true);
      dflt(svc, 'keyType', 'Account');
      dflt(svc, 'lastEnabledTime', created);
      services[s] = svc;
    }
    enc.services = services;
    p.encryption = enc;
    return r;
  },
  validate(body) {
    const p = obj(body.properties);
    const pnaError = notOneOf(p.publicNetworkAccess, 'publicNetworkAccess', [
      'Enabled',
      'Disabled',
      'SecuredByPerimeter',
    ]);
    if (pnaError) return pnaError;
    const acls = p.networkAcls;
    if (acls !== undefined) {
      const a = obj(acls);
      const daError = notOneOf(a.defaultAction, 'networkAcls.defaultAction', ['Allow', 'Deny']);
      if (daError) return daError;
      if (a.ipRules !== undefined && !Array.isArray(a.ipRules)) return 'networkAcls.ipRules must be an array.';
    }
    return undefined;
  },
  actions: { listkeys: listKeys, regeneratekey: regenerateKey },
  children: {
    privateendpointconnections: {
      readAction: 'Microsoft.Storage/storageAccounts/privateEndpointConnections/read',
      list: (r) =>
        Array.isArray(obj(r.properties).privateEndpointConnections)
          ? (obj(r.properties).privateEndpointConnections as unknown[])
          : [],
    },
  },
};

export const storageTypes: readonly ResourceTypeSpec[] = [storageAccounts];
