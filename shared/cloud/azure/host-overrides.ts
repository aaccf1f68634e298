/**
 * Data-plane URLs under WARDEN_HOST_OVERRIDES: metadata and ARM keep the real host names
 * (`https://kv-fraud-ml.vault.azure.net/`); locally the emulator serves each host on an origin of its own, and this
 * is the one place that maps one to the other. On Azure the map is empty and every URL passes through unchanged.
 */

/** The URL to call for `url`: its origin replaced when its host is overridden, path and query kept. */
export function resolveHost(url: string, overrides: Readonly<Record<string, string>>): string {
  const u = new URL(url);
  const origin = overrides[u.hostname.toLowerCase()];
  if (!origin) return url;
  const target = new URL(origin);
  u.protocol = target.protocol;
  u.host = target.host;
  return u.toString();
}

/** Whether `url`'s host is overridden (clients that verify the host against a resource — Key Vault's challenge — relax that check only then). */
export function isOverridden(url: string, overrides: Readonly<Record<string, string>>): boolean {
  return Object.hasOwn(overrides, new URL(url).hostname.toLowerCase());
}
