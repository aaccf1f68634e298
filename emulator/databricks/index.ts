/**
 * The Azure Databricks workspace data plane for tokens, on one origin per workspace (named by the host of its ARM
 * `properties.workspaceUrl`): token management (on-behalf-of tokens for service principals, list, get, delete), the
 * caller's own tokens (create, list, delete), and SCIM `Me` — what a pipeline's PAT is checked with. Callers
 * authenticate with an Entra token for the AzureDatabricks application (audience `2ff814a6-…`) of a workspace
 * principal, or with a PAT (`dapi…`). Tokens are stored as SHA-256 hashes; only the response that issues a token
 * carries its value. Expiry is on the emulator clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { armError, EmulatorHttpError } from '../core/errors';
import type { DemoWorld, EmulatorContext, EmulatorModule, EmulatorRequest, Router } from '../core/module';
import { registerSeedIssuer } from '../keyvault/index';
import { type ArmResource, getArmResource, hostOf, listArmResources } from '../services/arm-resources';
import { OriginBinder } from '../services/origin-binder';

export const WORKSPACE_TYPE = 'Microsoft.Databricks/workspaces';
/** The AzureDatabricks first-party application: the audience of Entra tokens for every workspace. */
export const DATABRICKS_AUDIENCE = '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d';
const MAX_LIFETIME_SECONDS = 730 * 86400;

export interface WorkspacePrincipal {
  workspace: string;
  /** Databricks' numeric id (as a string). */
  id: string;
  kind: 'ServicePrincipal' | 'User';
  applicationId: string | null;
  userName: string | null;
  displayName: string;
  admin: boolean;
}

export interface StoredToken {
  workspace: string;
  tokenId: string;
  ownerId: string;
  createdById: string;
  createdByUsername: string;
  comment: string;
  creationTime: number;
  /** ms since epoch, -1 = never. */
  expiryTime: number;
  revoked: boolean;
}

// ------------------------------------------------------------------ store

