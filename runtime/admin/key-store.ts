import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The layout of `<stateDir>/keys.json` (mode 0600). */
export interface KeyFile {
  /** The master key (`_master`): admin endpoints, every `authLevel`, every system endpoint. */
  masterKey: string;
  /** Host keys: valid for every `function`-level function. */
  hostKeys: Record<string, string>;
  /** Function keys, per function name: valid for that function only. */
  functionKeys: Record<string, Record<string, string>>;
  /** System keys for extension endpoints, e.g. `eventgrid_extension` for /runtime/webhooks/eventgrid. */
  systemKeys: Record<string, string>;
}

export type AuthLevel = 'anonymous' | 'function' | 'admin';

/** Which key matched, for logs (the key's name, never its value). */
export interface KeyMatch {
  kind: 'master' | 'host' | 'function' | 'system';
  name: string;
}

/**
 * Function keys as the Azure Functions host keeps them (master, host, function and system keys), generated on first
 * start and kept under the state directory.
 *
 * @remarks
 * `func start` does not check keys at all; the Azure host does, and this runtime does too, so a key missing in a
 * client is found locally. Keys are 40 random bytes in URL-safe base64, like the host's. Comparison is
 * constant-time.
 */
export class KeyStore {
  private constructor(
    readonly file: string,
    private keys: KeyFile,
  ) {}

  /** Loads `<stateDir>/keys.json`, creating it (and any missing key) on first use. */
  static open(stateDir: string): KeyStore {
    const file = path.join(stateDir, 'keys.json');
    let keys: KeyFile | undefined;
    if (existsSync(file)) {
      try {
        keys = normalise(JSON.parse(readFileSync(file, 'utf8')));
      } catch (e) {
        throw new Error(
          `Start-up failed: the key store ${file} is unreadable (${(e as Error).message}); delete it to regenerate.`,
          { cause: e },
        );
      }
    }
    const store = new KeyStore(file, keys ?? { masterKey: '', hostKeys: {}, functionKeys: {}, systemKeys: {} });
    let changed = keys === undefined;
    if (!store.keys.masterKey) {
      store.keys.masterKey = newKey();
      changed = true;
    }
    if (!store.keys.hostKeys.default) {
      store.keys.hostKeys.default = newKey();
      changed = true;
    }
    if (changed) store.save();
    return store;
  }

  get masterKey(): string {
    return this.keys.masterKey;
  }

  /** Makes sure each named function has a `default` key and each named system key exists; saves when one was added. */
  ensure(functionNames: Iterable<string>, systemKeyNames: Iterable<string> = []): void {
    let changed = false;
    for (const name of functionNames) {
      const keys = (this.keys.functionKeys[name] ??= {});
      if (!keys.default) {
        keys.default = newKey();
        changed = true;
      }
    }
    for (const name of systemKeyNames) {
      if (!this.keys.systemKeys[name]) {
        this.keys.systemKeys[name] = newKey();
        changed = true;
      }
    }
    if (changed) this.save();
  }

  systemKey(name: string): string {
    this.ensure([], [name]);
    return this.keys.systemKeys[name] as string;
  }

  functionKey(functionName: string): string {
    this.ensure([functionName]);
    return this.keys.functionKeys[functionName]?.default as string;
  }

  /** A copy of every key, for the admin endpoint (master key required there). */
  snapshot(): KeyFile {
    return JSON.parse(JSON.stringify(this.keys)) as KeyFile;
  }

  /**
   * Checks a presented key for an HTTP function of the given auth level, as the host does: `anonymous` needs none;
   * `function` accepts that function's keys, any host key, or the master key; `admin` only the master key.
   */
  authorizeFunction(level: AuthLevel, functionName: string, presented: string | undefined): KeyMatch | undefined {
    if (level === 'anonymous') return { kind: 'host', name: 'anonymous' };
    if (!presented) return undefined;
    if (same(presented, this.keys.masterKey)) return { kind: 'master', name: '_master' };
    if (level === 'admin') return undefined;
    for (const [name, key] of Object.entries(this.keys.hostKeys)) {
      if (same(presented, key)) return { kind: 'host', name };
    }
    for (const [name, key] of Object.entries(this.keys.functionKeys[functionName] ?? {})) {
      if (same(presented, key)) return { kind: 'function', name };
    }
    return undefined;
  }

  /** Checks a key for a system (extension) endpoint: its system key, or the master key. */
  authorizeSystem(systemKeyName: string, presented: string | undefined): KeyMatch | undefined {
    if (!presented) return undefined;
    if (same(presented, this.keys.masterKey)) return { kind: 'master', name: '_master' };
    const key = this.keys.systemKeys[systemKeyName];
    if (key && same(presented, key)) return { kind: 'system', name: systemKeyName };
    return undefined;
  }

  /** Checks the master key (admin endpoints). */
  authorizeMaster(presented: string | undefined): boolean {
    return presented !== undefined && same(presented, this.keys.masterKey);
  }

  private save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.keys, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
    try {
      chmodSync(this.file, 0o600);
    } catch {
      // best effort on filesystems without modes
    }
  }
}

/** A new key: 40 random bytes, URL-safe base64 (so it can go in `?code=` unescaped). */
export function newKey(): string {
  return randomBytes(40).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function normalise(value: unknown): KeyFile {
  if (!value || typeof value !== 'object') throw new Error('not an object');
  const v = value as Partial<KeyFile>;
  const strings = (o: unknown): Record<string, string> =>
    Object.fromEntries(
      Object.entries(o && typeof o === 'object' ? o : {}).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
  const functionKeys: Record<string, Record<string, string>> = {};
  for (const [fn, keys] of Object.entries(v.functionKeys && typeof v.functionKeys === 'object' ? v.functionKeys : {})) {
    functionKeys[fn] = strings(keys);
  }
  return {
    masterKey: typeof v.masterKey === 'string' ? v.masterKey : '',
    hostKeys: strings(v.hostKeys),
    functionKeys,
    systemKeys: strings(v.systemKeys),
  };
}
