import { existsSync, readFileSync } from 'node:fs';

import type { RuntimeLogger } from '../host/runtime-services';

/** What `local.settings.json` contributed, for the start-up summary and tests. */
export interface LocalSettingsResult {
  /** The file read, or undefined when there was none. */
  file: string | undefined;
  /** Names injected into the environment (values never reported). */
  injected: string[];
  /** Names skipped because the environment already had them (the environment wins, as with `func start`). */
  kept: string[];
  /** `NODE_*` names: injected, but Node read them at process start, so they have no effect. */
  nodeOptionWarnings: string[];
  /** `Host` section (LocalHttpPort, CORS), as given. */
  host: Record<string, unknown>;
}

/**
 * Injects `local.settings.json` `Values` into `env` the way `func start` does: strings only, never overriding a
 * variable already set, before the app is loaded.
 *
 * @remarks
 * `NODE_*` values (e.g. `NODE_OPTIONS`) are read by Node only at process start; they are still injected (the app may
 * read them) but a warning says they belong in the launcher's environment. An encrypted file
 * (`IsEncrypted: true`) is refused: decrypting needs the machine key Core Tools keeps, which we do not have.
 */
export function injectLocalSettings(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  logger?: RuntimeLogger,
): LocalSettingsResult {
  const result: LocalSettingsResult = { file: undefined, injected: [], kept: [], nodeOptionWarnings: [], host: {} };
  if (!file || !existsSync(file)) return result;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`Start-up failed: ${file} is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`Start-up failed: ${file} must hold a JSON object with a "Values" object.`);
  }
  const doc = parsed as { IsEncrypted?: unknown; Values?: unknown; Host?: unknown };
  if (doc.IsEncrypted === true) {
    throw new Error(
      `Start-up failed: ${file} is encrypted ("IsEncrypted": true); decrypt it with func settings decrypt.`,
    );
  }
  result.file = file;
  if (doc.Host && typeof doc.Host === 'object') result.host = doc.Host as Record<string, unknown>;
  if (doc.Values === undefined) return result;
  if (!doc.Values || typeof doc.Values !== 'object' || Array.isArray(doc.Values)) {
    throw new Error(`Start-up failed: "Values" in ${file} must be an object of strings.`);
  }
  for (const [name, value] of Object.entries(doc.Values as Record<string, unknown>)) {
    if (value !== null && typeof value === 'object') {
      throw new Error(
        `Start-up failed: "Values.${name}" in ${file} must be a string, got ${Array.isArray(value) ? 'an array' : 'an object'}.`,
      );
    }
    if (/^NODE_/i.test(name)) result.nodeOptionWarnings.push(name);
    if (env[name] !== undefined) {
      result.kept.push(name);
      continue;
    }
    env[name] = value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    result.injected.push(name);
  }
  for (const name of result.nodeOptionWarnings) {
    logger?.warn('settings.node-variable', {
      message: `${name} from local.settings.json has no effect on this process: Node reads NODE_* variables only at start-up. Set it in the launcher's environment.`,
      setting: name,
    });
  }
  if (result.kept.length > 0) {
    logger?.info('settings.kept-environment', {
      message: 'Settings already in the environment were not overridden by local.settings.json.',
      settings: result.kept,
    });
  }
  return result;
}
