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

/** host.json settings the runtime itself honours (HTTP is built in). */
const BUILT_IN = ['version', 'extensionBundle', 'extensions.http.routePrefix', 'extensions.eventGrid'];

/**
 * Sections read by the trigger components through `RuntimeServices.hostJson`; honoured as a whole unless a component
 * declares the exact paths it reads (`RuntimeComponent.hostJsonSettings`) under that section.
 */
const COMPONENT_SECTIONS = ['extensions.serviceBus', 'extensions.Sql', 'extensions.sql', 'extensions.durableTask'];

/** The dotted host.json paths honoured, given what components declare (case-insensitive, as host.json is). */
export function honouredHostJsonPaths(declared: readonly string[] = []): Set<string> {
  const lower = declared.map((d) => d.toLowerCase());
  const sections = COMPONENT_SECTIONS.filter((s) => !lower.some((d) => d.startsWith(`${s.toLowerCase()}.`)));
  return new Set([...BUILT_IN, ...sections, ...declared].map((p) => p.toLowerCase()));
}

/** Lists the host.json settings not honoured and warns once about them. */
export function reportIgnoredHostJson(
  raw: Record<string, unknown>,
  honoured: Set<string>,
  logger?: RuntimeLogger,
): string[] {
  const ignored: string[] = [];
  collectIgnored(raw, '', honoured, ignored);
  if (ignored.length > 0) {
    logger?.warn('settings.host-json-ignored', {
      message: `host.json settings this local runtime does not implement (they apply on Azure): ${ignored.join(', ')}`,
      settings: ignored,
    });
  }
  return ignored;
}

/** Reads `<appDir>/host.json` (tolerating `//` comments as the host does) and works out what is honoured. */
export function readHostJson(
  appDir: string,
  logger?: RuntimeLogger,
  /** Paths components declare they honour (`RuntimeComponent.hostJsonSettings`). */
  declared: readonly string[] = [],
): HostJsonSettings {
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
  // host.json keys are case-insensitive in the host.
  const extensions = asObject(getIgnoringCase(raw, 'extensions'));
  const http = asObject(extensions && getIgnoringCase(extensions, 'http'));
  const prefix = http && getIgnoringCase(http, 'routePrefix');
  let routePrefix = 'api';
  if (prefix !== undefined) {
    if (typeof prefix !== 'string') {
      throw new Error(`Start-up failed: extensions.http.routePrefix in ${file} must be a string.`);
    }
    routePrefix = prefix.replace(/^\/+|\/+$/g, '');
  }
  const ignored = reportIgnoredHostJson(raw, honouredHostJsonPaths(declared), logger);
  return { raw, file, routePrefix, ignored };
}

function collectIgnored(node: Record<string, unknown>, prefix: string, honoured: Set<string>, out: string[]): void {
  for (const [key, value] of Object.entries(node)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    const lower = dotted.toLowerCase();
    if (honoured.has(lower)) continue;
    const child = asObject(value);
    const hasHonouredBelow = [...honoured].some((h) => h.startsWith(`${lower}.`));
    if (child && hasHonouredBelow) collectIgnored(child, dotted, honoured, out);
    else out.push(dotted);
  }
}

function getIgnoringCase(node: Record<string, unknown>, key: string): unknown {
  if (key in node) return node[key];
  const lower = key.toLowerCase();
  const found = Object.keys(node).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : node[found];
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
