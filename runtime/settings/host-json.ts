import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { RuntimeLogger } from '../host/runtime-services';

/** host.json as the runtime reads it. */
export interface HostJsonSettings {
  /** The document as read (`{}` when the app has none). */
  raw: Record<string, unknown>;
  file: string | undefined;
  /** `extensions.http.routePrefix`, default `api`; `''` serves functions at the root. */
  routePrefix: string;
  /** Keys (dotted paths) present but not implemented by this runtime; reported once as a warning. */
  ignored: string[];
}

/**
 * host.json settings this runtime honours. `extensions.serviceBus`, `extensions.Sql` and `extensions.durableTask` are
 * read by the components that implement them (through `RuntimeServices.hostJson`); the others are reported.
 */
const HONOURED = new Set([
  'version',
  'extensionBundle',
  'extensions.http.routePrefix',
  'extensions.serviceBus',
  'extensions.Sql',
  'extensions.sql',
  'extensions.durableTask',
  'extensions.eventGrid',
]);

/** Reads `<appDir>/host.json` (tolerating `//` comments as the host does) and works out what is honoured. */
export function readHostJson(appDir: string, logger?: RuntimeLogger): HostJsonSettings {
  const file = path.join(appDir, 'host.json');
  if (!existsSync(file)) return { raw: {}, file: undefined, routePrefix: 'api', ignored: [] };
  let raw: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(stripJsonComments(readFileSync(file, 'utf8')));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    raw = parsed as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Start-up failed: ${file} is not a valid JSON object (${(e as Error).message}).`, { cause: e });
  }
  if (raw.version !== undefined && raw.version !== '2.0') {
    throw new Error(`Start-up failed: ${file} has "version": ${JSON.stringify(raw.version)}; the v4 host needs "2.0".`);
  }
  const extensions = asObject(raw.extensions);
  const http = asObject(extensions?.http);
  let routePrefix = 'api';
  if (http && http.routePrefix !== undefined) {
    if (typeof http.routePrefix !== 'string') {
      throw new Error(`Start-up failed: extensions.http.routePrefix in ${file} must be a string.`);
    }
    routePrefix = http.routePrefix.replace(/^\/+|\/+$/g, '');
  }
  const ignored: string[] = [];
  collectIgnored(raw, '', ignored);
  if (ignored.length > 0) {
    logger?.warn('settings.host-json-ignored', {
      message: `host.json settings this local runtime does not implement (they apply on Azure): ${ignored.join(', ')}`,
      settings: ignored,
    });
  }
  return { raw, file, routePrefix, ignored };
}

function collectIgnored(node: Record<string, unknown>, prefix: string, out: string[]): void {
  for (const [key, value] of Object.entries(node)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (HONOURED.has(dotted)) continue;
    const child = asObject(value);
    const hasHonouredBelow = [...HONOURED].some((h) => h.startsWith(`${dotted}.`));
    if (child && hasHonouredBelow) collectIgnored(child, dotted, out);
    else out.push(dotted);
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Removes `//` and `/* *\/` comments outside strings (host.json is read with comments allowed). */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) i++;
      i++;
    } else out += c;
  }
  return out;
}
