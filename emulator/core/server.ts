/**
 * The emulator's HTTPS server and composition: state dir (TLS material, token-signing key, admin key, identity
 * header, SQLite database), the request pipeline (parse → route → admin key → body → handler → Azure-shaped
 * errors), the context every module receives, reset and seeding.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { registerAdminRoutes } from '../admin/admin';
import { DirectoryStore, EMULATOR_ADMIN_ID } from '../entra/directory';
import { Entra } from '../entra/entra';
import { SigningKey } from '../entra/signing-key';
import { ARM_AUDIENCES } from '../entra/token-service';
import { EventGrid, type EventSubscriptionInput } from '../eventgrid/eventgrid';
import { buildResourceEvent } from '../eventgrid/resource-events';
import { applyDrifts, seedWorld } from '../seed/seed';
import { loadWorld } from '../seed/world';
import { SharedFileClock } from './clock';
import { armError, EmulatorHttpError, entraError } from './errors';
import type {
  AccessChecker,
  CallerIdentity,
  DemoDrift,
  DemoWorld,
  EmulatorClock,
  EmulatorContext,
  EmulatorModule,
  EmulatorRequest,
  EmulatorResponse,
  EventGridEvent,
} from './module';
import { buildRequest, contentTypeOf, parseBody, parseTarget, readBody } from './request';
import { EmulatorRouter } from './router';
import { ensureTlsMaterial, type TlsMaterial } from './tls';

export { EMULATOR_ADMIN_ID };
export const ADMIN_KEY_HEADER = 'x-emulator-admin-key';
export const CALLER_HEADER = 'x-emulator-caller';
/** ARM's request size limit (4 MB). */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface EmulatorOptions {
  /** Port on 127.0.0.1 (default 7443; 0 = ephemeral). */
  port?: number;
  host?: string;
  /** State directory (default `.warden/emulator` under the current directory). */
  stateDir?: string;
  /** The demo world (object or path to the JSON file) to seed from. */
  world?: DemoWorld | string;
  /** Drop all state and seed again from `world` at start. A fresh state dir is always seeded. */
  reset?: boolean;
  /** The clock (default: WARDEN_CLOCK_FILE / WARDEN_CLOCK_MODE from the environment). */
  clock?: EmulatorClock;
  /** Allow advancing the clock (default: WARDEN_CLOCK_MODE=test). Ignored when `clock` is given. */
  testClock?: boolean;
  /** Clock offset file (default: WARDEN_CLOCK_FILE). Ignored when `clock` is given. */
  clockFile?: string;
  /** Event Grid retry delays multiplier (default 1 = Azure's schedule). */
  retryScale?: number;
  /** Event Grid delivery loop interval (ms, default 250). */
  pollIntervalMs?: number;
  /** Event Grid per-attempt timeout (ms, default 30000). */
  deliveryTimeoutMs?: number;
  /** Access token lifetime (s, default 3599). */
  tokenLifetimeSeconds?: number;
  /** Default request body limit (bytes, default 4 MiB, ARM's). */
  maxBodyBytes?: number;
  /** Resource-provider modules beyond the core ones (ARM, later Key Vault, ...), in seeding order. */
  modules?: EmulatorModule[];
  /**
   * Seed without applying the world's drifts; apply them later with `POST /admin/drifts` (the launcher does, once
   * its Event Grid subscriptions exist, so the drift events reach the app).
   */
  deferDrifts?: boolean;
  /** Object id of the principal out-of-band (admin API) changes are attributed to when no `x-emulator-caller` is sent. */
  defaultActor?: string;
  /** Custom topics to create at start. */
  topics?: string[];
  /** Event subscriptions to create at start (their endpoints must answer the handshake). */
  eventSubscriptions?: EventSubscriptionInput[];
  /** Structured log sink; default: JSON lines on stdout when EMULATOR_LOG=1 or from main.ts. */
  log?: (line: Record<string, unknown>) => void;
}

