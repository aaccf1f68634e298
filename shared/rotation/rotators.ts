/**
 * The rotator implementations behind the registry: each issues a new credential, revokes a new one that must not be
 * used (failed test, rollback, orphaned staging secret) and retires the old one after the grace period. Built by the
 * composition root over their ports.
 */
import { randomInt } from 'node:crypto';

import type { SecretReference } from '../domain/metadata/secret-reference.schema';
import { fingerprint } from './fingerprint';
import type { CredentialIssuerPort, DatabricksTokensPort, StorageAccountKeysPort } from './rotation-ports';
import {
  type DatabricksPatConfig,
  type HttpConfig,
  type RandomConfig,
  ROTATOR_REGISTRY,
  type StorageAccountKeyConfig,
} from './rotator-registry';

export interface RotationContext {
  readonly reference: SecretReference;
  readonly correlationId: string;
  readonly now: Date;
  /** The value the vault holds now (read only by rotators that need it: which storage key is in use). */
  readonly currentValue: () => Promise<string | undefined>;
}

/** A new credential. The value goes to the staging secret and nowhere else. */
export interface NewCredential {
  readonly value: string;
  /** Identifies the credential at its issuer (token id, key name, issuer id; the fingerprint when there is none). */
  readonly credentialId: string;
  /** Its own expiry, when the issuer sets one. */
  readonly expiresOn: string | null;
  readonly contentType: string;
  /** The credential it replaces, as the rotator found it (the storage key in use); null when unknown. */
  readonly replaces: string | null;
}

export interface Rotator {
  issue(config: unknown, ctx: RotationContext): Promise<NewCredential>;
  /** Makes a new credential unusable (it was never published, or was rolled back). */
  revoke(config: unknown, credentialId: string, ctx: RotationContext): Promise<void>;
  /** Retires the old credential after the grace period. */
  retire(config: unknown, credentialId: string, ctx: RotationContext): Promise<void>;
}

export interface RotatorPorts {
  readonly storageKeys: StorageAccountKeysPort;
  readonly databricks: DatabricksTokensPort;
  readonly issuer: CredentialIssuerPort;
  /** Uniform random integer in [0, max) (crypto by default; tests may pass their own). */
  readonly randomInt?: (max: number) => number;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const SYMBOLS = '!#%+-.:=@^_~';

/** A password under the policy: every allowed class at least once, uniformly random otherwise, shuffled. */
export function generatePassword(config: RandomConfig, rand: (max: number) => number = randomInt): string {
  const classes = [
    config.policy.lowercase ? LOWER : '',
    config.policy.uppercase ? UPPER : '',
    config.policy.digits ? DIGITS : '',
    config.policy.symbols ? SYMBOLS : '',
  ].filter((c) => c.length > 0);
  const all = classes.join('');
  const chars = classes.map((c) => c[rand(c.length)] ?? '');
  while (chars.length < config.length) chars.push(all[rand(all.length)] ?? '');
  for (let i = chars.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}

const DAY_MS = 86_400_000;
const other = (k: 'key1' | 'key2'): 'key1' | 'key2' => (k === 'key1' ? 'key2' : 'key1');

export function createRotators(ports: RotatorPorts): Record<keyof typeof ROTATOR_REGISTRY, Rotator> {
  const rand = ports.randomInt ?? randomInt;
  return {
    random: {
      issue: (raw) => {
        const config = ROTATOR_REGISTRY.random.config.parse(raw);
        const value = generatePassword(config, rand);
        return Promise.resolve({
          value,
          credentialId: fingerprint(value),
          expiresOn: null,
          contentType: 'text/plain',
          replaces: null,
        });
      },
      // A password lives only in the vault: nothing to revoke or retire outside it.
      revoke: () => Promise.resolve(),
      retire: () => Promise.resolve(),
    },
    'storage-account-key': {
      issue: async (raw, ctx) => {
        const config: StorageAccountKeyConfig = ROTATOR_REGISTRY['storage-account-key'].config.parse(raw);
        const keys = await ports.storageKeys.listKeys(config.accountResourceId);
        const current = await ctx.currentValue();
        const inUse = keys.find((k) => current !== undefined && k.value === current)?.keyName.toLowerCase();
        const target = inUse === 'key1' || inUse === 'key2' ? other(inUse) : config.keyName;
        const value = await ports.storageKeys.regenerateKey(config.accountResourceId, target);
        return {
          value,
          credentialId: target,
          expiresOn: null,
          contentType: 'text/plain',
          replaces: inUse === 'key1' || inUse === 'key2' ? inUse : null,
        };
      },
      revoke: async (raw, credentialId) => {
        const config = ROTATOR_REGISTRY['storage-account-key'].config.parse(raw);
        if (credentialId === 'key1' || credentialId === 'key2')
          await ports.storageKeys.regenerateKey(config.accountResourceId, credentialId);
      },
      retire: async (raw, credentialId) => {
        const config = ROTATOR_REGISTRY['storage-account-key'].config.parse(raw);
        if (credentialId === 'key1' || credentialId === 'key2')
          await ports.storageKeys.regenerateKey(config.accountResourceId, credentialId);
      },
    },
    'databricks-pat': {
      issue: async (raw, ctx) => {
        const config: DatabricksPatConfig = ROTATOR_REGISTRY['databricks-pat'].config.parse(raw);
        const t = await ports.databricks.createOnBehalfOf(
          config.workspaceResourceId,
          config.servicePrincipalAppId,
          config.lifetimeDays * (DAY_MS / 1000),
          `warden: ${ctx.reference.id} (${ctx.correlationId})`.slice(0, 200),
        );
        return {
          value: t.value,
          credentialId: t.tokenId,
          expiresOn: t.expiresAt,
          contentType: 'text/plain',
          replaces: null,
        };
      },
      revoke: async (raw, credentialId) => {
        const config = ROTATOR_REGISTRY['databricks-pat'].config.parse(raw);
        await ports.databricks.deleteToken(config.workspaceResourceId, credentialId);
      },
      retire: async (raw, credentialId) => {
        const config = ROTATOR_REGISTRY['databricks-pat'].config.parse(raw);
        await ports.databricks.deleteToken(config.workspaceResourceId, credentialId);
      },
    },
    http: {
      issue: async (raw, ctx) => {
        const config: HttpConfig = ROTATOR_REGISTRY.http.config.parse(raw);
        const c = await ports.issuer.issue(config.url, config.audience, {
          comment: `warden: ${ctx.reference.id} (${ctx.correlationId})`.slice(0, 200),
          lifetimeSeconds: config.lifetimeSeconds,
        });
        return {
          value: c.value,
          credentialId: c.id,
          expiresOn: c.expiresAt,
          contentType: 'text/plain',
          replaces: null,
        };
      },
      revoke: async (raw, credentialId) => {
        const config = ROTATOR_REGISTRY.http.config.parse(raw);
        await ports.issuer.revoke(config.url, config.audience, credentialId);
      },
      retire: async (raw, credentialId) => {
        const config = ROTATOR_REGISTRY.http.config.parse(raw);
        await ports.issuer.revoke(config.url, config.audience, credentialId);
      },
    },
  };
}

/**
 * The vault `expiresOn` of a new version: the credential's own expiry, else twice the interval from now (so Key
 * Vault's own expiry events stay a backstop well after Warden's due time).
 */
export function versionExpiry(credentialExpiry: string | null, intervalDays: number, now: Date): string {
  return credentialExpiry ?? new Date(now.getTime() + 2 * intervalDays * DAY_MS).toISOString();
}
