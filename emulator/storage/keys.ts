/**
 * Storage account access keys (key1, key2): generated per account on first use (64 random bytes, base64, as Azure's),
 * encrypted at rest with the emulator's data key, regenerated one at a time. `listKeys` / `regenerateKey` reach them
 * through the ARM storage provider's actions (emulator/arm/providers/storage.ts), the blob data plane verifies
 * Shared Key signatures against them.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { idKey } from '../arm/ids';
import type { EmulatorContext } from '../core/module';
import type { Cipher } from '../keyvault/cipher';

export const KEY_NAMES = ['key1', 'key2'] as const;
export type KeyName = (typeof KEY_NAMES)[number];

export interface AccountKey {
  keyName: KeyName;
  value: string;
  permissions: 'FULL';
  creationTime: string;
}

export class StorageKeyStore {
  constructor(
    private readonly db: DatabaseSync,
    private readonly cipher: Cipher,
  ) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS storage_account_keys (
        account TEXT NOT NULL, key_name TEXT NOT NULL, value TEXT NOT NULL, creation_time TEXT NOT NULL,
        PRIMARY KEY (account, key_name));
    `);
  }

  private aad(accountId: string, keyName: string): string {
    return `storage|${idKey(accountId)}|${keyName}`;
  }

  /** The account's two keys, created (with `creationTime`) when the account has none yet. */
  keys(accountId: string, creationTime: string): AccountKey[] {
    const key = idKey(accountId);
    for (const name of KEY_NAMES) {
      this.db
        .prepare(
          'INSERT INTO storage_account_keys (account, key_name, value, creation_time) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(key, name, this.cipher.encrypt(newKey(), this.aad(accountId, name)), creationTime);
    }
    const rows = this.db
      .prepare('SELECT key_name, value, creation_time FROM storage_account_keys WHERE account = ? ORDER BY key_name')
      .all(key) as Array<{ key_name: KeyName; value: string; creation_time: string }>;
    return rows.map((r) => ({
      keyName: r.key_name,
      value: this.cipher.decrypt(r.value, this.aad(accountId, r.key_name)),
      permissions: 'FULL',
      creationTime: r.creation_time,
    }));
  }

  /** Replaces one key with a new random one; returns both keys. */
  regenerate(accountId: string, keyName: KeyName, now: string): AccountKey[] {
    this.keys(accountId, now);
    this.db
      .prepare('UPDATE storage_account_keys SET value = ?, creation_time = ? WHERE account = ? AND key_name = ?')
      .run(this.cipher.encrypt(newKey(), this.aad(accountId, keyName)), now, idKey(accountId), keyName);
    return this.keys(accountId, now);
  }

  /** Forgets an account's keys (the account was deleted). */
  forget(accountId: string): void {
    this.db.prepare('DELETE FROM storage_account_keys WHERE account = ?').run(idKey(accountId));
  }
}

function newKey(): string {
  return randomBytes(64).toString('base64');
}

/**
 * The key stores of the running emulators in this process, so the ARM provider's actions (which get the request, not
 * the context) find theirs: by the origin the request came in on, which is the emulator's base URL.
 */
const stores = new Set<{ ctx: EmulatorContext; store: StorageKeyStore }>();

export function registerKeyStore(ctx: EmulatorContext, store: StorageKeyStore): () => void {
  const entry = { ctx, store };
  stores.add(entry);
  return () => stores.delete(entry);
}

export function keyStoreForOrigin(origin: string): StorageKeyStore | undefined {
  for (const e of stores) if (e.ctx.baseUrl === origin) return e.store;
  return undefined;
}

export function keyStoreForContext(ctx: EmulatorContext): StorageKeyStore | undefined {
  for (const e of stores) if (e.ctx === ctx) return e.store;
  return undefined;
}
