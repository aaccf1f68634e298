/**
 * Read access to the ARM module's resources for the data-plane modules (Key Vault, Databricks, Storage): which vaults,
 * workspaces and accounts exist and their current properties. The data planes never change ARM state through this.
 */
import type { DatabaseSync } from 'node:sqlite';

import { idKey } from '../arm/ids';

/** A resource as its ARM envelope (the subset the data planes read). */
export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  properties: Record<string, unknown>;
  [key: string]: unknown;
}

/** Every resource of `type` (case-insensitive) the ARM module stores; [] when the ARM module is not loaded. */
export function listArmResources(db: DatabaseSync, type: string): ArmResource[] {
  try {
    const rows = db
      .prepare('SELECT envelope FROM arm_resources WHERE lower(type) = lower(?) ORDER BY key')
      .all(type) as Array<{ envelope: string }>;
    return rows.map((r) => normalize(JSON.parse(r.envelope) as ArmResource));
  } catch (e) {
    if (/no such table/i.test((e as Error).message)) return [];
    throw e;
  }
}

/** One resource by id (case-insensitive), or undefined. */
export function getArmResource(db: DatabaseSync, id: string): ArmResource | undefined {
  try {
    const row = db.prepare('SELECT envelope FROM arm_resources WHERE key = ?').get(idKey(id)) as
      { envelope: string } | undefined;
    return row ? normalize(JSON.parse(row.envelope) as ArmResource) : undefined;
  } catch (e) {
    if (/no such table/i.test((e as Error).message)) return undefined;
    throw e;
  }
}

function normalize(r: ArmResource): ArmResource {
  if (!r.properties || typeof r.properties !== 'object') r.properties = {};
  return r;
}

/** The host of an absolute URL or a bare host name (`https://kv.vault.azure.net/` → `kv.vault.azure.net`). */
export function hostOf(urlOrHost: string): string | undefined {
  const s = urlOrHost.trim();
  if (!s) return undefined;
  try {
    return new URL(s.includes('://') ? s : `https://${s}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}
