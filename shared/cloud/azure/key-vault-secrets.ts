/**
 * {@link SecretVault} on `@azure/keyvault-secrets`: one `SecretClient` per vault, built lazily and kept. Under
 * WARDEN_HOST_OVERRIDES the client talks to the emulator's origin for the vault's host, and only then is the
 * challenge's resource check relaxed (the emulator's origin is not `*.vault.azure.net`).
 */
import type { TokenCredential } from '@azure/identity';
import { type SecretClientOptions, type SecretProperties } from '@azure/keyvault-secrets';
import { SecretClient } from '@azure/keyvault-secrets';

import { NotFoundError } from '../../domain/errors';
import type {
  SecretPropertiesPatch,
  SecretVault,
  SecretVersionProperties,
  SetSecretOptions,
} from '../ports/secret-vault.port';
import { armErrorInfo, toWardenError } from './arm-clients';
import { isOverridden, resolveHost } from './host-overrides';

export interface KeyVaultConnection {
  readonly credential: TokenCredential;
  /** Real host → local origin (settings.azure.hostOverrides); empty on Azure. */
  readonly hostOverrides: Readonly<Record<string, string>>;
  /** Extra CA (in-process tests against the emulator; the launcher uses NODE_EXTRA_CA_CERTS). */
  readonly tlsCa?: string;
  readonly maxRetries?: number;
  /** Waits between purge attempts (tests pass a short one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function base(vaultUri: string): string {
  const u = new URL(vaultUri);
  return `${u.protocol}//${u.host.toLowerCase()}/`;
}

function iso(d: Date | undefined): string | null {
  return d ? d.toISOString() : null;
}

function toProperties(vaultUri: string, p: SecretProperties): SecretVersionProperties {
  return {
    vaultUri: base(vaultUri),
    name: p.name,
    version: p.version ?? '',
    enabled: p.enabled !== false,
    expiresOn: iso(p.expiresOn),
    notBefore: iso(p.notBefore),
    createdOn: iso(p.createdOn),
    updatedOn: iso(p.updatedOn),
    contentType: p.contentType ?? null,
    tags: { ...(p.tags ?? {}) },
  };
}

const dateOf = (v: string | null | undefined): Date | undefined => (v ? new Date(v) : undefined);

export class KeyVaultSecrets implements SecretVault {
  private readonly clients = new Map<string, SecretClient>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly connection: KeyVaultConnection) {
    this.sleep = connection.sleep ?? realSleep;
  }

  private client(vaultUri: string): SecretClient {
    const key = base(vaultUri);
    let c = this.clients.get(key);
    if (!c) {
      const overrides = this.connection.hostOverrides;
      const options: SecretClientOptions = {
        disableChallengeResourceVerification: isOverridden(key, overrides),
        retryOptions: { maxRetries: this.connection.maxRetries ?? 3 },
        ...(this.connection.tlsCa !== undefined ? { tlsOptions: { ca: this.connection.tlsCa } } : {}),
      };
      c = new SecretClient(resolveHost(key, overrides), this.connection.credential, options);
      this.clients.set(key, c);
    }
    return c;
  }

  private fail(e: unknown, operation: string, vaultUri: string, name: string): Error {
    return toWardenError(e, operation, `${base(vaultUri)}secrets/${name}`);
  }

  async listVersions(vaultUri: string, name: string): Promise<SecretVersionProperties[]> {
    const out: SecretVersionProperties[] = [];
    try {
      for await (const p of this.client(vaultUri).listPropertiesOfSecretVersions(name))
        out.push(toProperties(vaultUri, p));
    } catch (e) {
      if (armErrorInfo(e).status === 404) return [];
      throw this.fail(e, 'list secret versions', vaultUri, name);
    }
    out.sort((a, b) => (b.createdOn ?? '').localeCompare(a.createdOn ?? '') || b.version.localeCompare(a.version));
    // Key Vault's timestamps have one-second resolution: versions set within the same second tie. Only the vault knows
    // which of them is the latest; ask it (a GET without version answers the latest; its value is dropped at once).
    const top = out[0];
    if (top && out.length > 1 && out[1]?.createdOn === top.createdOn) {
      let latest: string | undefined;
      try {
        latest = (await this.client(vaultUri).getSecret(name)).properties.version;
      } catch (e) {
        // The latest version is disabled (403 Forbidden on its value): keep the order by time.
        if (armErrorInfo(e).status !== 403) throw this.fail(e, 'read the latest secret version', vaultUri, name);
        latest = undefined;
      }
      const i = out.findIndex((v) => v.version === latest);
      if (i > 0) out.unshift(...out.splice(i, 1));
    }
    return out;
  }

  async getProperties(vaultUri: string, name: string, version?: string): Promise<SecretVersionProperties | undefined> {
    const versions = await this.listVersions(vaultUri, name);
    if (version === undefined) return versions[0];
    return versions.find((v) => v.version.toLowerCase() === version.toLowerCase());
  }

  async getValue(vaultUri: string, name: string, version?: string): Promise<string | undefined> {
    try {
      const s = await this.client(vaultUri).getSecret(name, version ? { version } : {});
      return s.value;
    } catch (e) {
      if (armErrorInfo(e).status === 404) return undefined;
      throw this.fail(e, 'read secret value', vaultUri, name);
    }
  }

  async setSecret(
    vaultUri: string,
    name: string,
    value: string,
    options: SetSecretOptions,
  ): Promise<SecretVersionProperties> {
    const sdkOptions = {
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
      ...(options.tags !== undefined ? { tags: { ...options.tags } } : {}),
      ...(options.expiresOn ? { expiresOn: new Date(options.expiresOn) } : {}),
      ...(options.notBefore ? { notBefore: new Date(options.notBefore) } : {}),
    };
    const client = this.client(vaultUri);
    try {
      return toProperties(vaultUri, (await client.setSecret(name, value, sdkOptions)).properties);
    } catch (e) {
      // A soft-deleted secret of that name blocks the set (409 ObjectIsDeletedButRecoverable): purge it, or recover
      // it where purging is not allowed, then set again.
      const info = armErrorInfo(e);
      if (info.status !== 409) throw this.fail(e, 'set secret', vaultUri, name);
    }
    try {
      await client.purgeDeletedSecret(name);
    } catch (e) {
      const status = armErrorInfo(e).status;
      if (status !== 403 && status !== 405) throw this.fail(e, 'purge deleted secret', vaultUri, name);
      const poller = await client.beginRecoverDeletedSecret(name);
      await poller.pollUntilDone();
    }
    try {
      return toProperties(vaultUri, (await client.setSecret(name, value, sdkOptions)).properties);
    } catch (e) {
      throw this.fail(e, 'set secret', vaultUri, name);
    }
  }

  async updateProperties(
    vaultUri: string,
    name: string,
    version: string,
    patch: SecretPropertiesPatch,
  ): Promise<SecretVersionProperties> {
    try {
      const p = await this.client(vaultUri).updateSecretProperties(name, version, {
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(patch.tags !== undefined ? { tags: { ...patch.tags } } : {}),
        ...(patch.expiresOn !== undefined ? { expiresOn: dateOf(patch.expiresOn) } : {}),
        ...(patch.contentType !== undefined ? { contentType: patch.contentType } : {}),
      });
      return toProperties(vaultUri, p);
    } catch (e) {
      if (armErrorInfo(e).status === 404)
        throw new NotFoundError('secret version', `${base(vaultUri)}${name}/${version}`);
      throw this.fail(e, 'update secret properties', vaultUri, name);
    }
  }

  async removeSecret(vaultUri: string, name: string): Promise<void> {
    const client = this.client(vaultUri);
    try {
      // The first poll sends the DELETE; completion is awaited below through the purge (409 while still deleting).
      await client.beginDeleteSecret(name, { intervalInMs: 250 });
    } catch (e) {
      if (armErrorInfo(e).status === 404) return;
      throw this.fail(e, 'delete secret', vaultUri, name);
    }
    for (let attempt = 1; attempt <= 8; attempt++) {
      try {
        await client.purgeDeletedSecret(name);
        return;
      } catch (e) {
        const status = armErrorInfo(e).status;
        // Purge protection, no purge right or no soft delete: the deleted secret stays recoverable (setSecret handles it).
        if (status === 403 || status === 405 || status === 404) return;
        if (status !== 409 || attempt === 8) throw this.fail(e, 'purge deleted secret', vaultUri, name);
        await this.sleep(250 * attempt);
      }
    }
  }
}