export class DatabricksStore {
  constructor(private readonly db: DatabaseSync) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS databricks_principals (
        workspace TEXT NOT NULL COLLATE NOCASE, id TEXT NOT NULL, kind TEXT NOT NULL, application_id TEXT COLLATE NOCASE,
        user_name TEXT COLLATE NOCASE, display_name TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace, id));
      CREATE TABLE IF NOT EXISTS databricks_tokens (
        workspace TEXT NOT NULL COLLATE NOCASE, token_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
        owner_id TEXT NOT NULL, created_by_id TEXT NOT NULL, created_by_username TEXT NOT NULL, comment TEXT NOT NULL,
        creation_time INTEGER NOT NULL, expiry_time INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace, token_id));
    `);
  }

  upsertPrincipal(p: Omit<WorkspacePrincipal, 'id'> & { id?: string }): WorkspacePrincipal {
    const existing = p.applicationId
      ? this.principalByApp(p.workspace, p.applicationId)
      : p.userName
        ? this.principalByUser(p.workspace, p.userName)
        : undefined;
    const id = existing?.id ?? p.id ?? numericId(`${p.workspace}|${p.applicationId ?? p.userName ?? ''}`);
    this.db
      .prepare(
        `INSERT INTO databricks_principals (workspace, id, kind, application_id, user_name, display_name, admin)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(workspace, id) DO UPDATE SET display_name = excluded.display_name, admin = excluded.admin`,
      )
      .run(p.workspace.toLowerCase(), id, p.kind, p.applicationId, p.userName, p.displayName, p.admin ? 1 : 0);
    return this.principal(p.workspace, id)!;
  }

  principal(workspace: string, id: string): WorkspacePrincipal | undefined {
    const r = this.db
      .prepare('SELECT * FROM databricks_principals WHERE workspace = ? AND id = ?')
      .get(workspace.toLowerCase(), id);
    return r ? toPrincipal(r as unknown as PrincipalRow) : undefined;
  }

  principalByApp(workspace: string, appId: string): WorkspacePrincipal | undefined {
    const r = this.db
      .prepare('SELECT * FROM databricks_principals WHERE workspace = ? AND application_id = ?')
      .get(workspace.toLowerCase(), appId);
    return r ? toPrincipal(r as unknown as PrincipalRow) : undefined;
  }

  principalByUser(workspace: string, userName: string): WorkspacePrincipal | undefined {
    const r = this.db
      .prepare('SELECT * FROM databricks_principals WHERE workspace = ? AND user_name = ?')
      .get(workspace.toLowerCase(), userName);
    return r ? toPrincipal(r as unknown as PrincipalRow) : undefined;
  }

  principals(workspace: string): WorkspacePrincipal[] {
    return (
      this.db
        .prepare('SELECT * FROM databricks_principals WHERE workspace = ? ORDER BY display_name')
        .all(workspace.toLowerCase()) as unknown as PrincipalRow[]
    ).map(toPrincipal);
  }

  /** Issues a token; returns its value (never stored) and its info. */
  issue(
    workspace: string,
    owner: WorkspacePrincipal,
    creator: WorkspacePrincipal,
    comment: string,
    lifetimeSeconds: number | undefined,
    now: number,
  ): { value: string; token: StoredToken } {
    const value = `dapi${randomBytes(16).toString('hex')}`;
    const tokenId = randomBytes(32).toString('hex');
    const expiry = lifetimeSeconds && lifetimeSeconds > 0 ? now + lifetimeSeconds * 1000 : -1;
    this.db
      .prepare(
        `INSERT INTO databricks_tokens (workspace, token_id, hash, owner_id, created_by_id, created_by_username, comment,
           creation_time, expiry_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        workspace.toLowerCase(),
        tokenId,
        sha256(value),
        owner.id,
        creator.id,
        creator.userName ?? creator.applicationId ?? creator.displayName,
        comment,
        now,
        expiry,
      );
    return { value, token: this.token(workspace, tokenId)! };
  }

  token(workspace: string, tokenId: string): StoredToken | undefined {
    const r = this.db
      .prepare('SELECT * FROM databricks_tokens WHERE workspace = ? AND token_id = ? AND revoked = 0')
      .get(workspace.toLowerCase(), tokenId);
    return r ? toToken(r as unknown as TokenRow) : undefined;
  }

  byValue(workspace: string, value: string): StoredToken | undefined {
    const r = this.db
      .prepare('SELECT * FROM databricks_tokens WHERE workspace = ? AND hash = ?')
      .get(workspace.toLowerCase(), sha256(value));
    return r ? toToken(r as unknown as TokenRow) : undefined;
  }

  tokens(workspace: string, filter: { ownerId?: string; createdById?: string; createdByUsername?: string } = {}) {
    return (
      this.db
        .prepare('SELECT * FROM databricks_tokens WHERE workspace = ? AND revoked = 0 ORDER BY creation_time')
        .all(workspace.toLowerCase()) as unknown as TokenRow[]
    )
      .map(toToken)
      .filter(
        (t) =>
          (!filter.ownerId || t.ownerId === filter.ownerId) &&
          (!filter.createdById || t.createdById === filter.createdById) &&
          (!filter.createdByUsername || t.createdByUsername.toLowerCase() === filter.createdByUsername.toLowerCase()),
      );
  }

  revoke(workspace: string, tokenId: string): boolean {
    return (
      this.db
        .prepare('UPDATE databricks_tokens SET revoked = 1 WHERE workspace = ? AND token_id = ? AND revoked = 0')
        .run(workspace.toLowerCase(), tokenId).changes > 0
    );
  }
}

interface PrincipalRow {
  workspace: string;
  id: string;
  kind: string;
  application_id: string | null;
  user_name: string | null;
  display_name: string;
  admin: number;
}
interface TokenRow {
  workspace: string;
  token_id: string;
  owner_id: string;
  created_by_id: string;
  created_by_username: string;
  comment: string;
  creation_time: number;
  expiry_time: number;
  revoked: number;
}

