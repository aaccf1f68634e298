/**
 * The storage module: account keys (keys.ts; ARM's listKeys/regenerateKey use them) and the blob service's data plane
 * on one origin per account, named `<account>.blob.core.windows.net`, answering List Containers (`GET /?comp=list`)
 * with real Shared Key verification against the account's current keys — the consumer check of a rotated key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import { EmulatorHttpError } from '../core/errors';
import type { EmulatorContext, EmulatorModule, EmulatorRequest, EmulatorResponse, Router } from '../core/module';
import { registerSeedIssuer } from '../keyvault/index';
import { KeyVaultDataPlane } from '../keyvault/keyvault';
import { type ArmResource, getArmResource, hostOf, listArmResources } from '../services/arm-resources';
import { OriginBinder } from '../services/origin-binder';
import { keyStoreForContext, registerKeyStore, StorageKeyStore } from './keys';

export const ACCOUNT_TYPE = 'Microsoft.Storage/storageAccounts';

function blobHost(r: ArmResource): string | undefined {
  const endpoints = r.properties.primaryEndpoints as { blob?: unknown } | undefined;
  return typeof endpoints?.blob === 'string' ? hostOf(endpoints.blob) : hostOf(`${r.name}.blob.core.windows.net`);
}

function createdOf(account: ArmResource, ctx: EmulatorContext): string {
  const c = account.properties.creationTime;
  return typeof c === 'string' ? c : ctx.clock.nowIso();
}

function xml(status: number, body: string, extra: Record<string, string> = {}): EmulatorResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-ms-version': '2025-11-05', ...extra },
    body: `\uFEFF<?xml version="1.0" encoding="utf-8"?>${body}`,
  };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function storageError(status: number, code: string, message: string, detail?: string): EmulatorHttpError {
  const body = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${
    detail ? `<AuthenticationErrorDetail>${escapeXml(detail)}</AuthenticationErrorDetail>` : ''
  }</Error>`;
  return new EmulatorHttpError(status, body, { 'content-type': 'application/xml', 'x-ms-error-code': code });
}

/** The Shared Key string-to-sign for the Blob service (version 2009-09-19 and later; empty Content-Length for 0). */
export function sharedKeyStringToSign(req: EmulatorRequest, account: string): string {
  const h = (name: string) => req.header(name) ?? '';
  const length = h('content-length');
  const msHeaders = Object.keys(req.headers)
    .filter((k) => k.toLowerCase().startsWith('x-ms-'))
    .map((k) => k.toLowerCase())
    .sort()
    .map((k) => `${k}:${(req.header(k) ?? '').replace(/\s+/g, ' ').trim()}\n`)
    .join('');
  const url = new URL(req.url);
  const params = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) {
    const key = k.toLowerCase();
    params.set(key, [...(params.get(key) ?? []), v]);
  }
  const query = [...params.keys()]
    .sort()
    .map((k) => `\n${k}:${params.get(k)!.sort().join(',')}`)
    .join('');
  return [
    req.method,
    h('content-encoding'),
    h('content-language'),
    length === '0' ? '' : length,
    h('content-md5'),
    h('content-type'),
    h('x-ms-date') ? '' : h('date'),
    h('if-modified-since'),
    h('if-match'),
    h('if-none-match'),
    h('if-unmodified-since'),
    h('range'),
    `${msHeaders}/${account}${url.pathname}${query}`,
  ].join('\n');
}

export class BlobDataPlane {
  readonly binder: OriginBinder;

  constructor(
    readonly ctx: EmulatorContext,
    readonly keys: StorageKeyStore,
  ) {
    this.binder = new OriginBinder(ctx, ACCOUNT_TYPE, blobHost, (router, id) => this.registerRoutes(router, id));
  }

  private registerRoutes(router: Router, accountId: string): void {
    router.get('/', (req) => this.listContainers(req, accountId), { operation: 'Blob/ListContainers' });
    router.add(['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH'], '/{**rest}', (req) => {
      throw storageError(
        501,
        'NotImplemented',
        `The local Azure emulator's blob service implements only List Containers; '${req.method} ${req.path}' is not emulated.`,
      );
    });
  }

