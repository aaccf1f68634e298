/**
 * Key Vault secrets in the emulator's SQLite database: one row per version (value encrypted, see cipher.ts), plus
 * soft-deleted secret names. Times are unix seconds on the emulator clock, as Key Vault reports them.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import type { Cipher } from './cipher';

export interface SecretAttributes {
  enabled: boolean;
  nbf: number | null;
  exp: number | null;
  created: number;
  updated: number;
}

export interface SecretVersion {
  /** The vault's name, lower-case. */
  vault: string;
  name: string;
  /** 32 lower-case hex characters. */
  version: string;
  contentType: string | null;
  tags: Record<string, string> | null;
  attributes: SecretAttributes;
  /** Creation order across the vault (latest = highest). */
  seq: number;
}

export interface DeletedSecret {
  vault: string;
  name: string;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface NewVersion {
  value: string;
  contentType?: string | null;
  tags?: Record<string, string> | null;
  enabled?: boolean;
  nbf?: number | null;
  exp?: number | null;
}

export interface PropertyChange {
  contentType?: string | null;
  tags?: Record<string, string> | null;
  enabled?: boolean;
  nbf?: number | null;
  exp?: number | null;
}

/** An expiry event due for one version. */
export interface DueEvent {
  kind: 'near' | 'expired';
  secret: SecretVersion;
}

/** Key Vault fires SecretNearExpiry 30 days before `exp`. */
export const NEAR_EXPIRY_SECONDS = 30 * 24 * 3600;

interface Row {
  vault: string;
  name: string;
  version: string;
  value: string;
  content_type: string | null;
  tags: string | null;
  enabled: number;
  nbf: number | null;
  exp: number | null;
  created: number;
  updated: number;
  seq: number;
}

export class SecretStore {
  constructor(
    private readonly db: DatabaseSync,
    private readonly cipher: Cipher,
  ) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS keyvault_secrets (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        vault TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE, version TEXT NOT NULL,
        value TEXT NOT NULL, content_type TEXT, tags TEXT, enabled INTEGER NOT NULL, nbf INTEGER, exp INTEGER,
        created INTEGER NOT NULL, updated INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
        near_expiry_sent INTEGER NOT NULL DEFAULT 0, expired_sent INTEGER NOT NULL DEFAULT 0,
        UNIQUE (vault, name, version));
      CREATE INDEX IF NOT EXISTS keyvault_secrets_exp ON keyvault_secrets (exp) WHERE exp IS NOT NULL;
      CREATE TABLE IF NOT EXISTS keyvault_deleted (
        vault TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE, deleted_date INTEGER NOT NULL,
        scheduled_purge_date INTEGER NOT NULL, PRIMARY KEY (vault, name));
    `);
  }

  private aad(vault: string, name: string, version: string): string {
    return `${vault.toLowerCase()}|${name.toLowerCase()}|${version}`;
  }

  /** Adds a version (the new latest). */
  set(vault: string, name: string, input: NewVersion, now: number): SecretVersion {
    const version = randomBytes(16).toString('hex');
    const v = vault.toLowerCase();
    const existingName = this.canonicalName(v, name) ?? name;
    this.db
      .prepare(
        `INSERT INTO keyvault_secrets (vault, name, version, value, content_type, tags, enabled, nbf, exp, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        v,
        existingName,
        version,
        this.cipher.encrypt(input.value, this.aad(v, name, version)),
        input.contentType ?? null,
        input.tags ? JSON.stringify(input.tags) : null,
        input.enabled === false ? 0 : 1,
        input.nbf ?? null,
        input.exp ?? null,
        now,
        now,
      );
    return this.get(v, name, version)!;
  }

  /** The name as first stored (Key Vault keeps the original casing). */
  private canonicalName(vault: string, name: string): string | undefined {
    const row = this.db
      .prepare('SELECT name FROM keyvault_secrets WHERE vault = ? AND name = ? ORDER BY seq LIMIT 1')
      .get(vault, name) as { name: string } | undefined;
    return row?.name;
  }

