/**
 * The emulated tenant's directory in SQLite: principals (users, groups, service principals, managed identities),
 * app registrations with their app roles and client secrets, and app role assignments.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import type { DirectoryPrincipal } from '../core/module';

/** Well-known first-party applications the emulator knows by app id. */
export const FIRST_PARTY = {
  azurePortal: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
  actionGroups: '461e8683-5575-4561-ac7f-899cc907d62a',
  eventGrid: '4962773b-9cdb-44cf-a8bf-237846a00ab7',
} as const;

/** Object id of the built-in "Emulator Admin" user, the default actor of admin API changes. */
export const EMULATOR_ADMIN_ID = 'e0a1d0e5-0000-4000-8000-00000000ad01';

export interface AppRegistration {
  appId: string;
  displayName: string;
  /** Object id of the app's service principal in this tenant (the `oid` of its app-only tokens). */
  servicePrincipalId: string;
  identifierUris: string[];
  appRoles: Array<{ id: string; value: string }>;
  /** `accessTokenAcceptedVersion` of the API this app exposes: 1 (aud = identifier URI) or 2 (aud = app id). */
  tokenVersion: 1 | 2;
  publicClient: boolean;
  managedIdentity: boolean;
}

interface AppRow {
  app_id: string;
  display_name: string;
  sp_object_id: string;
  identifier_uris: string;
  app_roles: string;
  token_version: number;
  public_client: number;
  managed_identity: number;
}

interface PrincipalRow {
  id: string;
  type: string;
  display_name: string;
  upn: string | null;
  app_id: string | null;
  password_hash: string | null;
}

