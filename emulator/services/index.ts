/**
 * Generic services a pipeline platform has besides Azure, emulated so rotations can be tested end to end:
 *
 * - **credential issuers** (origin named e.g. `creds.pipelines.contoso.example`): an API that issues and revokes
 *   bearer credentials for callers with an Entra token for its app registration (`api://credential-issuer`), and
 *   verifies them — the `http` rotator's issuer and its `http-endpoint` consumer check;
 * - **vault-reader apps** (origin `<app>.apps.contoso.example`): a service that reads its password from Key Vault
 *   (the latest enabled version of one secret) and reports on `GET /healthz` whether it accepts it — the `random`
 *   rotator's consumer; `POST /admin/consumers/{app}/mode` makes it reject new versions.
 *
 * Both are seeded from `azure.services` of the world and can be added through the admin API.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { armError, EmulatorHttpError } from '../core/errors';
import type {
  CallerIdentity,
  DemoWorld,
  EmulatorContext,
  EmulatorModule,
  EmulatorRequest,
  Router,
} from '../core/module';
import { DirectoryStore } from '../entra/directory';
import { keyVaultPlane, registerSeedIssuer } from '../keyvault/index';

export interface CredentialIssuerDef {
  /** The origin's name (a host). */
  host: string;
  displayName: string;
  /** App registration of the issuer's API (seeded in the tenant). */
  appId: string;
  /** Token audience (the app's identifier URI), e.g. `api://credential-issuer`. */
  identifierUri: string;
  /** Object ids allowed to issue and revoke; absent = any principal of the tenant. */
  allowedCallers?: string[];
  /** Lifetime when a request names none (seconds; default 90 days). */
  defaultLifetimeSeconds?: number;
}

export interface VaultReaderDef {
  /** The app's name: its origin is `<app>.apps.contoso.example`. */
  app: string;
  /** The vault's name (lower-case ARM name). */
  vault: string;
  secret: string;
}

export const APPS_DOMAIN = 'apps.contoso.example';
const MAX_LIFETIME_SECONDS = 400 * 86400;

// ------------------------------------------------------------------ store

