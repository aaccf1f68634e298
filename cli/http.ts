/**
 * HTTP for the CLI: Warden's API (bearer token, JSON, problem+json → {@link CliError}) and the local emulator's
 * admin API (HTTPS with the emulator's own CA and the admin key from its state dir).
 */
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import { CliError, errorFromResponse, EXIT } from './errors';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, the text when it is not JSON, undefined when empty. */
  readonly body: unknown;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface RequestOptions {
  readonly query?: Record<string, string | undefined>;
  readonly body?: unknown;
  readonly ifMatch?: number;
  /** Statuses returned to the caller instead of thrown as errors. */
  readonly accept?: readonly number[];
  readonly correlationId?: string;
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Warden's HTTP API as one logged-in caller. */
export class WardenApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: () => Promise<string>,
    private readonly fetchImpl: FetchLike = fetch,
    /** The caller, named in 403 messages. */
    readonly who?: string,
  ) {}

  url(apiPath: string, query?: Record<string, string | undefined>): string {
    const u = new URL(`${this.baseUrl.replace(/\/+$/, '')}/api/${apiPath.replace(/^\/+/, '')}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  }

  /** `method` on `/api/<path>`; a status outside 2xx (and not in `accept`) is thrown as a {@link CliError}. */
  async request(method: string, apiPath: string, o: RequestOptions = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${await this.token()}`,
      accept: 'application/json, application/problem+json, application/x-ndjson',
    };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    if (o.ifMatch !== undefined) headers['if-match'] = `"${o.ifMatch}"`;
    if (o.correlationId) headers['x-correlation-id'] = o.correlationId;
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(apiPath, o.query), {
        method,
        headers,
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      });
    } catch (e) {
      throw unreachable(this.baseUrl, e);
    }
    const answer: HttpAnswer = { status: res.status, headers: res.headers, body: parseBody(await res.text()) };
    if ((res.status >= 200 && res.status < 300) || o.accept?.includes(res.status)) return answer;
    throw errorFromResponse(`${method} /api/${apiPath.split('?')[0]}`, res.status, answer.body, {
      ...(this.who ? { who: this.who } : {}),
      wwwAuthenticate: res.headers.get('www-authenticate'),
    });
  }

  /** Every page of a `{ items, continuationToken? }` list (at most `max` items). */
  async listAll<T>(apiPath: string, query: Record<string, string | undefined> = {}, max = 10_000): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = (await this.request('GET', apiPath, { query: { ...query, continuationToken: token } })).body as {
        items?: T[];
        continuationToken?: string;
      };
      items.push(...(page.items ?? []));
      token = page.continuationToken;
    } while (token !== undefined && items.length < max);
    return items;
  }
}

export function unreachable(base: string, e: unknown): CliError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
  return new CliError(
    `Cannot reach ${base} (${why}). Is Warden running (\`npm start\`), and is the URL right (--api, WARDEN_API_URL)?`,
    EXIT.unreachable,
  );
}

/** What the CLI reads from the emulator's `endpoints.json` (written by `npm start`'s emulator). */
export interface EmulatorEndpoints {
  readonly baseUrl: string;
  readonly adminBaseUrl: string;
  readonly adminKeyPath: string;
  readonly caCertPath: string;
  readonly tenantId: string;
  readonly entraAuthorityHost: string;
}

/** The emulator's endpoints from its state dir (`<dir>/endpoints.json`). */
export function readEmulatorEndpoints(stateDir: string): EmulatorEndpoints {
  const file = path.join(stateDir, 'endpoints.json');
  if (!existsSync(file))
    throw new CliError(
      `No local emulator found: ${file} does not exist. Start Warden locally (\`npm start\`) or point --emulator-state (WARDEN_EMULATOR_STATE) at the emulator's state dir.`,
      EXIT.unreachable,
    );
  let e: Partial<EmulatorEndpoints>;
  try {
    e = JSON.parse(readFileSync(file, 'utf8')) as Partial<EmulatorEndpoints>;
  } catch {
    throw new CliError(`${file} is not valid JSON.`, EXIT.failure);
  }
  for (const k of ['baseUrl', 'adminBaseUrl', 'adminKeyPath', 'caCertPath'] as const)
    if (typeof e[k] !== 'string') throw new CliError(`${file} lacks ${k}.`, EXIT.failure);
  return e as EmulatorEndpoints;
}

/** Calls the local emulator's admin API (`/admin` + path) with its key, trusting its CA. */
export function emulatorAdmin(
  e: EmulatorEndpoints,
  method: string,
  adminPath: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  let key: string;
  let ca: string;
  try {
    key = readFileSync(e.adminKeyPath, 'utf8').trim();
    ca = readFileSync(e.caCertPath, 'utf8');
  } catch (err) {
    throw new CliError(
      `Cannot read the emulator's admin key or CA (${(err as Error).message}); is this the state dir of a running emulator?`,
      EXIT.failure,
    );
  }
  const headers: Record<string, string> = { 'x-emulator-admin-key': key, ...extraHeaders };
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const url = `${e.adminBaseUrl.replace(/\/+$/, '')}/${adminPath.replace(/^\/+/, '')}`;
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
    req.on('error', (err) => reject(unreachable(e.adminBaseUrl, err)));
    req.end(payload);
  });
}