  /** A live (not deleted) version, or the latest when `version` is empty. */
  get(vault: string, name: string, version?: string): SecretVersion | undefined {
    const row = version
      ? this.db
          .prepare('SELECT * FROM keyvault_secrets WHERE vault = ? AND name = ? AND version = ? AND deleted = 0')
          .get(vault.toLowerCase(), name, version.toLowerCase())
      : this.db
          .prepare(
            'SELECT * FROM keyvault_secrets WHERE vault = ? AND name = ? AND deleted = 0 ORDER BY seq DESC LIMIT 1',
          )
          .get(vault.toLowerCase(), name);
    return row ? toVersion(row as unknown as Row) : undefined;
  }

  /** The latest enabled live version (what a consumer reading "the secret" gets). */
  latestEnabled(vault: string, name: string): SecretVersion | undefined {
    const row = this.db
      .prepare(
        'SELECT * FROM keyvault_secrets WHERE vault = ? AND name = ? AND deleted = 0 AND enabled = 1 ORDER BY seq DESC LIMIT 1',
      )
      .get(vault.toLowerCase(), name);
    return row ? toVersion(row as unknown as Row) : undefined;
  }

  /** The decrypted value of a version. */
  reveal(s: SecretVersion): string {
    const row = this.db
      .prepare('SELECT value FROM keyvault_secrets WHERE vault = ? AND name = ? AND version = ?')
      .get(s.vault, s.name, s.version) as { value: string } | undefined;
    if (!row) throw new Error('secret version vanished');
    return this.cipher.decrypt(row.value, this.aad(s.vault, s.name, s.version));
  }

  /** Every live version of a secret, newest first. */
  versions(vault: string, name: string): SecretVersion[] {
    return (
      this.db
        .prepare('SELECT * FROM keyvault_secrets WHERE vault = ? AND name = ? AND deleted = 0 ORDER BY seq DESC')
        .all(vault.toLowerCase(), name) as unknown as Row[]
    ).map(toVersion);
  }

  /** The latest version of every live secret of a vault, by name. */
  latestOfEach(vault: string): SecretVersion[] {
    return (
      this.db
        .prepare(
          `SELECT s.* FROM keyvault_secrets s
           JOIN (SELECT name, MAX(seq) AS m FROM keyvault_secrets WHERE vault = ? AND deleted = 0 GROUP BY name) l
             ON s.seq = l.m ORDER BY s.name`,
        )
        .all(vault.toLowerCase()) as unknown as Row[]
    ).map(toVersion);
  }

  update(s: SecretVersion, change: PropertyChange, now: number): SecretVersion {
    const next = {
      contentType: change.contentType !== undefined ? change.contentType : s.contentType,
      tags: change.tags !== undefined ? change.tags : s.tags,
      enabled: change.enabled ?? s.attributes.enabled,
      nbf: change.nbf !== undefined ? change.nbf : s.attributes.nbf,
      exp: change.exp !== undefined ? change.exp : s.attributes.exp,
    };
    const expChanged = next.exp !== s.attributes.exp;
    this.db
      .prepare(
        `UPDATE keyvault_secrets SET content_type = ?, tags = ?, enabled = ?, nbf = ?, exp = ?, updated = ?
           ${expChanged ? ', near_expiry_sent = 0, expired_sent = 0' : ''}
         WHERE vault = ? AND name = ? AND version = ?`,
      )
      .run(
        next.contentType,
        next.tags ? JSON.stringify(next.tags) : null,
        next.enabled ? 1 : 0,
        next.nbf,
        next.exp,
        now,
        s.vault,
        s.name,
        s.version,
      );
    return this.get(s.vault, s.name, s.version)!;
  }

  // ---- soft delete

  softDelete(vault: string, name: string, now: number, retentionDays: number): DeletedSecret {
    const v = vault.toLowerCase();
    this.db.prepare('UPDATE keyvault_secrets SET deleted = 1 WHERE vault = ? AND name = ?').run(v, name);
    this.db
      .prepare(
        `INSERT INTO keyvault_deleted (vault, name, deleted_date, scheduled_purge_date) VALUES (?, ?, ?, ?)
         ON CONFLICT(vault, name) DO UPDATE SET deleted_date = excluded.deleted_date,
           scheduled_purge_date = excluded.scheduled_purge_date`,
      )
      .run(v, name, now, now + retentionDays * 86400);
    return this.deleted(v, name)!;
  }

