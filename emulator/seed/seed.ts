/**
 * Seeding the emulated Azure from the demo world: the directory (principals, Warden's managed identity, the Warden
 * API and CLI app registrations, first-party apps, app role assignments), then each module's `seed` hook in order
 * (ARM: role definitions, role assignments, resource groups and resources), then the world's `drifts` — out-of-band
 * changes applied through the owning module's drift handler, the admin API's code path, so they emit the events
 * Azure would.
 */
import type { DemoDrift, DemoWorld } from '../core/module';
import type { Emulator } from '../core/server';
import { EMULATOR_ADMIN_ID } from '../entra/directory';

export async function seedWorld(
  emu: Emulator,
  world: DemoWorld | undefined,
  opts: { drifts?: boolean } = {},
): Promise<{ drifts: number }> {
  const setMeta = (k: string, v: string) =>
    emu.db
      .prepare(
        'INSERT INTO emulator_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(k, v);
  const ctx = emu.ctx;
  setMeta('tenantId', ctx.tenantId);
  setMeta('subscriptionId', ctx.subscriptionId);
  setMeta('location', ctx.location);
  const passwords = emu.entra.seed(world ?? { tenantId: ctx.tenantId, subscriptionId: ctx.subscriptionId });
  emu.entra.store.upsertPrincipal({
    id: EMULATOR_ADMIN_ID,
    type: 'User',
    displayName: 'Emulator Admin (out-of-band changes)',
    userPrincipalName: 'emulator-admin@emulator.local',
  });
  emu.writeCredentials(passwords, true);
  let drifts = 0;
  if (world) {
    for (const m of emu.modules) await m.seed?.(world, ctx);
    if (opts.drifts ?? !emu.options.deferDrifts) drifts = await applyDrifts(emu, world.drifts ?? []);
  }
  setMeta('seeded', '1');
  emu.log('emulator.seeded', { drifts, modules: emu.modules.map((m) => m.name) });
  return { drifts };
}

/** Applies each drift through the module that declares a handler for its `kind`. */
export async function applyDrifts(emu: Emulator, drifts: DemoDrift[]): Promise<number> {
  for (const drift of drifts) {
    const owner = emu.modules.find((m) => m.drifts?.[drift.kind]);
    const handler = owner?.drifts?.[drift.kind];
    if (!owner || !handler) {
      throw new Error(
        `No emulator module applies drifts of kind '${drift.kind}' (modules: ${emu.modules.map((m) => m.name).join(', ') || 'none'}).`,
      );
    }
    await handler(drift, emu.ctx);
    emu.log('emulator.drift.applied', { module: owner.name, kind: drift.kind, actor: drift.actor });
  }
  return drifts.length;
}