export interface EmulatorEndpoints {
  baseUrl: string;
  /** `authorityHost` for @azure/identity credentials (use with `disableInstanceDiscovery: true`). */
  entraAuthorityHost: string;
  tenantId: string;
  subscriptionId: string;
  openIdConfiguration: string;
  openIdConfigurationV1: string;
  jwksUri: string;
  tokenEndpoint: string;
  issuerV1: string;
  issuerV2: string;
  /** `endpoint` for every ARM client. */
  armEndpoint: string;
  managedIdentity: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string; clientId?: string; principalId?: string };
  caCertPath: string;
  adminKeyPath: string;
  adminBaseUrl: string;
  credentialsPath: string;
  eventGrid: { topics: Array<{ name: string; endpoint: string; id: string }> };
  /** Extra origins opened by modules (`ctx.openOrigin`), by name — e.g. one per Key Vault. */
  origins: Record<string, string>;
  stateDir: string;
}

/** The running emulator. */
export class Emulator {
  readonly stateDir: string;
  readonly router = new EmulatorRouter();
  readonly clock: EmulatorClock;
  db!: DatabaseSync;
  entra!: Entra;
  eventGrid!: EventGrid;
  tls!: TlsMaterial;
  ctx!: EmulatorContext;
  world: DemoWorld | undefined;
  adminKey = '';
  identityHeader = '';
  private server: https.Server | undefined;
  private endpointsFileWritten = false;
  private readonly origins = new Map<string, { server: https.Server; origin: string; router: EmulatorRouter }>();
  private readonly pendingOrigins = new Map<string, Promise<{ origin: string; router: EmulatorRouter }>>();
  private base = '';
  private checker: AccessChecker | undefined;
  readonly modules: EmulatorModule[];
  private readonly logSink: (line: Record<string, unknown>) => void;

  constructor(readonly options: EmulatorOptions = {}) {
    this.stateDir = path.resolve(options.stateDir ?? path.join('.warden', 'emulator'));
    this.clock =
      options.clock ??
      SharedFileClock.fromEnv(process.env, {
        ...(options.clockFile !== undefined ? { file: options.clockFile } : {}),
        ...(options.testClock !== undefined ? { test: options.testClock } : {}),
      });
    this.modules = options.modules ?? [];
    this.logSink =
      options.log ??
      (process.env.EMULATOR_LOG === '1'
        ? (line) => process.stdout.write(JSON.stringify(line) + '\n')
        : () => undefined);
  }

  get baseUrl(): string {
    return this.base;
  }

  log(event: string, fields: Record<string, unknown> = {}): void {
    this.logSink({ at: new Date(this.clock.now()).toISOString(), component: 'emulator', event, ...fields });
  }