function toPrincipal(r: PrincipalRow): WorkspacePrincipal {
  return {
    workspace: r.workspace,
    id: r.id,
    kind: r.kind === 'User' ? 'User' : 'ServicePrincipal',
    applicationId: r.application_id,
    userName: r.user_name,
    displayName: r.display_name,
    admin: r.admin === 1,
  };
}

function toToken(r: TokenRow): StoredToken {
  return {
    workspace: r.workspace,
    tokenId: r.token_id,
    ownerId: r.owner_id,
    createdById: r.created_by_id,
    createdByUsername: r.created_by_username,
    comment: r.comment,
    creationTime: r.creation_time,
    expiryTime: r.expiry_time,
    revoked: r.revoked === 1,
  };
}

function sha256(v: string): string {
  return createHash('sha256').update(v, 'utf8').digest('hex');
}

/** Databricks-style numeric principal id, stable per workspace and identity. */
function numericId(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  return ((h.readBigUInt64BE(0) % 9_000_000_000_000_000n) + 1_000_000_000_000_000n).toString();
}

// ------------------------------------------------------------------ HTTP

/** Databricks' error body: `{"error_code","message"}`. */
function dbxError(status: number, code: string, message: string): EmulatorHttpError {
  return new EmulatorHttpError(status, { error_code: code, message });
}

export class DatabricksDataPlane {
  readonly store: DatabricksStore;
  readonly binder: OriginBinder;

  constructor(readonly ctx: EmulatorContext) {
    this.store = new DatabricksStore(ctx.db);
    this.binder = new OriginBinder(ctx, WORKSPACE_TYPE, workspaceHost, (router, id) => this.registerRoutes(router, id));
  }

  workspaces(): ArmResource[] {
    return listArmResources(this.ctx.db, WORKSPACE_TYPE);
  }

