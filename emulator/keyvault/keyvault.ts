/**
 * The Key Vault secrets data plane as `@azure/keyvault-secrets` 4.12 calls it (emulator-api-surface.md §3): one
 * HTTPS origin per vault (named by the host of the vault's ARM `properties.vaultUri`), challenge-based auth, RBAC data
 * actions through the ARM module's access checker (or the vault's access policies when RBAC is off), set/get/list/
 * update/delete with soft-delete semantics, values encrypted at rest, and the Key Vault system-topic events
 * (`SecretNewVersionCreated`, `SecretNearExpiry`, `SecretExpired`, §4.3) on the emulator clock.
 */
import { randomUUID } from 'node:crypto';

import { EmulatorHttpError } from '../core/errors';
import type { CallerIdentity, EmulatorContext, EmulatorRequest, EmulatorResponse, Router } from '../core/module';
import { type ArmResource, getArmResource, hostOf, listArmResources } from '../services/arm-resources';
import { type Cipher, ValueCipher } from './cipher';
import { NEAR_EXPIRY_SECONDS, type SecretStore, type SecretVersion } from './store';

export const VAULT_TYPE = 'Microsoft.KeyVault/vaults';
export const KEY_VAULT_AUDIENCES = ['https://vault.azure.net', 'https://vault.azure.net/'] as const;
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-fA-F]{32}$/;
const MAX_VALUE_CHARS = 25 * 1024;
const MAX_TAGS = 15;

/** RBAC data actions of the secrets API (Key Vault Secrets Officer has `secrets/*`, Secrets User get + readMetadata). */
export const DATA_ACTIONS = {
  get: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  readMetadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  set: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  update: 'Microsoft.KeyVault/vaults/secrets/update/action',
  delete: 'Microsoft.KeyVault/vaults/secrets/delete',
  recover: 'Microsoft.KeyVault/vaults/secrets/recover/action',
  purge: 'Microsoft.KeyVault/vaults/secrets/purge/action',
} as const;
type DataAction = keyof typeof DATA_ACTIONS;

/** Access-policy permission each data action needs when the vault does not use RBAC. */
const POLICY_PERMISSION: Record<DataAction, string> = {
  get: 'get',
  readMetadata: 'list',
  set: 'set',
  update: 'set',
  delete: 'delete',
  recover: 'recover',
  purge: 'purge',
};

export interface VaultRef {
  resource: ArmResource;
  /** Lower-case vault name (the store's key). */
  name: string;
  /** The real host (`kv-fraud-ml.vault.azure.net`), the origin's name. */
  host: string;
}

export class KeyVaultDataPlane {
  private readonly bound = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private scanning = false;

  constructor(
    readonly ctx: EmulatorContext,
    readonly store: SecretStore,
  ) {}

  /** The state dir's data key, loaded (or created) on first use, so hand-made contexts without a state dir work. */
  static cipherFor(ctx: EmulatorContext): Cipher {
    let cipher: ValueCipher | undefined;
    const get = () => {
      if (!ctx.stateDir) throw new Error('The Key Vault module needs ctx.stateDir for its data key.');
      return (cipher ??= ValueCipher.loadOrCreate(ctx.stateDir));
    };
    return {
      encrypt: (plaintext: string, aad: string) => get().encrypt(plaintext, aad),
      decrypt: (sealed: string, aad: string) => get().decrypt(sealed, aad),
    };
  }

  // ------------------------------------------------------------------ vaults and origins

  vaults(): VaultRef[] {
    return listArmResources(this.ctx.db, VAULT_TYPE).flatMap((r) => {
      const host = hostOf(str(r.properties.vaultUri) ?? `https://${r.name}.vault.azure.net/`);
      return host ? [{ resource: r, name: r.name.toLowerCase(), host }] : [];
    });
  }

  vaultByName(name: string): VaultRef | undefined {
    return this.vaults().find((v) => v.name === name.toLowerCase());
  }

  /** Origins opened so far: host → local origin. */
  origins(): Record<string, string> {
    return Object.fromEntries(this.bound);
  }

  /** Opens an origin for every vault ARM knows that has none yet (seeded vaults, vaults created through ARM). */
  async bindVaults(): Promise<void> {
    if (!this.ctx.openOrigin) return;
    for (const v of this.vaults()) {
      if (this.bound.has(v.host)) continue;
      const { origin, router } = await this.ctx.openOrigin(v.host);
      if (this.bound.has(v.host)) continue;
      this.bound.set(v.host, origin);
      this.registerVaultRoutes(router, v.resource.id);
    }
  }

