/**
 * The Key Vault module: the secrets data plane on one origin per vault (keyvault.ts), its SQLite store (store.ts),
 * encryption at rest (cipher.ts), the system-topic events, seeding of `azure.keyVaults[].secrets` from the world, and
 * a small admin API (`/admin/keyvault/...`).
 */
import { randomBytes } from 'node:crypto';

import type { DemoWorld, EmulatorContext, EmulatorModule, Router } from '../core/module';
import { getArmResource } from '../services/arm-resources';
import { KeyVaultDataPlane } from './keyvault';
import { SecretStore } from './store';

const planes = new WeakMap<EmulatorContext, KeyVaultDataPlane>();

/** The Key Vault data plane of an emulator (other modules read secrets through it: vault-reader apps). */
export function keyVaultPlane(ctx: EmulatorContext): KeyVaultDataPlane {
  let p = planes.get(ctx);
  if (!p) {
    p = new KeyVaultDataPlane(ctx, new SecretStore(ctx.db, KeyVaultDataPlane.cipherFor(ctx)));
    planes.set(ctx, p);
  }
  return p;
}

/**
 * Produces a seeded secret's value from its `issue` spec. Other modules register issuers for their kinds
 * (`databricks-pat`, `storage-account-key`) and answer undefined when their module is not loaded in this emulator;
 * then, and for unknown kinds and `random`, the value is 32 random bytes (base64url).
 */
export type SeedIssuer = (
  spec: Record<string, unknown>,
  ctx: EmulatorContext,
  secret: { name: string; expiresInDays?: number },
) => string | undefined | Promise<string | undefined>;
const issuers = new Map<string, SeedIssuer>();
export function registerSeedIssuer(kind: string, issuer: SeedIssuer): void {
  issuers.set(kind, issuer);
}

interface SeedSecret {
  name: string;
  value?: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled?: boolean;
  expiresInDays?: number;
  notBeforeDays?: number;
  issue?: Record<string, unknown> & { kind?: string };
}

async function seedKeyVaults(world: DemoWorld, ctx: EmulatorContext): Promise<void> {
  const plane = keyVaultPlane(ctx);
  const vaults = (world.azure?.keyVaults ?? []) as Array<{ name: string; resourceId?: string; secrets?: SeedSecret[] }>;
  const now = Math.floor(ctx.clock.now() / 1000);
  for (const v of vaults) {
    const resource = v.resourceId ? getArmResource(ctx.db, v.resourceId) : undefined;
    const ref = resource ? undefined : plane.vaultByName(v.name);
    const vaultName = (resource?.name ?? ref?.resource.name ?? v.name).toLowerCase();
    if (!resource && !ref) {
      throw new Error(`world.azure.keyVaults: the vault '${v.name}' is not among the world's ARM resources`);
    }
    for (const s of v.secrets ?? []) {
      if (plane.store.get(vaultName, s.name)) continue;
      const kind = s.issue?.kind ?? 'random';
      const issuer = issuers.get(kind);
      const value =
        s.value ?? (issuer ? await issuer(s.issue ?? {}, ctx, s) : undefined) ?? randomBytes(32).toString('base64url');
      plane.store.set(
        vaultName,
        s.name,
        {
          value,
          contentType: s.contentType ?? null,
          tags: s.tags ?? null,
          enabled: s.enabled !== false,
          nbf: s.notBeforeDays !== undefined ? now + Math.round(s.notBeforeDays * 86400) : null,
          exp: s.expiresInDays !== undefined ? now + Math.round(s.expiresInDays * 86400) : null,
        },
        now,
      );
    }
  }
  // Seeding is silent (as ARM's): conditions already true at seed time raise no event.
  plane.store.markAllDueAsSent(now);
}

/** A Key Vault module instance (one per emulator: `close` stops the timers this instance started). */
export function createKeyVaultModule(): EmulatorModule {
  const started = new Set<KeyVaultDataPlane>();
  return {
    name: 'keyvault',
    migrate(db) {
      SecretStore.migrate(db);
    },
    register(router, ctx) {
      registerAdmin(router, keyVaultPlane(ctx));
    },
    async seed(world, ctx) {
      await seedKeyVaults(world, ctx);
      await keyVaultPlane(ctx).bindVaults();
    },
    async start(ctx) {
      const plane = keyVaultPlane(ctx);
      await plane.bindVaults();
      plane.start();
      started.add(plane);
    },
    close() {
      for (const p of started) p.stop();
      started.clear();
    },
  };
}

function registerAdmin(router: Router, plane: KeyVaultDataPlane): void {
  router.get('/admin/keyvault/vaults', () => ({
    status: 200,
    body: {
      value: plane.vaults().map((v) => ({
        name: v.resource.name,
        resourceId: v.resource.id,
        host: v.host,
        origin: plane.origins()[v.host] ?? null,
        secrets: plane.store.latestOfEach(v.name).map((s) => ({
          name: s.name,
          version: s.version,
          enabled: s.attributes.enabled,
          exp: s.attributes.exp,
        })),
      })),
    },
  }));
  router.post('/admin/keyvault/scan', async () => {
    await plane.bindVaults();
    return { status: 200, body: { published: plane.scanExpiry(), origins: plane.origins() } };
  });
}