  workspaceByName(name: string): ArmResource | undefined {
    return this.workspaces().find((w) => w.name.toLowerCase() === name.toLowerCase());
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  isLive(t: StoredToken): boolean {
    return !t.revoked && (t.expiryTime < 0 || t.expiryTime > this.now());
  }

  /** The calling workspace principal (Entra token of a workspace principal, or a live PAT). */
  caller(req: EmulatorRequest, ws: ArmResource): WorkspacePrincipal {
    const auth = req.header('authorization');
    const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
    if (!m) {
      throw dbxError(401, 'UNAUTHENTICATED', 'Credential was not sent or was of an unsupported type for this API.');
    }
    const key = ws.id.toLowerCase();
    const bearer = m[1]!;
    if (bearer.startsWith('dapi')) {
      const t = this.store.byValue(key, bearer);
      if (!t || !this.isLive(t)) throw dbxError(403, 'PERMISSION_DENIED', 'Invalid access token.');
      const p = this.store.principal(key, t.ownerId);
      if (!p) throw dbxError(403, 'PERMISSION_DENIED', 'Invalid access token.');
      return p;
    }
    let identity;
    try {
      identity = this.ctx.authenticate(req, [DATABRICKS_AUDIENCE]);
    } catch (e) {
      if (e instanceof EmulatorHttpError && e.status === 401) {
        const err = (e.body as { error?: { message?: string } }).error;
        throw dbxError(401, 'UNAUTHENTICATED', `Invalid Azure AD token: ${err?.message ?? 'not valid'}`);
      }
      throw e;
    }
    const p =
      (identity.appid && identity.principalType === 'ServicePrincipal'
        ? this.store.principalByApp(key, identity.appid)
        : undefined) ?? (identity.upn ? this.store.principalByUser(key, identity.upn) : undefined);
    if (!p) {
      throw dbxError(
        403,
        'PERMISSION_DENIED',
        `${identity.appid ?? identity.upn ?? identity.oid} is not a member of the workspace ${ws.name}.`,
      );
    }
    return p;
  }

  private requireAdmin(p: WorkspacePrincipal): void {
    if (!p.admin) throw dbxError(403, 'PERMISSION_DENIED', 'Only Admins can access token management APIs.');
  }

  private registerRoutes(router: Router, workspaceId: string): void {
    const ws = () => {
      const w = getArmResource(this.ctx.db, workspaceId);
      if (!w) throw dbxError(404, 'RESOURCE_DOES_NOT_EXIST', 'The workspace no longer exists.');
      return w;
    };
    const info = (t: StoredToken, management: boolean) => ({
      token_id: t.tokenId,
      creation_time: t.creationTime,
      expiry_time: t.expiryTime,
      comment: t.comment,
      ...(management
        ? {
            created_by_id: Number(t.createdById),
            created_by_username: t.createdByUsername,
            owner_id: Number(t.ownerId),
          }
        : {}),
    });
    const json = { dialect: 'arm' as const };

    router.post(
      '/api/2.0/token-management/on-behalf-of/tokens',
      (req) => {
        const w = ws();
        const caller = this.caller(req, w);
        this.requireAdmin(caller);
        const b = body(req);
        const appId = b.application_id;
        if (typeof appId !== 'string' || !appId) {
          throw dbxError(400, 'INVALID_PARAMETER_VALUE', 'application_id is required.');
        }
        const lifetime = lifetimeOf(b.lifetime_seconds);
        const comment = commentOf(b.comment);
        const owner = this.store.principalByApp(w.id, appId);
        if (!owner || owner.kind !== 'ServicePrincipal') {
          throw dbxError(
            404,
            'RESOURCE_DOES_NOT_EXIST',
            `Service principal with application ID ${appId} is not a member of the workspace.`,
          );
        }
        const { value, token } = this.store.issue(w.id, owner, caller, comment, lifetime, this.now());
        this.ctx.log('databricks.token.issued', { workspace: w.name, tokenId: token.tokenId, owner: owner.id });
        return { status: 200, body: { token_value: value, token_info: info(token, true) } };
      },
      json,
    );
    router.get('/api/2.0/token-management/tokens', (req) => {
      const w = ws();
      this.requireAdmin(this.caller(req, w));
      const createdById = req.queryParam('created_by_id');
      const createdByUsername = req.queryParam('created_by_username');
      const list = this.store.tokens(w.id, {
        ...(createdById ? { createdById } : {}),
        ...(createdByUsername ? { createdByUsername } : {}),
      });
      return { status: 200, body: list.length ? { token_infos: list.map((t) => info(t, true)) } : {} };
    });
    router.get('/api/2.0/token-management/tokens/{id}', (req) => {
      const w = ws();
      this.requireAdmin(this.caller(req, w));
      const t = this.store.token(w.id, req.params.id ?? '');
      if (!t) throw dbxError(404, 'RESOURCE_DOES_NOT_EXIST', `Token with ID ${req.params.id} does not exist.`);
      return { status: 200, body: { token_info: info(t, true) } };
    });
    router.delete('/api/2.0/token-management/tokens/{id}', (req) => {
      const w = ws();
      this.requireAdmin(this.caller(req, w));
      if (!this.store.revoke(w.id, req.params.id ?? '')) {
        throw dbxError(404, 'RESOURCE_DOES_NOT_EXIST', `Token with ID ${req.params.id} does not exist.`);
      }
      this.ctx.log('databricks.token.revoked', { workspace: w.name, tokenId: req.params.id });
      return { status: 200, body: {} };
    });
    router.post('/api/2.0/token/create', (req) => {
      const w = ws();
      const caller = this.caller(req, w);
      const b = body(req);
      const { value, token } = this.store.issue(
        w.id,
        caller,
        caller,
        commentOf(b.comment),
        lifetimeOf(b.lifetime_seconds),
        this.now(),
      );
      return { status: 200, body: { token_value: value, token_info: info(token, false) } };
    });
    router.get('/api/2.0/token/list', (req) => {
      const w = ws();
      const caller = this.caller(req, w);
      return {
        status: 200,
        body: { token_infos: this.store.tokens(w.id, { ownerId: caller.id }).map((t) => info(t, false)) },
      };
    });
    router.post('/api/2.0/token/delete', (req) => {
      const w = ws();
      const caller = this.caller(req, w);
      const id = body(req).token_id;
      if (typeof id !== 'string') throw dbxError(400, 'INVALID_PARAMETER_VALUE', 'token_id is required.');
      const t = this.store.token(w.id, id);
      if (!t || t.ownerId !== caller.id) {
        throw dbxError(404, 'RESOURCE_DOES_NOT_EXIST', `Token with ID ${id} does not exist.`);
      }
      this.store.revoke(w.id, id);
      return { status: 200, body: {} };
    });
    router.get('/api/2.0/preview/scim/v2/Me', (req) => {
      const w = ws();
      const p = this.caller(req, w);
      return {
        status: 200,
        headers: { 'content-type': 'application/scim+json' },
        body: {
          schemas: [
            p.kind === 'User'
              ? 'urn:ietf:params:scim:schemas:core:2.0:User'
              : 'urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal',
          ],
          id: p.id,
          ...(p.userName ? { userName: p.userName } : {}),
          ...(p.applicationId ? { applicationId: p.applicationId } : {}),
          displayName: p.displayName,
          active: true,
          groups: p.admin ? [{ display: 'admins', type: 'direct', value: numericId(`${w.id}|admins`) }] : [],
        },
      };
    });
    router.add(['GET', 'PUT', 'POST', 'PATCH', 'DELETE'], '/{**rest}', (req) => {
      throw dbxError(
        501,
        'NOT_IMPLEMENTED',
        `The local Azure emulator's Databricks workspace implements only the token and SCIM Me APIs; '${req.method} ${req.path}' is not emulated.`,
      );
    });
  }
}

function workspaceHost(r: ArmResource): string | undefined {
  const url = r.properties.workspaceUrl;
  return typeof url === 'string' ? hostOf(url) : undefined;
}

function body(req: EmulatorRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined) return {};
  if (!b || typeof b !== 'object' || Array.isArray(b)) {
    throw dbxError(400, 'MALFORMED_REQUEST', 'The request body must be a JSON object.');
  }
  return b as Record<string, unknown>;
}