  deleted(vault: string, name: string): DeletedSecret | undefined {
    const row = this.db
      .prepare('SELECT * FROM keyvault_deleted WHERE vault = ? AND name = ?')
      .get(vault.toLowerCase(), name) as
      { vault: string; name: string; deleted_date: number; scheduled_purge_date: number } | undefined;
    if (!row) return undefined;
    const canonical =
      (
        this.db
          .prepare('SELECT name FROM keyvault_secrets WHERE vault = ? AND name = ? LIMIT 1')
          .get(row.vault, row.name) as { name: string } | undefined
      )?.name ?? row.name;
    return {
      vault: row.vault,
      name: canonical,
      deletedDate: row.deleted_date,
      scheduledPurgeDate: row.scheduled_purge_date,
    };
  }

  listDeleted(vault: string): DeletedSecret[] {
    const names = this.db
      .prepare('SELECT name FROM keyvault_deleted WHERE vault = ? ORDER BY name')
      .all(vault.toLowerCase()) as Array<{ name: string }>;
    return names.map((n) => this.deleted(vault, n.name)!).filter(Boolean);
  }

  /** The latest version of a deleted secret (for DeletedSecretBundle). */
  latestDeleted(vault: string, name: string): SecretVersion | undefined {
    const row = this.db
      .prepare('SELECT * FROM keyvault_secrets WHERE vault = ? AND name = ? AND deleted = 1 ORDER BY seq DESC LIMIT 1')
      .get(vault.toLowerCase(), name);
    return row ? toVersion(row as unknown as Row) : undefined;
  }

  /** Removes a secret and all its versions for good. */
  purge(vault: string, name: string): boolean {
    const v = vault.toLowerCase();
    const n = this.db.prepare('DELETE FROM keyvault_deleted WHERE vault = ? AND name = ?').run(v, name).changes;
    this.db.prepare('DELETE FROM keyvault_secrets WHERE vault = ? AND name = ?').run(v, name);
    return n > 0;
  }

  recover(vault: string, name: string): boolean {
    const v = vault.toLowerCase();
    const n = this.db.prepare('DELETE FROM keyvault_deleted WHERE vault = ? AND name = ?').run(v, name).changes;
    if (n) this.db.prepare('UPDATE keyvault_secrets SET deleted = 0 WHERE vault = ? AND name = ?').run(v, name);
    return n > 0;
  }

  // ---- expiry events

  /** Versions whose SecretNearExpiry (`exp` − 30 days) or SecretExpired (`exp`) is due and not yet sent. */
  dueEvents(now: number): DueEvent[] {
    const rows = this.db
      .prepare(
        `SELECT *, (near_expiry_sent = 0 AND exp - ? <= ?) AS near_due, (expired_sent = 0 AND exp <= ?) AS exp_due
         FROM keyvault_secrets
         WHERE deleted = 0 AND exp IS NOT NULL AND ((near_expiry_sent = 0 AND exp - ? <= ?) OR (expired_sent = 0 AND exp <= ?))
         ORDER BY seq`,
      )
      .all(NEAR_EXPIRY_SECONDS, now, now, NEAR_EXPIRY_SECONDS, now, now) as unknown as Array<
      Row & { near_due: number; exp_due: number }
    >;
    const out: DueEvent[] = [];
    for (const r of rows) {
      if (r.near_due) out.push({ kind: 'near', secret: toVersion(r) });
      if (r.exp_due) out.push({ kind: 'expired', secret: toVersion(r) });
    }
    return out;
  }

  markSent(e: DueEvent): void {
    const col = e.kind === 'near' ? 'near_expiry_sent' : 'expired_sent';
    this.db
      .prepare(`UPDATE keyvault_secrets SET ${col} = 1 WHERE vault = ? AND name = ? AND version = ?`)
      .run(e.secret.vault, e.secret.name, e.secret.version);
  }

  /** Marks the expiry events of every version as sent (seeding is silent, as ARM's is). */
  markAllDueAsSent(now: number): void {
    for (const e of this.dueEvents(now)) this.markSent(e);
  }
}

function toVersion(r: Row): SecretVersion {
  return {
    vault: r.vault,
    name: r.name,
    version: r.version,
    contentType: r.content_type,
    tags: r.tags ? (JSON.parse(r.tags) as Record<string, string>) : null,
    attributes: {
      enabled: r.enabled === 1,
      nbf: r.nbf,
      exp: r.exp,
      created: r.created,
      updated: r.updated,
    },
    seq: r.seq,
  };
}
