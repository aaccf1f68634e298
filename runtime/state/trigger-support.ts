/**
 * Helpers shared by the trigger components (timer, SQL, Service Bus): reading host.json sections and settings.
 */

/** `hostJson.extensions[name]`, matched case-insensitively (host.json keys are case-insensitive). */
export function extensionSection(hostJson: Record<string, unknown>, name: string): Record<string, unknown> {
  const extensions = findKey(hostJson, 'extensions');
  if (!isRecord(extensions)) return {};
  const section = findKey(extensions, name);
  return isRecord(section) ? section : {};
}

/** A property of a host.json object, matched case-insensitively. */
export function findKey(obj: Record<string, unknown>, key: string): unknown {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A positive integer setting (number or numeric string), or `fallback`. */
export function positiveInt(value: unknown, fallback: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Parses a .NET TimeSpan as host.json writes it (`"00:05:00"`, `"1.02:00:00"`, `"00:00:00.80"`) or a number of
 * milliseconds (number or digits), into ms; `fallback` when absent or malformed.
 */
export function timeSpanMs(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string') return fallback;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return fallback;
  const [, d, h, min, s, frac] = m;
  const fraction = frac ? Number(`0.${frac}`) : 0;
  return ((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + (Number(s) + fraction) * 1000;
}