function lifetimeOf(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v > MAX_LIFETIME_SECONDS) {
    throw dbxError(
      400,
      'INVALID_PARAMETER_VALUE',
      `lifetime_seconds must be an integer of at most ${MAX_LIFETIME_SECONDS} (negative or 0: no expiry).`,
    );
  }
  return v;
}

function commentOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string' || v.length > 1024) {
    throw dbxError(400, 'INVALID_PARAMETER_VALUE', 'comment must be a string of at most 1024 characters.');
  }
  return v;
}

// ------------------------------------------------------------------ module

const planes = new WeakMap<EmulatorContext, DatabricksDataPlane>();

export function databricksPlane(ctx: EmulatorContext): DatabricksDataPlane {
  let p = planes.get(ctx);
  if (!p) {
    p = new DatabricksDataPlane(ctx);
    planes.set(ctx, p);
  }
  return p;
}

interface WorldWorkspace {
  workspace: string;
  /** Application ids of workspace service principals. */
  servicePrincipals?: string[];
  /** Application ids (or user principal names) of workspace admins. */
  admins?: string[];
}

function seedDatabricks(world: DemoWorld, ctx: EmulatorContext): void {
  const plane = databricksPlane(ctx);
  const directory = ctx.directory.listPrincipals();
  const nameOf = (appOrUpn: string) =>
    directory.find(
      (p) =>
        p.appId?.toLowerCase() === appOrUpn.toLowerCase() ||
        p.userPrincipalName?.toLowerCase() === appOrUpn.toLowerCase(),
    );
  for (const w of (world.azure?.databricks ?? []) as WorldWorkspace[]) {
    const ws = plane.workspaceByName(w.workspace);
    if (!ws) throw new Error(`world.azure.databricks: no workspace '${w.workspace}' among the ARM resources`);
    const add = (id: string, admin: boolean) => {
      const dir = nameOf(id);
      const isUser = id.includes('@') || dir?.type === 'User';
      const wardenApp = world.warden?.appId?.toLowerCase() === id.toLowerCase();
      plane.store.upsertPrincipal({
        workspace: ws.id,
        kind: isUser ? 'User' : 'ServicePrincipal',
        applicationId: isUser ? null : id,
        userName: isUser ? (dir?.userPrincipalName ?? id) : null,
        displayName: dir?.displayName ?? (wardenApp ? (world.warden?.displayName ?? id) : id),
        admin,
      });
    };
    for (const id of w.servicePrincipals ?? []) add(id, (w.admins ?? []).includes(id));
    for (const id of w.admins ?? []) add(id, true);
  }
}