  async start(): Promise<void> {
    mkdirSync(this.stateDir, { recursive: true });
    this.world = loadWorld(this.options.world);
    this.tls = ensureTlsMaterial(this.stateDir);
    const key = SigningKey.loadOrCreate(this.stateDir);
    this.adminKey = secretFile(path.join(this.stateDir, 'admin-key'));
    this.identityHeader = secretFile(path.join(this.stateDir, 'identity-header'));
    this.db = new DatabaseSync(path.join(this.stateDir, 'emulator.db'));
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;');
    this.migrate();
    const meta = (k: string) =>
      (this.db.prepare('SELECT value FROM emulator_meta WHERE key = ?').get(k) as { value: string } | undefined)?.value;
    const tenantId = this.world?.tenantId ?? meta('tenantId') ?? '00000000-0000-4000-8000-000000000001';
    const subscriptionId =
      this.world?.subscriptionId ?? meta('subscriptionId') ?? '00000000-0000-4000-8000-000000000002';
    const location = this.world?.location ?? meta('location') ?? 'westeurope';
    const firstRg = (this.world?.azure?.resourceGroups as Array<{ name: string }> | undefined)?.[0]?.name;

    this.entra = new Entra(this.db, key, this.clock, () => this.base, {
      tenantId,
      identityHeader: this.identityHeader,
      ...(this.world?.warden?.appId ? { defaultManagedIdentityAppId: this.world.warden.appId } : {}),
      tokenLifetimeSeconds: this.options.tokenLifetimeSeconds ?? 3599,
    });
    this.eventGrid = new EventGrid(this.db, {
      retryScale: this.options.retryScale ?? 1,
      pollIntervalMs: this.options.pollIntervalMs ?? 250,
      deliveryTimeoutMs: this.options.deliveryTimeoutMs ?? 30_000,
      topicResourceGroup: firstRg ?? meta('topicResourceGroup') ?? 'rg-eventgrid',
      extraCa: [this.tls.caCertPem],
    });
    this.ctx = this.buildContext(tenantId, subscriptionId, location);

    this.entra.register(this.router, this.ctx);
    this.eventGrid.register(this.router, this.ctx);
    for (const m of this.modules) m.register(this.router, this.ctx);
    registerAdminRoutes(this.router, this);

    await this.listen();
    this.eventGrid.start(this.ctx);

    const seeded = meta('seeded') === '1';
    if (this.options.reset) this.wipe();
    // configured topics and subscriptions first, so the events of seeding (drifts) reach them
    for (const t of this.options.topics ?? []) this.eventGrid.createTopic(t);
    for (const s of this.options.eventSubscriptions ?? []) await this.eventGrid.createSubscription(s);
    if (this.options.reset || !seeded) await this.seed(this.world);
    for (const m of this.modules) await m.start?.(this.ctx);
    this.log('emulator.started', { baseUrl: this.base, stateDir: this.stateDir });
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS emulator_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.db.exec('CREATE TABLE IF NOT EXISTS emulator_origins (name TEXT PRIMARY KEY, port INTEGER NOT NULL)');
    DirectoryStore.migrate(this.db);
    EventGrid.migrate(this.db);
    for (const m of this.modules) m.migrate?.(this.db);
  }

  /**
   * Drops every table and recreates them empty. Keys, certificates and the admin key are kept, and so — unless
   * `everything` — are the Event Grid topics and subscriptions (the launcher's wiring to the runtime).
   */
  wipe(everything = false): void {
    const keep = everything ? [] : KEPT_ON_RESET;
    const tables = (
      this.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as Array<{ name: string }>
    ).filter((t) => !keep.includes(t.name));
    this.db.exec('BEGIN');
    try {
      for (const t of tables) this.db.exec(`DROP TABLE IF EXISTS "${t.name.replace(/"/g, '""')}"`);
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
    this.migrate();
    this.writeCredentials({});
    this.log('emulator.reset');
  }

  /** Seeds from `world` (emulator/seed/seed.ts). */
  seed(world: DemoWorld | undefined, opts: { drifts?: boolean } = {}): Promise<{ drifts: number }> {
    return seedWorld(this, world, opts);
  }

  /** Applies out-of-band changes through the owning modules' drift handlers (the admin API's code path). */
  applyDrifts(drifts: DemoDrift[]): Promise<number> {
    return applyDrifts(this, drifts);
  }

  /** Generated user passwords (and any secret the admin API handed out with `store: true`) for local tools. */
  writeCredentials(passwords: Record<string, string>, merge = false): void {
    const file = path.join(this.stateDir, 'credentials.json');
    let existing: { users?: Record<string, string>; apps?: Record<string, string> } = {};
    if (merge && existsSync(file)) existing = JSON.parse(readFileSync(file, 'utf8')) as typeof existing;
    const out = {
      $comment:
        'Generated by the local Azure emulator for local tools only (ROPC user passwords, app client secrets). Never commit.',
      tenantId: this.ctx.tenantId,
      users: { ...(merge ? existing.users : {}), ...passwords },
      apps: { ...(merge ? existing.apps : {}) },
    };
    writeFileSync(file, JSON.stringify(out, null, 2), { mode: 0o600 });
  }

  storeAppSecret(appId: string, secret: string): void {
    const file = path.join(this.stateDir, 'credentials.json');
    const existing = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { apps?: Record<string, string> })
      : {};
    const out = { ...existing, apps: { ...(existing.apps ?? {}), [appId]: secret } };
    writeFileSync(file, JSON.stringify(out, null, 2), { mode: 0o600 });
  }

