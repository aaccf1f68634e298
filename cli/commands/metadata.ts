// warden policies|scopes|secrets|rules|alerts|models|exemptions list/get/set/delete — the metadata rows over the API.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { parse as parseYaml } from 'yaml';

import { type CommandSpec, intOption, pairs, type Parsed, str, strs } from '../args';
import type { Ctx } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import { asYaml, table } from '../render';

export interface MetadataResource {
  /** The command word. */
  readonly word: string;
  readonly table: string;
  readonly noun: string;
  /** The key column (`id`, or `scope` for managed scopes, addressed by ARM id). */
  readonly key: 'id' | 'scope';
  /** Columns of the human table. */
  readonly columns: readonly string[];
}

export const METADATA_RESOURCES: readonly MetadataResource[] = [
  {
    word: 'policies',
    table: 'access_policies',
    noun: 'access policy',
    key: 'id',
    columns: ['id', 'principal_type', 'principal_id', 'role', 'scope', 'enabled', 'approved_by', 'version'],
  },
  {
    word: 'scopes',
    table: 'managed_scopes',
    noun: 'managed scope',
    key: 'scope',
    columns: ['scope', 'mode', 'enforcement', 'allowed_roles', 'version'],
  },
  {
    word: 'secrets',
    table: 'secret_references',
    noun: 'secret reference',
    key: 'id',
    columns: ['id', 'kind', 'rotator', 'status', 'current_version', 'next_rotation_at', 'version'],
  },
  {
    word: 'rules',
    table: 'network_rules',
    noun: 'network rule',
    key: 'id',
    columns: ['id', 'resource_id', 'public_network_access', 'enabled', 'version'],
  },
  {
    word: 'alerts',
    table: 'alert_rules',
    noun: 'alert rule',
    key: 'id',
    columns: ['id', 'model_id', 'metric', 'operator', 'threshold', 'action', 'version'],
  },
  {
    word: 'models',
    table: 'models',
    noun: 'model',
    key: 'id',
    columns: ['id', 'name', 'model_version', 'stage', 'endpoint', 'deployment', 'version'],
  },
  {
    word: 'exemptions',
    table: 'exemptions',
    noun: 'exemption',
    key: 'id',
    columns: ['id', 'kind', 'target', 'expires_at', 'approved_by', 'version'],
  },
];

/** The API path of one row: managed scopes by their ARM id without the leading slash, others by id. */
export function rowPath(r: MetadataResource, key: string): string {
  if (r.key === 'scope') {
    if (!key.startsWith('/')) throw usageError(`A managed scope is an ARM id starting with '/', got '${key}'`);
    return `metadata/${r.table}/${key.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/')}`;
  }
  return `metadata/${r.table}/${encodeURIComponent(key)}`;
}