/** Seeds a `databricks-pat` Key Vault secret: an on-behalf-of token for `onBehalfOf` in `workspace`. */
registerSeedIssuer('databricks-pat', (spec, ctx, secret) => {
  const plane = planes.get(ctx);
  if (!plane) return undefined; // the Databricks module is not loaded in this emulator
  const ws = plane.workspaceByName(typeof spec.workspace === 'string' ? spec.workspace : '');
  if (!ws) throw new Error(`databricks-pat seed: unknown workspace '${String(spec.workspace)}'`);
  const owner = plane.store.principalByApp(ws.id, typeof spec.onBehalfOf === 'string' ? spec.onBehalfOf : '');
  if (!owner) throw new Error(`databricks-pat seed: '${String(spec.onBehalfOf)}' is not a workspace principal`);
  const creator = plane.store.principals(ws.id).find((p) => p.admin) ?? owner;
  const days = typeof secret.expiresInDays === 'number' ? secret.expiresInDays : 90;
  return plane.store.issue(
    ws.id,
    owner,
    creator,
    `seeded for ${secret.name}`,
    Math.round(days * 86400),
    ctx.clock.now(),
  ).value;
});

export function createDatabricksModule(): EmulatorModule {
  const started = new Set<DatabricksDataPlane>();
  return {
    name: 'databricks',
    migrate(db) {
      DatabricksStore.migrate(db);
    },
    register(router, ctx) {
      const plane = databricksPlane(ctx);
      router.get('/admin/databricks/workspaces', () => ({
        status: 200,
        body: {
          value: plane.workspaces().map((w) => {
            const host = workspaceHost(w);
            return {
              name: w.name,
              resourceId: w.id,
              host,
              origin: host ? (plane.binder.origins()[host] ?? null) : null,
              principals: plane.store.principals(w.id),
              tokens: plane.store.tokens(w.id).map((t) => ({ ...t, live: plane.isLive(t) })),
            };
          }),
        },
      }));
      router.put('/admin/databricks/workspaces/{name}/principals/{id}', (req) => {
        const ws = plane.workspaceByName(req.params.name ?? '');
        if (!ws) throw armError(404, 'NotFound', `No Databricks workspace '${req.params.name}'.`);
        const b = (req.body ?? {}) as { admin?: unknown; displayName?: unknown };
        if (b.admin !== undefined && typeof b.admin !== 'boolean') {
          throw armError(400, 'InvalidRequestContent', "'admin' must be a boolean.");
        }
        const id = req.params.id ?? '';
        const isUser = id.includes('@');
        const p = plane.store.upsertPrincipal({
          workspace: ws.id,
          kind: isUser ? 'User' : 'ServicePrincipal',
          applicationId: isUser ? null : id,
          userName: isUser ? id : null,
          displayName: typeof b.displayName === 'string' ? b.displayName : id,
          admin: b.admin === true,
        });
        return { status: 200, body: p };
      });
    },
    async seed(world, ctx) {
      seedDatabricks(world, ctx);
      await databricksPlane(ctx).binder.bind();
    },
    async start(ctx) {
      const plane = databricksPlane(ctx);
      await plane.binder.bind();
      plane.binder.start();
      started.add(plane);
    },
    close() {
      for (const p of started) p.binder.stop();
      started.clear();
    },
  };
}
