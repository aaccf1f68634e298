// Calling Warden's HTTP API in end-to-end tests: one JSON request helper and bearer tokens minted by the emulator's Entra.
import type { RunningEmulator } from '../../emulator/index';

export interface ApiCallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, the raw text when it is not JSON, or undefined for an empty body. */
  body: unknown;
}

/** `method` on `<base>/api/<path>` with an optional bearer token and JSON body. */
export async function callApi(base: string, method: string, path: string, o: ApiCallOptions = {}): Promise<ApiAnswer> {
  const res = await fetch(`${base}/api/${path}`, {
    method,
    headers: {
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(o.headers ?? {}),
    },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

/** Tokens for Warden's API (`api://warden`), one per named principal, minted by the emulator's admin API. */
export async function mintApiTokens<K extends string>(
  emulator: RunningEmulator,
  principals: Record<K, string>,
): Promise<Record<K, string>> {
  const tokens = {} as Record<K, string>;
  for (const [name, principalId] of Object.entries(principals) as [K, string][]) {
    const minted = await emulator.admin('POST', '/admin/tokens', { principalId, resource: 'api://warden' });
    if (minted.status !== 200)
      throw new Error(`minting a token for ${principalId} failed: ${JSON.stringify(minted.body)}`);
    tokens[name] = (minted.body as { access_token: string }).access_token;
  }
  return tokens;
}
