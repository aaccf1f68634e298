/**
 * Encryption at rest for secret values: AES-256-GCM under a data key generated on first start in the state dir
 * (`keyvault-data-key`, mode 0600, kept across resets). Each value gets a fresh 96-bit IV; the additional
 * authenticated data binds the ciphertext to its vault, secret and version, so rows cannot be swapped.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DATA_KEY_FILE = 'keyvault-data-key';

/** Seals and opens values bound to an additional-data string. */
export interface Cipher {
  encrypt(plaintext: string, aad: string): string;
  decrypt(sealed: string, aad: string): string;
}

export class ValueCipher implements Cipher {
  private constructor(private readonly key: Buffer) {}

  /** Loads the data key from `stateDir`, creating it (32 random bytes, base64, mode 0600) when absent. */
  static loadOrCreate(stateDir: string): ValueCipher {
    const file = path.join(stateDir, DATA_KEY_FILE);
    if (!existsSync(file)) {
      try {
        writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    chmodSync(file, 0o600);
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 256-bit key`);
    return new ValueCipher(key);
  }

  /** `base64(iv ‖ tag ‖ ciphertext)`. */
  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
  }

  decrypt(sealed: string, aad: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }
}