/** A row from a JSON or YAML file (`-` = stdin is not supported: give a file); malformed → exit 2 naming the file. */
export function readRowFile(file: string, cwd: string): Record<string, unknown> {
  const full = path.resolve(cwd, file);
  if (!existsSync(full)) throw usageError(`--file ${file}: no such file`);
  const text = readFileSync(full, 'utf8');
  let value: unknown;
  try {
    value = /\.json$/i.test(full) ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw usageError(
      `--file ${file} is not valid ${/\.json$/i.test(full) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]!.replace(/:$/, '')}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw usageError(
      `--file ${file} must hold one object (the row's fields), got ${Array.isArray(value) ? 'a list' : typeof value}`,
    );
  return value as Record<string, unknown>;
}

/** `--set key=value`: the value as JSON when it parses (true, 3, null, ["a"]), else as text. */
export function fieldValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const cellText = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');

function etagVersion(etag: string | null): number | undefined {
  const m = /^(?:W\/)?"(\d+)"$/.exec(etag ?? '');
  return m ? Number(m[1]) : undefined;
}

async function fetchRow(ctx: Ctx, r: MetadataResource, key: string): Promise<Record<string, unknown> | undefined> {
  const got = await ctx.api().request('GET', rowPath(r, key), { accept: [404] });
  return got.status === 404 ? undefined : (got.body as Record<string, unknown>);
}

function listCommand(r: MetadataResource): CommandSpec<Ctx> {
  return {
    words: [r.word, 'list'],
    positionals: [0, 0],
    summary: `List ${r.noun} rows (every page)`,
    options: {
      where: {
        type: 'string',
        multiple: true,
        value: 'column=value',
        description: 'filter by a column the API filters on (repeatable; see the OpenAPI document)',
      },
      limit: { type: 'string', value: 'n', description: 'at most this many rows (default: all)' },
    },
    run: async (ctx, p) => {
      const query = Object.fromEntries(pairs(strs(p, 'where'), 'where'));
      const max = intOption(p, 'limit', 1, 100_000);
      let rows = await ctx.api().listAll<Record<string, unknown>>(
        `metadata/${r.table}`,
        {
          ...query,
          ...(max !== undefined && max <= 200 ? { limit: String(max) } : { limit: '200' }),
        },
        max,
      );
      if (max !== undefined) rows = rows.slice(0, max);
      ctx.print({ items: rows }, () => table(rows, r.columns));
      return EXIT.ok;
    },
  };
}

function getCommand(r: MetadataResource): CommandSpec<Ctx> {
  return {
    words: [r.word, 'get'],
    args: `<${r.key}>`,
    positionals: [1, 1],
    summary: `Show one ${r.noun} (YAML; \`--json\` for the row as the API returns it, to edit and \`set --file\`)`,
    options: {},
    run: async (ctx, p) => {
      const row = await fetchRow(ctx, r, p.positionals[0]!);
      if (!row) throw new CliError(`No ${r.noun} '${p.positionals[0]}'.`, EXIT.notFound);
      ctx.print(row, () => asYaml(row));
      return EXIT.ok;
    },
  };
}

/**
 * The body and If-Match of a `set`: the file's fields (a row as `get` shows it, or only the fields) and `--set`
 * overrides over the current row. If-Match: `--if-match`, else the file's `version` (so a file read earlier is
 * refused with 412 when the row changed since), else the version just fetched. A missing row is created.
 */
export function planSet(
  current: Record<string, unknown> | undefined,
  fromFile: Record<string, unknown> | undefined,
  sets: readonly [string, string][],
  ifMatchFlag: number | undefined,
  create: boolean,
): { body: Record<string, unknown>; ifMatch: number | undefined } {
  if (!fromFile && sets.length === 0)
    throw usageError('Nothing to set: give --file <row.yaml|json> and/or --set field=value.');
  if (create && current)
    throw new CliError(
      `It exists already (version ${String(current.version)}); drop --create to replace it.`,
      EXIT.conflict,
    );
  const base: Record<string, unknown> = fromFile ? { ...fromFile } : current ? { ...current } : {};
  for (const [k, v] of sets) base[k] = fieldValue(v);
  for (const k of ['created_at', 'updated_at', 'updated_by']) delete base[k];
  const fileVersion = typeof fromFile?.version === 'number' ? fromFile.version : undefined;
  const ifMatch = current === undefined ? undefined : (ifMatchFlag ?? fileVersion ?? (current.version as number));
  if (current === undefined && ifMatchFlag !== undefined)
    throw new CliError(`It does not exist, so there is no version ${ifMatchFlag} to replace.`, EXIT.notFound);
  delete base.version;
  return { body: base, ifMatch };
}

function setCommand(r: MetadataResource): CommandSpec<Ctx> {
  return {
    words: [r.word, 'set'],
    args: `<${r.key}>`,
    positionals: [1, 1],
    summary: `Create or replace one ${r.noun} from a JSON/YAML file and/or --set field=value`,
    options: {
      file: { type: 'string', short: 'f', value: 'file', description: 'the row as JSON (.json) or YAML' },
      set: {
        type: 'string',
        multiple: true,
        value: 'field=value',
        description: 'set one field (repeatable; JSON values)',
      },
      'if-match': {
        type: 'string',
        value: 'version',
        description: 'replace only this version (default: the file’s version, else the current one)',
      },
      create: { type: 'boolean', description: 'create only: fail (exit 5) if it exists' },
    },
    help: `A row that exists is replaced at the version you read: the file's "version" (as \`get --json\` writes it)
or, without one, the version fetched just before writing. If someone changed it since, the API answers 412 and
nothing is written (exit 5): run \`get\` again, re-apply your change and retry.`,
    run: async (ctx, p: Parsed) => {
      const key = p.positionals[0]!;
      const file = str(p, 'file');
      const fromFile = file ? readRowFile(file, ctx.io.cwd) : undefined;
      const sets = pairs(strs(p, 'set'), 'set');
      const ifMatchFlag = intOption(p, 'if-match', 1, Number.MAX_SAFE_INTEGER);
      const current = await fetchRow(ctx, r, key);
      const { body, ifMatch } = planSet(current, fromFile, sets, ifMatchFlag, p.values.create === true);
      const api = ctx.api();
      const what = `${r.noun} '${key}'`;
      const res = await api.request('PUT', rowPath(r, key), { body, ifMatch, accept: [409, 412] });
      if (res.status === 412) {
        const now = await fetchRow(ctx, r, key);
        throw new CliError(
          `Not written: ${what} changed since version ${ifMatch} was read — it is now version ${cellText(now?.version)}, last written by ${cellText(now?.updated_by)} at ${cellText(now?.updated_at)}.`,
          EXIT.conflict,
          [`Run \`warden ${r.word} get ${key}\` to see the current row, re-apply your change and retry.`],
        );
      }
      if (res.status === 409) {
        const detail = (res.body as { detail?: string })?.detail ?? 'conflict';
        throw new CliError(`Not written: ${what}: ${detail}`, EXIT.conflict);
      }
      const row = res.body as Record<string, unknown>;
      const approval = res.headers.get('x-warden-approval');
      const version = etagVersion(res.headers.get('etag')) ?? row.version;
      ctx.print({ ...row, ...(approval ? { approvalId: approval } : {}) }, () => {
        const lines = [`${res.status === 201 ? 'Created' : 'Replaced'} ${what} (version ${String(version)}).`];
        if (approval)
          lines.push(
            `It waits for a four-eyes approval before it is granted: approval ${approval}. Another operator runs \`warden approvals approve ${approval}\`.`,
          );
        return `${lines.join('\n')}\n`;
      });
      return EXIT.ok;
    },
  };
}

function deleteCommand(r: MetadataResource): CommandSpec<Ctx> {
  return {
    words: [r.word, 'delete'],
    args: `<${r.key}>`,
    positionals: [1, 1],
    summary: `Delete one ${r.noun} at the version read (or --if-match)`,
    options: {
      'if-match': {
        type: 'string',
        value: 'version',
        description: 'delete only this version (default: the current one)',
      },
    },
    run: async (ctx, p) => {
      const key = p.positionals[0]!;
      let ifMatch = intOption(p, 'if-match', 1, Number.MAX_SAFE_INTEGER);
      if (ifMatch === undefined) {
        const current = await fetchRow(ctx, r, key);
        if (!current) throw new CliError(`No ${r.noun} '${key}'.`, EXIT.notFound);
        ifMatch = current.version as number;
      }
      await ctx.api().request('DELETE', rowPath(r, key), { ifMatch });
      ctx.print({ deleted: key, version: ifMatch }, () => `Deleted ${r.noun} '${key}' (version ${ifMatch}).\n`);
      return EXIT.ok;
    },
  };
}

export const METADATA_COMMANDS: CommandSpec<Ctx>[] = METADATA_RESOURCES.flatMap((r) => [
  listCommand(r),
  getCommand(r),
  setCommand(r),
  deleteCommand(r),
]);