/** A GUID derived from a name (stable across resets), for objects the world file does not name. */
export function stableGuid(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function hash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class DirectoryStore {
  constructor(private readonly db: DatabaseSync) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS entra_principals (
        id TEXT PRIMARY KEY COLLATE NOCASE, type TEXT NOT NULL, display_name TEXT NOT NULL,
        upn TEXT COLLATE NOCASE, app_id TEXT COLLATE NOCASE, password_hash TEXT);
      CREATE TABLE IF NOT EXISTS entra_apps (
        app_id TEXT PRIMARY KEY COLLATE NOCASE, display_name TEXT NOT NULL, sp_object_id TEXT NOT NULL COLLATE NOCASE,
        identifier_uris TEXT NOT NULL DEFAULT '[]', app_roles TEXT NOT NULL DEFAULT '[]',
        token_version INTEGER NOT NULL DEFAULT 1, public_client INTEGER NOT NULL DEFAULT 0,
        managed_identity INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS entra_app_secrets (
        id TEXT PRIMARY KEY, app_id TEXT NOT NULL COLLATE NOCASE, hash TEXT NOT NULL, hint TEXT NOT NULL,
        display_name TEXT, created_at TEXT NOT NULL, expires_at TEXT);
      CREATE TABLE IF NOT EXISTS entra_app_role_assignments (
        principal_id TEXT NOT NULL COLLATE NOCASE, resource_app_id TEXT NOT NULL COLLATE NOCASE, role TEXT NOT NULL,
        PRIMARY KEY (principal_id, resource_app_id, role));
    `);
  }

  upsertPrincipal(p: DirectoryPrincipal): void {
    this.db
      .prepare(
        `INSERT INTO entra_principals (id, type, display_name, upn, app_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET type = excluded.type, display_name = excluded.display_name,
           upn = excluded.upn, app_id = excluded.app_id`,
      )
      .run(p.id, p.type, p.displayName, p.userPrincipalName ?? null, p.appId ?? null);
  }

  getPrincipal(id: string): DirectoryPrincipal | undefined {
    const row = this.db.prepare('SELECT * FROM entra_principals WHERE id = ?').get(id) as PrincipalRow | undefined;
    return row ? toPrincipal(row) : undefined;
  }

  findUser(upnOrId: string): DirectoryPrincipal | undefined {
    const row = this.db
      .prepare(`SELECT * FROM entra_principals WHERE type = 'User' AND (upn = ? OR id = ?)`)
      .get(upnOrId, upnOrId) as PrincipalRow | undefined;
    return row ? toPrincipal(row) : undefined;
  }

  listPrincipals(): DirectoryPrincipal[] {
    return (
      this.db.prepare('SELECT * FROM entra_principals ORDER BY type, display_name').all() as unknown as PrincipalRow[]
    ).map(toPrincipal);
  }

  /** Sets a user's password (stored as a hash); returns the password. */
  setPassword(userId: string, password: string = randomBytes(18).toString('base64url')): string {
    this.db.prepare('UPDATE entra_principals SET password_hash = ? WHERE id = ?').run(hash(password), userId);
    return password;
  }

  checkPassword(userId: string, password: string): boolean {
    const row = this.db.prepare('SELECT password_hash FROM entra_principals WHERE id = ?').get(userId) as
      { password_hash: string | null } | undefined;
    return !!row?.password_hash && sameHash(row.password_hash, hash(password));
  }

  upsertApp(app: Omit<AppRegistration, 'servicePrincipalId'> & { servicePrincipalId?: string }): AppRegistration {
    const existing = this.getApp(app.appId);
    const spId = app.servicePrincipalId ?? existing?.servicePrincipalId ?? randomUUID();
    this.db
      .prepare(
        `INSERT INTO entra_apps (app_id, display_name, sp_object_id, identifier_uris, app_roles, token_version, public_client, managed_identity)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(app_id) DO UPDATE SET display_name = excluded.display_name, sp_object_id = excluded.sp_object_id,
           identifier_uris = excluded.identifier_uris, app_roles = excluded.app_roles, token_version = excluded.token_version,
           public_client = excluded.public_client, managed_identity = excluded.managed_identity`,
      )
      .run(
        app.appId,
        app.displayName,
        spId,
        JSON.stringify(app.identifierUris),
        JSON.stringify(app.appRoles),
        app.tokenVersion,
        app.publicClient ? 1 : 0,
        app.managedIdentity ? 1 : 0,
      );
    if (!this.getPrincipal(spId)) {
      this.upsertPrincipal({ id: spId, type: 'ServicePrincipal', displayName: app.displayName, appId: app.appId });
    }
    return this.getApp(app.appId)!;
  }

  getApp(appId: string): AppRegistration | undefined {
    const row = this.db.prepare('SELECT * FROM entra_apps WHERE app_id = ?').get(appId) as AppRow | undefined;
    return row ? toApp(row) : undefined;
  }

  listApps(): AppRegistration[] {
    return (this.db.prepare('SELECT * FROM entra_apps ORDER BY display_name').all() as unknown as AppRow[]).map(toApp);
  }

  appByServicePrincipal(oid: string): AppRegistration | undefined {
    const row = this.db.prepare('SELECT * FROM entra_apps WHERE sp_object_id = ?').get(oid) as AppRow | undefined;
    return row ? toApp(row) : undefined;
  }

  /** The app whose identifier URI (trailing slash ignored) or app id equals `resource`. */
  appByResource(resource: string): AppRegistration | undefined {
    const norm = resource.replace(/\/+$/, '').toLowerCase();
    const byId = this.getApp(norm);
    if (byId) return byId;
    return this.listApps().find((a) => a.identifierUris.some((u) => u.replace(/\/+$/, '').toLowerCase() === norm));
  }

  /** Adds a client secret; returns the secret (shown once) and its metadata. */
  addSecret(
    appId: string,
    createdAt: string,
    opts: { displayName?: string; expiresAt?: string } = {},
  ): { id: string; secret: string; hint: string } {
    const secret = `${randomBytes(3).toString('hex').slice(0, 3)}8Q~${randomBytes(27).toString('base64url')}`;
    const id = randomUUID();
    const hint = secret.slice(0, 3);
    this.db
      .prepare(
        'INSERT INTO entra_app_secrets (id, app_id, hash, hint, display_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, appId, hash(secret), hint, opts.displayName ?? null, createdAt, opts.expiresAt ?? null);
    return { id, secret, hint };
  }

  listSecrets(appId?: string): Array<{
    id: string;
    appId: string;
    hint: string;
    displayName: string | null;
    createdAt: string;
    expiresAt: string | null;
  }> {
    const rows = (appId
      ? this.db.prepare('SELECT * FROM entra_app_secrets WHERE app_id = ? ORDER BY created_at').all(appId)
      : this.db.prepare('SELECT * FROM entra_app_secrets ORDER BY app_id, created_at').all()) as unknown as Array<{
      id: string;
      app_id: string;
      hint: string;
      display_name: string | null;
      created_at: string;
      expires_at: string | null;
    }>;
    return rows.map((r) => ({
      id: r.id,
      appId: r.app_id,
      hint: r.hint,
      displayName: r.display_name,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    }));
  }

  deleteSecret(appId: string, id: string): boolean {
    return this.db.prepare('DELETE FROM entra_app_secrets WHERE app_id = ? AND id = ?').run(appId, id).changes > 0;
  }

  /** 'ok', 'expired' or 'wrong' for a presented secret, judged at `nowIso`. */
  checkSecret(appId: string, secret: string, nowIso: string): 'ok' | 'expired' | 'wrong' {
    const h = hash(secret);
    const rows = this.db
      .prepare('SELECT hash, expires_at FROM entra_app_secrets WHERE app_id = ?')
      .all(appId) as unknown as Array<{
      hash: string;
      expires_at: string | null;
    }>;
    const row = rows.find((r) => sameHash(r.hash, h));
    if (!row) return 'wrong';
    return row.expires_at && row.expires_at <= nowIso ? 'expired' : 'ok';
  }

  assignAppRole(principalId: string, resourceAppId: string, role: string): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO entra_app_role_assignments (principal_id, resource_app_id, role) VALUES (?, ?, ?)',
      )
      .run(principalId, resourceAppId, role);
  }

  unassignAppRole(principalId: string, resourceAppId: string, role: string): boolean {
    return (
      this.db
        .prepare('DELETE FROM entra_app_role_assignments WHERE principal_id = ? AND resource_app_id = ? AND role = ?')
        .run(principalId, resourceAppId, role).changes > 0
    );
  }

  rolesOf(principalId: string, resourceAppId: string): string[] {
    return (
      this.db
        .prepare(
          'SELECT role FROM entra_app_role_assignments WHERE principal_id = ? AND resource_app_id = ? ORDER BY role',
        )
        .all(principalId, resourceAppId) as unknown as Array<{ role: string }>
    ).map((r) => r.role);
  }

  listAppRoleAssignments(): Array<{ principalId: string; resourceAppId: string; role: string }> {
    return (
      this.db
        .prepare('SELECT * FROM entra_app_role_assignments ORDER BY resource_app_id, principal_id, role')
        .all() as unknown as Array<{
        principal_id: string;
        resource_app_id: string;
        role: string;
      }>
    ).map((r) => ({ principalId: r.principal_id, resourceAppId: r.resource_app_id, role: r.role }));
  }
}

function toPrincipal(row: PrincipalRow): DirectoryPrincipal {
  const p: DirectoryPrincipal = {
    id: row.id,
    type: row.type as DirectoryPrincipal['type'],
    displayName: row.display_name,
  };
  if (row.upn) p.userPrincipalName = row.upn;
  if (row.app_id) p.appId = row.app_id;
  return p;
}

function toApp(row: AppRow): AppRegistration {
  return {
    appId: row.app_id,
    displayName: row.display_name,
    servicePrincipalId: row.sp_object_id,
    identifierUris: JSON.parse(row.identifier_uris) as string[],
    appRoles: JSON.parse(row.app_roles) as Array<{ id: string; value: string }>,
    tokenVersion: row.token_version === 2 ? 2 : 1,
    publicClient: row.public_client === 1,
    managedIdentity: row.managed_identity === 1,
  };
}