  private buildContext(tenantId: string, subscriptionId: string, location: string): EmulatorContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      db: this.db,
      clock: this.clock,
      stateDir: this.stateDir,
      tenantId,
      subscriptionId,
      location,
      get baseUrl() {
        return self.base;
      },
      directory: this.entra,
      authenticate: (req, audience) => this.entra.tokens.authenticate(req, audience),
      adminCaller: (req, audience) => this.adminCaller(req, audience),
      publishEvent: (event: EventGridEvent) => {
        this.eventGrid.publish(event);
      },
      publishResourceEvent: (input) => {
        const event = buildResourceEvent(input, { subscriptionId, tenantId, nowIso: this.clock.nowIso() });
        this.eventGrid.publish(event);
        return event;
      },
      access: {
        register: (checker) => {
          this.checker = checker;
        },
        check: (caller, scope, action, opts) => this.checker?.isAllowed(caller, scope, action, opts),
      },
      openOrigin: (name) => this.openOrigin(name),
      log: (event, fields) => this.log(event, fields),
    };
  }

  adminCaller(req: EmulatorRequest, audience: string = ARM_AUDIENCES[0]!): CallerIdentity {
    const id = req.header(CALLER_HEADER) ?? this.options.defaultActor ?? EMULATOR_ADMIN_ID;
    return this.entra.identityOf(id, audience);
  }

  private async listen(): Promise<void> {
    const { server, origin } = await this.createListener(this.options.port ?? 7443, this.router, () => this.base);
    this.server = server;
    this.base = origin;
  }

  private async createListener(
    port: number,
    router: EmulatorRouter,
    origin: () => string,
  ): Promise<{ server: https.Server; origin: string }> {
    const server = https.createServer({ key: this.tls.keyPem, cert: this.tls.certPem }, (req, res) => {
      void this.handle(req, res, router, origin());
    });
    server.keepAliveTimeout = 5000;
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = (server.address() as AddressInfo).port;
    return { server, origin: `https://${host.includes(':') ? `[${host}]` : host}:${bound}` };
  }

  /**
   * ctx.openOrigin: an extra HTTPS listener with its own router (once per name), on the port it had before when
   * that port is free, so origins stay stable across restarts.
   */
  async openOrigin(name: string): Promise<{ origin: string; router: EmulatorRouter }> {
    const existing = this.origins.get(name);
    if (existing) return { origin: existing.origin, router: existing.router };
    const pending = this.pendingOrigins.get(name);
    if (pending) return pending;
    const open = (async () => {
      const row = this.db.prepare('SELECT port FROM emulator_origins WHERE name = ?').get(name) as
        { port: number } | undefined;
      const router = new EmulatorRouter();
      let holder = '';
      let listener: { server: https.Server; origin: string };
      try {
        listener = await this.createListener(row?.port ?? 0, router, () => holder);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !row) throw e;
        listener = await this.createListener(0, router, () => holder);
      }
      holder = listener.origin;
      const port = Number(new URL(listener.origin).port);
      this.db
        .prepare(
          'INSERT INTO emulator_origins (name, port) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET port = excluded.port',
        )
        .run(name, port);
      this.origins.set(name, { server: listener.server, origin: listener.origin, router });
      this.log('emulator.origin.opened', { name, origin: listener.origin });
      if (this.endpointsFileWritten) this.writeEndpointsFile();
      return { origin: listener.origin, router };
    })();
    this.pendingOrigins.set(name, open);
    try {
      return await open;
    } finally {
      this.pendingOrigins.delete(name);
    }
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    router: EmulatorRouter,
    origin: string,
  ): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let dialect: 'arm' | 'entra' = 'arm';
    let response: EmulatorResponse;
    let clientRequestId = headerOf(req, 'x-ms-client-request-id');
    const correlationId = headerOf(req, 'x-ms-correlation-request-id') ?? randomUUID();
    try {
      const target = parseTarget(req.url ?? '/');
      const match = router.match(method, target.segments);
      if (match.kind === 'none') throw notFound(method, target.path, target.queryAll.get('api-version'));
      if (match.kind === 'method') {
        throw armError(
          405,
          'HttpMethodNotAllowed',
          `The HTTP method '${method}' is not supported at '${target.path}'. Allowed: ${match.allowed.join(', ')}.`,
          {
            headers: { allow: match.allowed.join(', ') },
          },
        );
      }
      const { route, params } = match;
      dialect = route.options.dialect ?? 'arm';
      if (route.options.admin) this.checkAdminKey(req);
      let rawBody: Buffer;
      try {
        rawBody = await readBody(
          req,
          route.options.maxBodyBytes ?? this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        );
      } catch (e) {
        res.setHeader('connection', 'close');
        throw e;
      }
      const contentType = contentTypeOf(req);
      const body = route.options.rawBody ? undefined : parseBody(rawBody, contentType, method);
      const request = buildRequest({ req, target, params, rawBody, body, contentType, origin });
      clientRequestId = request.clientRequestId;
      response = await route.handler(request);
    } catch (e) {
      response = this.errorResponse(e, dialect, method, req.url ?? '/');
    }
    if (!res.headersSent) this.write(res, response, clientRequestId, correlationId);
  }

  private checkAdminKey(req: IncomingMessage): void {
    const given = Buffer.from(headerOf(req, ADMIN_KEY_HEADER) ?? '');
    const want = Buffer.from(this.adminKey);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      throw armError(
        401,
        'AdminKeyRequired',
        `The admin API requires the '${ADMIN_KEY_HEADER}' header with the key stored in ${path.join(this.stateDir, 'admin-key')}.`,
      );
    }
  }

  private errorResponse(e: unknown, dialect: 'arm' | 'entra', method: string, url: string): EmulatorResponse {
    if (e instanceof EmulatorHttpError) {
      if (dialect === 'entra' && isArmBody(e.body) && e.status !== 401) {
        const err = (e.body as { error: { code: string; message: string } }).error;
        const converted = entraError(
          e.status,
          'invalid_request',
          900144,
          `${err.code}: ${err.message}`,
          this.clock.nowIso(),
        );
        return { status: e.status, body: converted.body };
      }
      return { status: e.status, headers: e.headers, body: e.body };
    }
    this.log('emulator.error', { method, path: url.split('?')[0], error: e instanceof Error ? e.stack : String(e) });
    return {
      status: 500,
      body: {
        error: {
          code: 'InternalServerError',
          message: `The local Azure emulator failed: ${e instanceof Error ? e.message : String(e)}`,
        },
      },
    };
  }

  private write(
    res: ServerResponse,
    r: EmulatorResponse,
    clientRequestId: string | undefined,
    correlationId: string,
  ): void {
    const requestId = randomUUID();
    res.statusCode = r.status;
    res.setHeader('x-ms-request-id', requestId);
    res.setHeader('x-ms-correlation-request-id', correlationId);
    if (clientRequestId) res.setHeader('x-ms-client-request-id', clientRequestId);
    for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
    if (r.body === undefined || r.status === 204 || r.status === 304) {
      res.setHeader('content-length', '0');
      res.end();
      return;
    }
    let payload: Buffer;
    if (Buffer.isBuffer(r.body)) payload = r.body;
    else if (typeof r.body === 'string') {
      payload = Buffer.from(r.body, 'utf8');
      if (!res.hasHeader('content-type')) res.setHeader('content-type', 'text/plain; charset=utf-8');
    } else {
      payload = Buffer.from(JSON.stringify(r.body), 'utf8');
      if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json; charset=utf-8');
    }
    res.setHeader('content-length', String(payload.length));
    res.end(payload);
  }

  endpoints(): EmulatorEndpoints {
    const b = this.base;
    const t = this.ctx.tenantId;
    const mi = this.entra.defaultManagedIdentityAppId
      ? this.entra.store.getApp(this.entra.defaultManagedIdentityAppId)
      : undefined;
    return {
      baseUrl: b,
      entraAuthorityHost: b,
      tenantId: t,
      subscriptionId: this.ctx.subscriptionId,
      openIdConfiguration: `${b}/${t}/v2.0/.well-known/openid-configuration`,
      openIdConfigurationV1: `${b}/${t}/.well-known/openid-configuration`,
      jwksUri: `${b}/${t}/discovery/v2.0/keys`,
      tokenEndpoint: `${b}/${t}/oauth2/v2.0/token`,
      issuerV1: this.entra.tokens.issuerV1,
      issuerV2: this.entra.tokens.issuerV2,
      armEndpoint: b,
      managedIdentity: {
        IDENTITY_ENDPOINT: `${b}/msi/token`,
        IDENTITY_HEADER: this.identityHeader,
        ...(mi ? { clientId: mi.appId, principalId: mi.servicePrincipalId } : {}),
      },
      caCertPath: this.tls.caCertPath,
      adminKeyPath: path.join(this.stateDir, 'admin-key'),
      adminBaseUrl: `${b}/admin`,
      credentialsPath: path.join(this.stateDir, 'credentials.json'),
      origins: Object.fromEntries([...this.origins].map(([name, o]) => [name, o.origin])),
      eventGrid: { topics: this.eventGrid.listTopics().map((x) => ({ name: x.name, endpoint: x.endpoint, id: x.id })) },
      stateDir: this.stateDir,
    };
  }

  writeEndpointsFile(): string {
    const file = path.join(this.stateDir, 'endpoints.json');
    writeFileSync(file, JSON.stringify(this.endpoints(), null, 2), { mode: 0o600 });
    this.endpointsFileWritten = true;
    return file;
  }

  async stop(): Promise<void> {
    this.eventGrid?.stop();
    for (const m of [...this.modules].reverse()) await m.close?.();
    if (this.server) {
      const s = this.server;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
    this.server = undefined;
    for (const o of this.origins.values()) {
      await new Promise<void>((resolve) => {
        o.server.close(() => resolve());
        o.server.closeAllConnections();
      });
    }
    this.origins.clear();
    if (this.clock instanceof SharedFileClock && !this.options.clock) this.clock.close();
    this.db?.close();
  }
}

/** Tables a reset keeps (the Event Grid wiring, the ports of extra origins), unless asked to wipe everything. */
const KEPT_ON_RESET = ['eventgrid_topics', 'eventgrid_subscriptions', 'emulator_origins'];

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isArmBody(b: unknown): boolean {
  return !!b && typeof b === 'object' && typeof (b as { error?: unknown }).error === 'object';
}

function notFound(method: string, p: string, apiVersion: string | null): EmulatorHttpError {
  const m = /\/providers\/([^/]+)\/([^/]+)/i.exec(p);
  if (m && /^\/subscriptions\//i.test(p)) {
    return armError(
      404,
      'InvalidResourceType',
      `The resource type '${m[2]}' could not be found in the namespace '${m[1]}' for api version '${apiVersion ?? ''}' in the local Azure emulator (see docs/emulator.md for the supported surface).`,
    );
  }
  return armError(
    404,
    'NotFound',
    `No route for ${method} ${p} in the local Azure emulator (see docs/emulator.md for the supported surface).`,
  );
}

function secretFile(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}