  /** Starts the periodic work: binding new vaults and the expiry scan (also whenever the clock moves). */
  start(): void {
    this.stop();
    this.unsubscribe = this.ctx.clock.onChange(() => this.scanExpiry());
    this.timer = setInterval(() => {
      void this.bindVaults().catch((e: unknown) => this.ctx.log('keyvault.bind.failed', { error: String(e) }));
      this.scanExpiry();
    }, 1000);
    this.timer.unref();
    this.scanExpiry();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  // ------------------------------------------------------------------ events

  private nowSec(): number {
    return Math.floor(this.ctx.clock.now() / 1000);
  }

  /** Publishes every due SecretNearExpiry / SecretExpired once per version. Returns how many were published. */
  scanExpiry(): number {
    if (this.scanning) return 0;
    this.scanning = true;
    try {
      let n = 0;
      const byName = new Map(this.vaults().map((v) => [v.name, v]));
      for (const due of this.store.dueEvents(this.nowSec())) {
        const vault = byName.get(due.secret.vault);
        if (vault) {
          this.publish(vault, due.kind === 'near' ? 'SecretNearExpiry' : 'SecretExpired', due.secret);
          n++;
        }
        this.store.markSent(due);
      }
      return n;
    } catch (e) {
      this.ctx.log('keyvault.scan.failed', { error: String(e) });
      return 0;
    } finally {
      this.scanning = false;
    }
  }

  publish(
    vault: VaultRef,
    type: 'SecretNewVersionCreated' | 'SecretNearExpiry' | 'SecretExpired',
    s: SecretVersion,
  ): void {
    this.ctx.publishEvent({
      id: randomUUID(),
      topic: vault.resource.id,
      subject: s.name,
      eventType: `Microsoft.KeyVault.${type}`,
      eventTime: this.ctx.clock.nowIso(),
      data: {
        Id: `https://${vault.host}/secrets/${s.name}/${s.version}`,
        VaultName: vault.resource.name,
        ObjectType: 'Secret',
        ObjectName: s.name,
        Version: s.version,
        NBF: s.attributes.nbf,
        EXP: s.attributes.exp,
      },
      dataVersion: '1',
      metadataVersion: '1',
    });
    this.ctx.log('keyvault.event.published', { vault: vault.name, secret: s.name, version: s.version, type });
  }

  // ------------------------------------------------------------------ routes

  private registerVaultRoutes(router: Router, vaultId: string): void {
    const h =
      (fn: (req: EmulatorRequest, vault: VaultRef) => EmulatorResponse) =>
      (req: EmulatorRequest): EmulatorResponse => {
        const vault = this.currentVault(vaultId);
        if (!req.header('authorization'))
          throw kvChallenge(this.ctx, 'AKV10000: Request is missing a Bearer or PoP token.');
        if (!vault) {
          throw kvError(404, 'VaultNotFound', `The vault for '${new URL(req.url).host}' no longer exists.`);
        }
        if (!req.apiVersion) throw kvError(400, 'BadParameter', 'The api-version query parameter is missing.');
        return fn(req, vault);
      };
    const raw = { rawBody: true, maxBodyBytes: 256 * 1024 };
    router.get(
      '/secrets',
      h((req, v) => this.listSecrets(req, v)),
      { operation: 'KeyVault/GetSecrets' },
    );
    router.get(
      '/secrets/{name}/versions',
      h((req, v) => this.listVersions(req, v)),
      {
        operation: 'KeyVault/GetSecretVersions',
      },
    );
    router.put(
      '/secrets/{name}',
      h((req, v) => this.setSecret(req, v)),
      { ...raw, operation: 'KeyVault/SetSecret' },
    );
    router.get(
      '/secrets/{name}',
      h((req, v) => this.getSecret(req, v, '')),
      { operation: 'KeyVault/GetSecret' },
    );
    router.get(
      '/secrets/{name}/{version}',
      h((req, v) => this.getSecret(req, v, req.params.version ?? '')),
      {
        operation: 'KeyVault/GetSecret',
      },
    );
    router.patch(
      '/secrets/{name}',
      h((req, v) => this.updateSecret(req, v, '')),
      {
        ...raw,
        operation: 'KeyVault/UpdateSecret',
      },
    );
    router.patch(
      '/secrets/{name}/{version}',
      h((req, v) => this.updateSecret(req, v, req.params.version ?? '')),
      {
        ...raw,
        operation: 'KeyVault/UpdateSecret',
      },
    );
    router.delete(
      '/secrets/{name}',
      h((req, v) => this.deleteSecret(req, v)),
      { operation: 'KeyVault/DeleteSecret' },
    );
    router.get(
      '/deletedsecrets',
      h((req, v) => this.listDeleted(req, v)),
      { operation: 'KeyVault/GetDeletedSecrets' },
    );
    router.get(
      '/deletedsecrets/{name}',
      h((req, v) => this.getDeleted(req, v)),
      {
        operation: 'KeyVault/GetDeletedSecret',
      },
    );
    router.delete(
      '/deletedsecrets/{name}',
      h((req, v) => this.purge(req, v)),
      {
        operation: 'KeyVault/PurgeDeletedSecret',
      },
    );
    router.post(
      '/deletedsecrets/{name}/recover',
      h((req, v) => this.recover(req, v)),
      {
        operation: 'KeyVault/RecoverDeletedSecret',
      },
    );
    router.add(
      ['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'HEAD'],
      '/{**rest}',
      h((req) => {
        throw kvError(
          501,
          'EmulatorNotImplemented',
          `The local Azure emulator's Key Vault implements only the secrets API; '${req.method} ${req.path}' is not emulated (keys, certificates, backup/restore).`,
        );
      }),
      { rawBody: true },
    );
  }

  private currentVault(vaultId: string): VaultRef | undefined {
    const r = getArmResource(this.ctx.db, vaultId);
    if (!r) return undefined;
    const host = hostOf(str(r.properties.vaultUri) ?? `https://${r.name}.vault.azure.net/`);
    return host ? { resource: r, name: r.name.toLowerCase(), host } : undefined;
  }

  /** Authenticates the bearer token (audience Key Vault) and authorises `action` on the secret (or the vault). */
  authorize(req: EmulatorRequest, vault: VaultRef, action: DataAction, secretName?: string): CallerIdentity {
    let caller: CallerIdentity;
    try {
      caller = this.ctx.authenticate(req, KEY_VAULT_AUDIENCES);
    } catch (e) {
      if (e instanceof EmulatorHttpError && e.status === 401) {
        const err = (e.body as { error?: { code?: string; message?: string } }).error;
        throw kvChallenge(
          this.ctx,
          `AKV10032: ${err?.code ?? 'Unauthorized'}: ${err?.message ?? 'The token is not valid.'}`,
        );
      }
      throw e;
    }
    if (caller.tid.toLowerCase() !== this.ctx.tenantId.toLowerCase()) {
      throw kvChallenge(
        this.ctx,
        `AKV10032: Invalid issuer. Expected tenant ${this.ctx.tenantId}, found ${caller.tid}.`,
      );
    }
    const scope = secretName ? `${vault.resource.id}/secrets/${secretName}` : vault.resource.id;
    const props = vault.resource.properties;
    let allowed: boolean;
    let innerCode: string;
    if (props.enableRbacAuthorization !== false) {
      allowed = this.ctx.access.check(caller, scope, DATA_ACTIONS[action], { dataAction: true }) === true;
      innerCode = 'ForbiddenByRbac';
    } else {
      const policies = Array.isArray(props.accessPolicies)
        ? (props.accessPolicies as Array<Record<string, unknown>>)
        : [];
      const need = POLICY_PERMISSION[action];
      allowed = policies.some((p) => {
        if ((str(p.objectId) ?? '').toLowerCase() !== caller.oid.toLowerCase()) return false;
        const secrets = (p.permissions as { secrets?: unknown } | undefined)?.secrets;
        return Array.isArray(secrets) && secrets.some((x) => ['all', need].includes(String(x).toLowerCase()));
      });
      innerCode = 'AccessDenied';
    }
    if (!allowed) {
      this.ctx.log('keyvault.authorization.denied', {
        oid: caller.oid,
        action: DATA_ACTIONS[action],
        vault: vault.name,
      });
      const message =
        innerCode === 'ForbiddenByRbac'
          ? `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=${caller.appid ?? ''};oid=${caller.oid};iss=${str(caller.claims.iss) ?? ''}\r\nAction: '${DATA_ACTIONS[action]}'\r\nResource: '${scope.toLowerCase()}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${vault.resource.name};location=${vault.resource.location ?? this.ctx.location}\r\n`
          : `The user, group or application 'appid=${caller.appid ?? ''};oid=${caller.oid}' does not have secrets ${POLICY_PERMISSION[action]} permission on key vault '${vault.resource.name};location=${vault.resource.location ?? this.ctx.location}'.`;
      throw kvError(403, 'Forbidden', message, innerCode);
    }
    return caller;
  }

  private secretName(req: EmulatorRequest): string {
    const name = req.params.name ?? '';
    if (!NAME.test(name)) {
      throw kvError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
    }
    return name;
  }

  private notFound(name: string, version?: string): EmulatorHttpError {
    return kvError(
      404,
      'SecretNotFound',
      version
        ? `A secret with (name/id) ${name}/${version} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`
        : `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    );
  }

  private setSecret(req: EmulatorRequest, vault: VaultRef): EmulatorResponse {
    const name = this.secretName(req);
    this.authorize(req, vault, 'set', name);
    const body = parseJson(req);
    if (typeof body.value !== 'string') throw kvError(400, 'BadParameter', "Property 'value' is required.");
    if (body.value.length > MAX_VALUE_CHARS) {
      throw kvError(400, 'BadParameter', `The secret value exceeds the maximum size of ${MAX_VALUE_CHARS} characters.`);
    }
    const contentType = optionalString(body.contentType, 'contentType');
    const tags = parseTags(body.tags);
    const attrs = parseAttributes(body.attributes);
    if (this.store.deleted(vault.name, name)) {
      throw kvError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
      );
    }
    const s = this.store.set(
      vault.name,
      name,
      {
        value: body.value,
        ...(contentType !== undefined ? { contentType } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...attrs,
      },
      this.nowSec(),
    );
    this.publish(vault, 'SecretNewVersionCreated', s);
    this.scanExpiry();
    return { status: 200, body: this.bundle(req, vault, s, true) };
  }

  private getSecret(req: EmulatorRequest, vault: VaultRef, version: string): EmulatorResponse {
    const name = this.secretName(req);
    this.authorize(req, vault, 'get', name);
    if (version && !VERSION.test(version)) throw this.notFound(name, version);
    const s = this.store.get(vault.name, name, version || undefined);
    if (!s) throw this.notFound(name, version || undefined);
    if (!s.attributes.enabled) {
      throw kvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
    }
    return { status: 200, body: this.bundle(req, vault, s, true) };
  }

  private updateSecret(req: EmulatorRequest, vault: VaultRef, version: string): EmulatorResponse {
    const name = this.secretName(req);
    this.authorize(req, vault, 'update', name);
    const body = parseJson(req);
    const contentType = optionalString(body.contentType, 'contentType');
    const tags = parseTags(body.tags);
    const attrs = parseAttributes(body.attributes);
    if (version && !VERSION.test(version)) throw this.notFound(name, version);
    const s = this.store.get(vault.name, name, version || undefined);
    if (!s) throw this.notFound(name, version || undefined);
    const next = this.store.update(
      s,
      {
        ...(contentType !== undefined ? { contentType } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...attrs,
      },
      this.nowSec(),
    );
    this.scanExpiry();
    return { status: 200, body: this.bundle(req, vault, next, false) };
  }

  private listVersions(req: EmulatorRequest, vault: VaultRef): EmulatorResponse {
    const name = this.secretName(req);
    this.authorize(req, vault, 'readMetadata', name);
    const all = this.store.versions(vault.name, name);
    if (all.length === 0) throw this.notFound(name);
    return this.page(req, all.reverse(), (s) => this.item(req, vault, s, true));
  }

  private listSecrets(req: EmulatorRequest, vault: VaultRef): EmulatorResponse {
    this.authorize(req, vault, 'readMetadata');
    return this.page(req, this.store.latestOfEach(vault.name), (s) => this.item(req, vault, s, false));
  }

  private page<T>(req: EmulatorRequest, all: T[], present: (x: T) => unknown): EmulatorResponse {
    const maxRaw = req.queryParam('maxresults');
    let max = 25;
    if (maxRaw !== undefined) {
      max = Number(maxRaw);
      if (!Number.isInteger(max) || max < 1 || max > 25) {
        throw kvError(400, 'BadParameter', `The value '${maxRaw}' of maxresults is not valid: 1 to 25.`);
      }
    }
    const skipRaw = req.queryParam('$skiptoken') ?? '0';
    const skip = Number(skipRaw);
    if (!Number.isInteger(skip) || skip < 0) throw kvError(400, 'BadParameter', 'The $skiptoken is not valid.');
    const slice = all.slice(skip, skip + max);
    let nextLink: string | null = null;
    if (skip + max < all.length) {
      const u = new URL(req.url);
      u.search = '';
      u.searchParams.set('api-version', req.apiVersion ?? '');
      u.searchParams.set('$skiptoken', String(skip + max));
      u.searchParams.set('maxresults', String(max));
      nextLink = u.toString();
    }
    return { status: 200, body: { value: slice.map(present), nextLink } };
  }

  private deleteSecret(req: EmulatorRequest, vault: VaultRef): EmulatorResponse {
    const name = this.secretName(req);
    this.authorize(req, vault, 'delete', name);
    const latest = this.store.get(vault.name, name);
    if (!latest) throw this.notFound(name);
    const props = vault.resource.properties;
    if (props.enableSoftDelete === false) {
      const body = this.bundle(req, vault, latest, false);
      this.store.purge(vault.name, name);
      this.store.softDelete(vault.name, name, this.nowSec(), 0);
      this.store.purge(vault.name, name);
      return { status: 200, body };
    }
    const retention = Number(props.softDeleteRetentionInDays ?? 90) || 90;
    this.store.softDelete(vault.name, name, this.nowSec(), retention);
    return { status: 200, body: this.deletedBundle(req, vault, name)! };
  }

  private getDeleted(req: EmulatorRequest, vault: VaultRef): EmulatorResponse {
    const name = this.secretName(req);
    this.authorize(req, vault, 'readMetadata', name);
    const body = this.deletedBundle(req, vault, name);
    if (!body) throw kvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    return { status: 200, body };
  }

  private listDeleted(req: EmulatorRequest, vault: VaultRef): EmulatorResponse {
    this.authorize(req, vault, 'readMetadata');
    const items = this.store.listDeleted(vault.name).flatMap((d) => {
      const b = this.deletedBundle(req, vault, d.name);
      if (!b) return [];
      const { id, ...rest } = b;
      return [{ ...rest, id: String(id).split('/').slice(0, -1).join('/') }];
    });
    return this.page(req, items, (x) => x);
  }

  private purge(req: EmulatorRequest, vault: VaultRef): EmulatorResponse {
    const name = this.secretName(req);
    this.authorize(req, vault, 'purge', name);
    if (!this.store.deleted(vault.name, name))
      throw kvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    this.store.purge(vault.name, name);
    return { status: 204 };
  }

  private recover(req: EmulatorRequest, vault: VaultRef): EmulatorResponse {
    const name = this.secretName(req);
    this.authorize(req, vault, 'recover', name);
    if (!this.store.recover(vault.name, name)) {
      throw kvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    }
    return { status: 200, body: this.bundle(req, vault, this.store.get(vault.name, name)!, false) };
  }

  // ------------------------------------------------------------------ presentation

  private attributes(vault: VaultRef, s: SecretVersion): Record<string, unknown> {
    const softDelete = vault.resource.properties.enableSoftDelete !== false;
    const days = Number(vault.resource.properties.softDeleteRetentionInDays ?? 90) || 90;
    return {
      enabled: s.attributes.enabled,
      ...(s.attributes.nbf !== null ? { nbf: s.attributes.nbf } : {}),
      ...(s.attributes.exp !== null ? { exp: s.attributes.exp } : {}),
      created: s.attributes.created,
      updated: s.attributes.updated,
      recoveryLevel: softDelete
        ? vault.resource.properties.enablePurgeProtection === true
          ? 'Recoverable'
          : 'Recoverable+Purgeable'
        : 'Purgeable',
      ...(softDelete ? { recoverableDays: days } : {}),
    };
  }

  /** SecretBundle: ids on the origin the caller used (the SDK derives the vault URL from them, §3.2). */
  bundle(req: EmulatorRequest, vault: VaultRef, s: SecretVersion, withValue: boolean): Record<string, unknown> {
    const origin = new URL(req.url).origin;
    return {
      ...(withValue ? { value: this.store.reveal(s) } : {}),
      id: `${origin}/secrets/${s.name}/${s.version}`,
      ...(s.contentType !== null ? { contentType: s.contentType } : {}),
      attributes: this.attributes(vault, s),
      ...(s.tags ? { tags: s.tags } : {}),
    };
  }

  private item(req: EmulatorRequest, vault: VaultRef, s: SecretVersion, withVersion: boolean): Record<string, unknown> {
    const origin = new URL(req.url).origin;
    return {
      id: withVersion ? `${origin}/secrets/${s.name}/${s.version}` : `${origin}/secrets/${s.name}`,
      attributes: this.attributes(vault, s),
      ...(s.contentType !== null ? { contentType: s.contentType } : {}),
      ...(s.tags ? { tags: s.tags } : {}),
    };
  }

  private deletedBundle(req: EmulatorRequest, vault: VaultRef, name: string): Record<string, unknown> | undefined {
    const d = this.store.deleted(vault.name, name);
    const latest = d ? this.store.latestDeleted(vault.name, name) : undefined;
    if (!d || !latest) return undefined;
    const origin = new URL(req.url).origin;
    return {
      ...this.bundle(req, vault, latest, false),
      recoveryId: `${origin}/deletedsecrets/${d.name}`,
      deletedDate: d.deletedDate,
      scheduledPurgeDate: d.scheduledPurgeDate,
    };
  }
}

// ------------------------------------------------------------------ helpers

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Key Vault's error body: `{"error":{"code","message","innererror"?:{"code"}}}`. */
export function kvError(status: number, code: string, message: string, inner?: string): EmulatorHttpError {
  return new EmulatorHttpError(status, {
    error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) },
  });
}

/**
 * 401 with the challenge the SDK's policy parses (§3.1): the authorization URL's path is exactly `/{tenantId}` (the
 * emulator's Entra origin), the resource Key Vault's real audience; no whitespace inside values.
 */
export function kvChallenge(ctx: EmulatorContext, message: string): EmulatorHttpError {
  return new EmulatorHttpError(
    401,
    { error: { code: 'Unauthorized', message } },
    { 'www-authenticate': `Bearer authorization="${ctx.baseUrl}/${ctx.tenantId}", resource="https://vault.azure.net"` },
  );
}

function parseJson(req: EmulatorRequest): Record<string, unknown> {
  if (req.rawBody.length === 0) throw kvError(400, 'BadParameter', 'The request body is required.');
  let v: unknown;
  try {
    const text = req.rawBody.toString('utf8');
    v = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw kvError(400, 'BadParameter', `The request body is not valid JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw kvError(400, 'BadParameter', 'The body must be a JSON object.');
  return v as Record<string, unknown>;
}

function optionalString(v: unknown, field: string): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'string' || v.length > 255) {
    throw kvError(400, 'BadParameter', `Property '${field}' must be a string of at most 255 characters.`);
  }
  return v;
}

function parseTags(v: unknown): Record<string, string> | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v))
    throw kvError(400, 'BadParameter', "Property 'tags' must be an object.");
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_TAGS) throw kvError(400, 'BadParameter', `At most ${MAX_TAGS} tags are allowed.`);
  for (const [k, x] of entries) {
    if (typeof x !== 'string' || k.length > 512 || x.length > 512) {
      throw kvError(400, 'BadParameter', `Tag '${k}' must have a string value of at most 512 characters.`);
    }
  }
  return v as Record<string, string>;
}

function parseAttributes(v: unknown): { enabled?: boolean; nbf?: number | null; exp?: number | null } {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw kvError(400, 'BadParameter', "Property 'attributes' must be an object.");
  }
  const a = v as Record<string, unknown>;
  const out: { enabled?: boolean; nbf?: number | null; exp?: number | null } = {};
  if (a.enabled !== undefined && a.enabled !== null) {
    if (typeof a.enabled !== 'boolean')
      throw kvError(400, 'BadParameter', "Property 'attributes.enabled' must be a boolean.");
    out.enabled = a.enabled;
  }
  for (const k of ['nbf', 'exp'] as const) {
    const x = a[k];
    if (x === undefined) continue;
    if (x === null) {
      out[k] = null;
      continue;
    }
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) {
      throw kvError(400, 'BadParameter', `Property 'attributes.${k}' must be unix seconds (an integer).`);
    }
    out[k] = x;
  }
  if (out.nbf != null && out.exp != null && out.nbf > out.exp) {
    throw kvError(400, 'BadParameter', 'The secret notBefore (nbf) is after its expiry (exp).');
  }
  return out;
}

export { NEAR_EXPIRY_SECONDS };
