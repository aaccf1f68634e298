/** HTTP plumbing shared by the ARM handlers: audiences, api-version checks, JSON bodies, paging. */
import type { EmulatorRequest } from '../core/module';
import * as E from './errors';

/** Token audiences ARM accepts (both spellings, with and without the trailing slash). */
export const ARM_AUDIENCES: readonly string[] = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
];

/** The api-version, or ARM's `MissingApiVersionParameter`. */
export function requireApiVersion(req: EmulatorRequest): string {
  const v = req.apiVersion ?? req.queryParam('api-version');
  if (!v) throw E.missingApiVersion();
  return v;
}

/** Microsoft.Authorization / Microsoft.Resources style: `InvalidApiVersionParameter` for an unsupported version. */
export function checkApiVersion(req: EmulatorRequest, supported: readonly string[]): string {
  const v = requireApiVersion(req);
  if (!supported.some((s) => s.toLowerCase() === v.toLowerCase())) throw E.invalidApiVersion(v, supported);
  return v;
}

/**
 * The request's JSON object body for PUT/PATCH: 415 for another content type, 400 `InvalidRequestContent` for a
 * missing or non-object body. (Malformed JSON is refused by the server before the handler runs.)
 */
export function jsonObjectBody(req: EmulatorRequest, required = true): Record<string, unknown> {
  if (req.rawBody.length > 0 && req.contentType !== '' && !/json/.test(req.contentType)) {
    throw E.unsupportedMediaType(req.contentType);
  }
  const body = req.body;
  if (body === undefined || body === null || req.rawBody.length === 0) {
    if (!required) return {};
    throw E.invalidRequestContent('The request body is required.');
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw E.invalidRequestContent('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** The origin the caller addressed (`https://127.0.0.1:7443`), for absolute `nextLink`/`Location` URLs. */
export function originOf(req: EmulatorRequest): string {
  return new URL(req.url).origin;
}

/**
 * One page of a list, ARM style: `{ value, nextLink }` with an absolute `nextLink` that carries `api-version` and
 * the filter (autorest pagers GET it verbatim) and an opaque `$skipToken`.
 */
export function page<T>(
  req: EmulatorRequest,
  items: readonly T[],
  pageSize: number,
  apiVersion: string,
): { value: T[]; nextLink?: string } {
  const start = decodeSkipToken(req.queryParam('$skipToken'));
  const value = items.slice(start, start + pageSize);
  if (start + pageSize >= items.length) return { value };
  // As ARM writes them: `$filter` and `$skipToken` keys literal, values percent-encoded.
  const filter = req.queryParam('$filter');
  const token = Buffer.from(String(start + pageSize)).toString('base64url');
  const query = [
    `api-version=${encodeURIComponent(apiVersion)}`,
    ...(filter !== undefined ? [`$filter=${encodeURIComponent(filter)}`] : []),
    `$skipToken=${token}`,
  ].join('&');
  return { value, nextLink: `${originOf(req)}${req.path}?${query}` };
}

function decodeSkipToken(token: string | undefined): number {
  if (!token) return 0;
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw E.badRequest('InvalidSkipToken', `The $skipToken '${token}' is not valid.`);
  return n;
}