  private listContainers(req: EmulatorRequest, accountId: string): EmulatorResponse {
    const account = getArmResource(this.ctx.db, accountId);
    if (!account) throw storageError(404, 'ResourceNotFound', 'The specified resource does not exist.');
    if (req.queryParam('comp') !== 'list') {
      throw storageError(
        400,
        'InvalidQueryParameterValue',
        'Value for one of the query parameters specified in the request URI is invalid.',
      );
    }
    this.authenticate(req, account);
    const endpoint = `https://${blobHost(account) ?? ''}/`;
    const containers = Array.isArray(account.properties.containers) ? (account.properties.containers as unknown[]) : [];
    const items = containers
      .filter((c): c is string => typeof c === 'string')
      .map(
        (c) =>
          `<Container><Name>${escapeXml(c)}</Name><Properties><Last-Modified>${new Date(this.ctx.clock.now()).toUTCString()}</Last-Modified><Etag>"0x8DC0000000000000"</Etag><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><HasImmutabilityPolicy>false</HasImmutabilityPolicy><HasLegalHold>false</HasLegalHold></Properties></Container>`,
      )
      .join('');
    return xml(
      200,
      `<EnumerationResults ServiceEndpoint="${escapeXml(endpoint)}"><Containers>${items}</Containers><NextMarker /></EnumerationResults>`,
      req.header('x-ms-version') ? { 'x-ms-version': req.header('x-ms-version')! } : {},
    );
  }

  /** Verifies `Authorization: SharedKey <account>:<signature>` against the account's current keys. */
  private authenticate(req: EmulatorRequest, account: ArmResource): void {
    const auth = req.header('authorization');
    const failed = (detail: string) =>
      storageError(
        403,
        'AuthenticationFailed',
        `Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:${req.correlationId}\nTime:${new Date(this.ctx.clock.now()).toISOString()}`,
        detail,
      );
    if (!auth) {
      throw storageError(
        401,
        'NoAuthenticationInformation',
        'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.',
      );
    }
    const m = /^SharedKey ([^:\s]+):(\S+)$/.exec(auth);
    if (!m) throw failed('Only Shared Key authorization (SharedKey <account>:<signature>) is emulated.');
    if (m[1] !== account.name) throw failed(`The account '${m[1]}' does not match the account '${account.name}'.`);
    if (!req.header('x-ms-date') && !req.header('date')) throw failed('Request date header not specified.');
    if (account.properties.allowSharedKeyAccess === false) {
      throw storageError(
        403,
        'KeyBasedAuthenticationNotPermitted',
        'Key based authentication is not permitted on this storage account.',
      );
    }
    const toSign = sharedKeyStringToSign(req, account.name);
    const given = Buffer.from(m[2]!, 'base64');
    const created = createdOf(account, this.ctx);
    const ok = this.keys.keys(account.id, created).some((k) => {
      const expected = createHmac('sha256', Buffer.from(k.value, 'base64')).update(toSign, 'utf8').digest();
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!ok) {
      throw failed(
        `The MAC signature found in the HTTP request '${m[2]}' is not the same as any computed signature. Server used following string to sign: '${toSign}'.`,
      );
    }
  }
}

// ------------------------------------------------------------------ module

const planes = new WeakMap<EmulatorContext, BlobDataPlane>();

function blobPlane(ctx: EmulatorContext): BlobDataPlane {
  let p = planes.get(ctx);
  if (!p) {
    p = new BlobDataPlane(ctx, new StorageKeyStore(ctx.db, KeyVaultDataPlane.cipherFor(ctx)));
    planes.set(ctx, p);
  }
  return p;
}

/** Seeds a `storage-account-key` Key Vault secret with the account's current key (`keyName`, default key1). */
registerSeedIssuer('storage-account-key', (spec, ctx) => {
  const store = keyStoreForContext(ctx);
  if (!store) return undefined; // the storage module is not loaded in this emulator
  const name = typeof spec.account === 'string' ? spec.account : '';
  const account = listArmResources(ctx.db, ACCOUNT_TYPE).find((a) => a.name.toLowerCase() === name.toLowerCase());
  if (!account) throw new Error(`storage-account-key seed: unknown storage account '${name}'`);
  const keyName = spec.keyName === 'key2' ? 'key2' : 'key1';
  const created = createdOf(account, ctx);
  return store.keys(account.id, created).find((k) => k.keyName === keyName)!.value;
});

export function createStorageModule(): EmulatorModule {
  const started = new Set<BlobDataPlane>();
  const unregister: Array<() => void> = [];
  return {
    name: 'storage',
    migrate(db) {
      StorageKeyStore.migrate(db);
    },
    register(router, ctx) {
      const plane = blobPlane(ctx);
      unregister.push(registerKeyStore(ctx, plane.keys));
      router.get('/admin/storage/accounts', () => ({
        status: 200,
        body: {
          value: listArmResources(ctx.db, ACCOUNT_TYPE).map((a) => {
            const host = blobHost(a);
            return {
              name: a.name,
              resourceId: a.id,
              blobHost: host,
              origin: host ? (plane.binder.origins()[host] ?? null) : null,
            };
          }),
        },
      }));
    },
    async seed(_world, ctx) {
      await blobPlane(ctx).binder.bind();
    },
    async start(ctx) {
      const plane = blobPlane(ctx);
      await plane.binder.bind();
      plane.binder.start();
      started.add(plane);
    },
    close() {
      for (const p of started) p.binder.stop();
      started.clear();
      for (const u of unregister.splice(0)) u();
    },
  };
}