export class ServicesStore {
  constructor(private readonly db: DatabaseSync) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS services_defs (
        kind TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, config TEXT NOT NULL, PRIMARY KEY (kind, name));
      CREATE TABLE IF NOT EXISTS services_credentials (
        issuer TEXT NOT NULL COLLATE NOCASE, id TEXT NOT NULL PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
        comment TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS services_consumer_modes (
        app TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, mode TEXT NOT NULL, pinned_version TEXT);
    `);
  }

  putDef(kind: 'issuer' | 'vault-reader', name: string, config: unknown): void {
    this.db
      .prepare(
        'INSERT INTO services_defs (kind, name, config) VALUES (?, ?, ?) ON CONFLICT(kind, name) DO UPDATE SET config = excluded.config',
      )
      .run(kind, name, JSON.stringify(config));
  }

  defs<T>(kind: 'issuer' | 'vault-reader'): T[] {
    return (
      this.db.prepare('SELECT config FROM services_defs WHERE kind = ? ORDER BY name').all(kind) as Array<{
        config: string;
      }>
    ).map((r) => JSON.parse(r.config) as T);
  }

  issue(issuer: string, comment: string, createdBy: string, now: number, lifetimeSeconds: number) {
    const id = randomUUID();
    const value = `cred_${randomBytes(24).toString('base64url')}`;
    const expiresAt = now + lifetimeSeconds * 1000;
    this.db
      .prepare(
        'INSERT INTO services_credentials (issuer, id, hash, comment, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(issuer, id, sha256(value), comment, createdBy, now, expiresAt);
    return { id, value, expiresAt };
  }

  revoke(issuer: string, id: string): boolean {
    return (
      this.db
        .prepare('UPDATE services_credentials SET revoked = 1 WHERE issuer = ? AND id = ? AND revoked = 0')
        .run(issuer, id).changes > 0
    );
  }

  byValue(issuer: string, value: string) {
    return this.db
      .prepare('SELECT id, expires_at, revoked FROM services_credentials WHERE issuer = ? AND hash = ?')
      .get(issuer, sha256(value)) as { id: string; expires_at: number; revoked: number } | undefined;
  }

  list(issuer: string) {
    return (
      this.db
        .prepare(
          'SELECT id, comment, created_by, created_at, expires_at, revoked FROM services_credentials WHERE issuer = ? ORDER BY created_at',
        )
        .all(issuer) as Array<{
        id: string;
        comment: string;
        created_by: string;
        created_at: number;
        expires_at: number;
        revoked: number;
      }>
    ).map((r) => ({
      id: r.id,
      comment: r.comment,
      createdBy: r.created_by,
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      revoked: r.revoked === 1,
    }));
  }

  mode(app: string): { mode: 'accept' | 'reject-new'; pinnedVersion: string | null } {
    const r = this.db.prepare('SELECT mode, pinned_version FROM services_consumer_modes WHERE app = ?').get(app) as
      { mode: string; pinned_version: string | null } | undefined;
    return r?.mode === 'reject-new'
      ? { mode: 'reject-new', pinnedVersion: r.pinned_version }
      : { mode: 'accept', pinnedVersion: null };
  }

  setMode(app: string, mode: 'accept' | 'reject-new', pinnedVersion: string | null): void {
    this.db
      .prepare(
        `INSERT INTO services_consumer_modes (app, mode, pinned_version) VALUES (?, ?, ?)
         ON CONFLICT(app) DO UPDATE SET mode = excluded.mode, pinned_version = excluded.pinned_version`,
      )
      .run(app, mode, pinnedVersion);
  }
}

function sha256(v: string): string {
  return createHash('sha256').update(v, 'utf8').digest('hex');
}

function problem(status: number, error: string, message: string, extra: Record<string, unknown> = {}) {
  return new EmulatorHttpError(status, { error, message, ...extra });
}

// ------------------------------------------------------------------ services

export class GenericServices {
  readonly store: ServicesStore;
  private readonly bound = new Map<string, string>();

  constructor(readonly ctx: EmulatorContext) {
    this.store = new ServicesStore(ctx.db);
  }

  origins(): Record<string, string> {
    return Object.fromEntries(this.bound);
  }

  issuers(): CredentialIssuerDef[] {
    return this.store.defs<CredentialIssuerDef>('issuer');
  }

  vaultReaders(): VaultReaderDef[] {
    return this.store.defs<VaultReaderDef>('vault-reader');
  }

  /** Registers an issuer (app registration included) and opens its origin. */
  async addIssuer(def: CredentialIssuerDef): Promise<void> {
    new DirectoryStore(this.ctx.db).upsertApp({
      appId: def.appId,
      displayName: def.displayName,
      identifierUris: [def.identifierUri],
      appRoles: [],
      tokenVersion: 1,
      publicClient: false,
      managedIdentity: false,
    });
    this.store.putDef('issuer', def.host.toLowerCase(), def);
    await this.bind();
  }

  async addVaultReader(def: VaultReaderDef): Promise<void> {
    this.store.putDef('vault-reader', def.app.toLowerCase(), def);
    await this.bind();
  }

  async bind(): Promise<void> {
    if (!this.ctx.openOrigin) return;
    for (const d of this.issuers()) {
      const host = d.host.toLowerCase();
      if (this.bound.has(host)) continue;
      const { origin, router } = await this.ctx.openOrigin(host);
      if (this.bound.has(host)) continue;
      this.bound.set(host, origin);
      this.registerIssuer(router, host);
    }
    for (const d of this.vaultReaders()) {
      const host = `${d.app.toLowerCase()}.${APPS_DOMAIN}`;
      if (this.bound.has(host)) continue;
      const { origin, router } = await this.ctx.openOrigin(host);
      if (this.bound.has(host)) continue;
      this.bound.set(host, origin);
      this.registerVaultReader(router, d.app.toLowerCase());
    }
  }

  // ---- credential issuer

  private issuerDef(host: string): CredentialIssuerDef {
    const d = this.issuers().find((x) => x.host.toLowerCase() === host);
    if (!d) throw problem(404, 'not_found', `No credential issuer at ${host}.`);
    return d;
  }

  private issuerCaller(req: EmulatorRequest, def: CredentialIssuerDef): CallerIdentity {
    let caller: CallerIdentity;
    try {
      caller = this.ctx.authenticate(req, [def.identifierUri, def.appId]);
    } catch (e) {
      if (e instanceof EmulatorHttpError && e.status === 401) {
        const err = (e.body as { error?: { message?: string } }).error;
        throw new EmulatorHttpError(
          401,
          { error: 'invalid_token', message: err?.message ?? 'A bearer token is required.' },
          { 'www-authenticate': `Bearer resource="${def.identifierUri}"` },
        );
      }
      throw e;
    }
    if (def.allowedCallers && !def.allowedCallers.some((o) => o.toLowerCase() === caller.oid.toLowerCase())) {
      throw problem(403, 'forbidden', `The principal ${caller.oid} may not manage credentials of ${def.host}.`);
    }
    return caller;
  }

  /** Issues a credential (the seed path and POST /credentials). */
  issueCredential(host: string, comment: string, createdBy: string, lifetimeSeconds?: number) {
    const def = this.issuerDef(host.toLowerCase());
    const lifetime = lifetimeSeconds ?? def.defaultLifetimeSeconds ?? 90 * 86400;
    return this.store.issue(def.host.toLowerCase(), comment, createdBy, this.ctx.clock.now(), lifetime);
  }

  private registerIssuer(router: Router, host: string): void {
    router.post('/credentials', (req) => {
      const def = this.issuerDef(host);
      const caller = this.issuerCaller(req, def);
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (typeof b !== 'object' || Array.isArray(b))
        throw problem(400, 'invalid_request', 'The body must be a JSON object.');
      if (b.comment !== undefined && (typeof b.comment !== 'string' || b.comment.length > 256)) {
        throw problem(400, 'invalid_request', 'comment must be a string of at most 256 characters.');
      }
      const lt = b.lifetimeSeconds;
      if (
        lt !== undefined &&
        (typeof lt !== 'number' || !Number.isInteger(lt) || lt < 60 || lt > MAX_LIFETIME_SECONDS)
      ) {
        throw problem(400, 'invalid_request', `lifetimeSeconds must be an integer from 60 to ${MAX_LIFETIME_SECONDS}.`);
      }
      const c = this.issueCredential(host, typeof b.comment === 'string' ? b.comment : '', caller.oid, lt);
      this.ctx.log('services.credential.issued', { issuer: host, id: c.id });
      return { status: 201, body: { id: c.id, value: c.value, expiresAt: new Date(c.expiresAt).toISOString() } };
    });
    router.get('/credentials', (req) => {
      const def = this.issuerDef(host);
      this.issuerCaller(req, def);
      return { status: 200, body: { value: this.store.list(host) } };
    });
    router.delete('/credentials/{id}', (req) => {
      const def = this.issuerDef(host);
      this.issuerCaller(req, def);
      if (!this.store.revoke(host, req.params.id ?? '')) {
        throw problem(404, 'not_found', `No live credential ${req.params.id}.`);
      }
      this.ctx.log('services.credential.revoked', { issuer: host, id: req.params.id });
      return { status: 204 };
    });
    router.get('/verify', (req) => {
      this.issuerDef(host);
      const m = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
      const c = m ? this.store.byValue(host, m[1]!) : undefined;
      if (!c || c.revoked === 1 || c.expires_at <= this.ctx.clock.now()) {
        throw new EmulatorHttpError(
          401,
          { error: 'invalid_credential', message: 'The credential is unknown, revoked or expired.' },
          { 'www-authenticate': 'Bearer error="invalid_token"' },
        );
      }
      return { status: 200, body: { id: c.id, expiresAt: new Date(c.expires_at).toISOString() } };
    });
  }

  // ---- vault readers

  /** What a vault-reader app sees now: the latest enabled version of its secret, and whether it accepts it. */
  health(app: string): { status: number; body: Record<string, unknown> } {
    const def = this.vaultReaders().find((d) => d.app.toLowerCase() === app.toLowerCase());
    if (!def) return { status: 404, body: { error: 'not_found', version: null } };
    let version: string | null;
    try {
      version = keyVaultPlane(this.ctx).store.latestEnabled(def.vault, def.secret)?.version ?? null;
    } catch (e) {
      return { status: 503, body: { error: `the vault cannot be read: ${(e as Error).message}`, version: null } };
    }
    if (!version) return { status: 503, body: { error: `no enabled version of ${def.secret}`, version: null } };
    const m = this.store.mode(def.app.toLowerCase());
    if (m.mode === 'reject-new' && m.pinnedVersion !== version) {
      return { status: 503, body: { error: `rejects ${version}: only accepts ${m.pinnedVersion ?? 'none'}`, version } };
    }
    return { status: 200, body: { version } };
  }

  private registerVaultReader(router: Router, app: string): void {
    router.get('/healthz', () => this.health(app));
  }

  setMode(app: string, mode: unknown): Record<string, unknown> {
    const def = this.vaultReaders().find((d) => d.app.toLowerCase() === app.toLowerCase());
    if (!def) throw armError(404, 'NotFound', `No vault-reader app '${app}'.`);
    if (mode !== 'accept' && mode !== 'reject-new') {
      throw armError(400, 'InvalidRequestContent', "mode must be 'accept' or 'reject-new'.");
    }
    const pinned =
      mode === 'reject-new'
        ? (keyVaultPlane(this.ctx).store.latestEnabled(def.vault, def.secret)?.version ?? null)
        : null;
    this.store.setMode(def.app.toLowerCase(), mode, pinned);
    return { app: def.app, mode, pinnedVersion: pinned };
  }
}

// ------------------------------------------------------------------ module

const instances = new WeakMap<EmulatorContext, GenericServices>();

export function genericServices(ctx: EmulatorContext): GenericServices {
  let s = instances.get(ctx);
  if (!s) {
    s = new GenericServices(ctx);
    instances.set(ctx, s);
  }
  return s;
}

interface WorldServices {
  credentialIssuers?: CredentialIssuerDef[];
  vaultReaders?: VaultReaderDef[];
}

function validIssuer(d: unknown): CredentialIssuerDef {
  const x = d as CredentialIssuerDef;
  if (
    !x ||
    typeof x.host !== 'string' ||
    !/^[a-z0-9.-]+$/i.test(x.host) ||
    typeof x.appId !== 'string' ||
    typeof x.identifierUri !== 'string' ||
    typeof x.displayName !== 'string' ||
    (x.allowedCallers !== undefined && !Array.isArray(x.allowedCallers))
  ) {
    throw armError(
      400,
      'InvalidRequestContent',
      'A credential issuer needs host, displayName, appId, identifierUri (and optional allowedCallers[]).',
    );
  }
  return x;
}

function validReader(d: unknown): VaultReaderDef {
  const x = d as VaultReaderDef;
  if (
    !x ||
    typeof x.app !== 'string' ||
    !/^[a-z0-9-]+$/i.test(x.app) ||
    typeof x.vault !== 'string' ||
    typeof x.secret !== 'string'
  ) {
    throw armError(
      400,
      'InvalidRequestContent',
      'A vault-reader app needs app (letters, digits, -), vault and secret.',
    );
  }
  return { app: x.app, vault: x.vault.toLowerCase(), secret: x.secret };
}

/** Seeds a Key Vault secret with a credential from an issuer: `issue: {kind: "credential-issuer", host}`. */
registerSeedIssuer('credential-issuer', (spec, ctx, secret) => {
  const s = instances.get(ctx);
  if (!s) return undefined; // the services module is not loaded in this emulator
  const host = typeof spec.host === 'string' ? spec.host : '';
  const days = typeof secret.expiresInDays === 'number' ? secret.expiresInDays : undefined;
  return s.issueCredential(
    host,
    `seeded for ${secret.name}`,
    'seed',
    days !== undefined ? Math.round(days * 86400) : undefined,
  ).value;
});

function registerAdmin(router: Router, s: GenericServices): void {
  router.get('/admin/services', () => ({
    status: 200,
    body: { credentialIssuers: s.issuers(), vaultReaders: s.vaultReaders(), origins: s.origins() },
  }));
  router.put('/admin/services/credential-issuers/{host}', async (req) => {
    const def = validIssuer({ ...(req.body as object), host: req.params.host });
    await s.addIssuer(def);
    return { status: 200, body: { ...def, origin: s.origins()[def.host.toLowerCase()] } };
  });
  router.put('/admin/services/vault-readers/{app}', async (req) => {
    const def = validReader({ ...(req.body as object), app: req.params.app });
    await s.addVaultReader(def);
    return { status: 200, body: { ...def, origin: s.origins()[`${def.app.toLowerCase()}.${APPS_DOMAIN}`] } };
  });
  router.get('/admin/consumers', () => ({
    status: 200,
    body: {
      value: s.vaultReaders().map((d) => ({
        ...d,
        ...s.store.mode(d.app.toLowerCase()),
        origin: s.origins()[`${d.app.toLowerCase()}.${APPS_DOMAIN}`] ?? null,
      })),
    },
  }));
  router.post('/admin/consumers/{app}/mode', (req) => ({
    status: 200,
    body: s.setMode(req.params.app ?? '', (req.body as { mode?: unknown } | undefined)?.mode),
  }));
}

export function createServicesModule(): EmulatorModule {
  return {
    name: 'services',
    migrate(db) {
      ServicesStore.migrate(db);
    },
    register(router, ctx) {
      registerAdmin(router, genericServices(ctx));
    },
    async seed(world: DemoWorld, ctx) {
      const s = genericServices(ctx);
      const w = (world.azure?.services ?? {}) as WorldServices;
      for (const d of w.credentialIssuers ?? []) await s.addIssuer(validIssuer(d));
      for (const d of w.vaultReaders ?? []) await s.addVaultReader(validReader(d));
    },
    async start(ctx) {
      await genericServices(ctx).bind();
    },
  };
}
