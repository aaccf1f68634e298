import { randomUUID } from 'node:crypto';

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { z } from 'zod';

import type { AnyApiRoute, RouteInput } from '../../shared/api/api-route';
import { fieldIssues } from '../../shared/api/field-issues';
import { AuthError } from '../../shared/auth/auth-error';
import { hasRole, type Principal } from '../../shared/auth/principal';
import { ensureError, TransientCloudError, ValidationError } from '../../shared/domain/errors';
import { durableOrchestrationQuery } from './durable-orchestration-query';
import { PayloadTooLargeError, PreconditionRequiredError, UnsupportedMediaTypeError } from './edge-errors';
import type { EdgeServices, EdgeServicesProvider } from './edge-services';
import { toProblem } from './problem-details';

const CORRELATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;.*)?$/i;

/** The caller's correlation id (`x-correlation-id`) when well-formed, else a new one. */
export function correlationIdOf(request: HttpRequest): string {
  const sent = request.headers.get('x-correlation-id');
  return sent && CORRELATION_ID.test(sent) ? sent : randomUUID();
}

/** The version in `If-Match` (`"7"`), undefined when absent; anything else is a 400 naming the header. */
export function parseIfMatch(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const m = /^\s*"(\d{1,15})"\s*$/.exec(value);
  if (!m)
    throw new ValidationError('request', [
      {
        path: 'If-Match',
        message:
          value.trim() === '*'
            ? "'*' is not supported: send the ETag you read"
            : 'must be the ETag of a previous read, e.g. "3"',
      },
    ]);
  return Number(m[1]);
}

function parseWith<T>(schema: z.ZodType<T> | undefined, value: unknown, subject: string): T {
  if (!schema) return {} as T;
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(subject, fieldIssues(r.error));
  return r.data;
}

function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

async function readJsonBody(request: HttpRequest, limit: number): Promise<unknown> {
  const type = request.headers.get('content-type');
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > limit) throw new PayloadTooLargeError(limit);
  if (text.trim() === '') throw new ValidationError('request body', [{ path: 'body', message: 'is required' }]);
  if (!type || !JSON_TYPE.test(type)) throw new UnsupportedMediaTypeError(type);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('request body', [{ path: 'body', message: 'is not valid JSON' }]);
  }
}

async function authenticate(services: EdgeServices, request: HttpRequest): Promise<Principal> {
  try {
    return await services.authenticator.authenticate(request.headers.get('authorization'));
  } catch (e) {
    if (e instanceof AuthError) throw e;
    // The OpenID metadata or JWKS could not be fetched: not the caller's fault.
    throw new TransientCloudError('The identity provider is unavailable; retry shortly.', 5000, { cause: e });
  }
}

/**
 * Runs one API request through the edge: authenticate (401 + WWW-Authenticate) → authorise by the route's role
 * (403 naming it) → validate params, query, If-Match and the JSON body (400/413/415/428) → the route's use case →
 * map the result (ETag from the version) or the error (problem+json). A rejected attempt by an authenticated
 * caller is audited with the caller as actor; nothing else changes.
 */
export async function handleApiRequest(
  route: AnyApiRoute,
  request: HttpRequest,
  services: EdgeServices,
  log?: { error(...args: unknown[]): void },
): Promise<HttpResponseInit> {
  const correlationId = correlationIdOf(request);
  const instance = new URL(request.url).pathname;
  let principal: Principal | undefined;
  try {
    if (route.access !== 'anonymous') {
      principal = await authenticate(services, request);
      if (!hasRole(principal, route.access))
        throw new AuthError(403, 'missing_role', `This route requires the app role ${route.access}.`);
    }
    const params: unknown = parseWith(route.params as z.ZodType<unknown> | undefined, { ...request.params }, 'path');
    const query: unknown = parseWith(
      route.query as z.ZodType<unknown> | undefined,
      queryObject(request.query),
      'query',
    );
    const expectedVersion = route.ifMatch === 'none' ? undefined : parseIfMatch(request.headers.get('if-match'));
    if (route.ifMatch === 'required' && expectedVersion === undefined) throw new PreconditionRequiredError();
    const body: unknown = route.body
      ? parseWith(
          route.body as z.ZodType<unknown>,
          await readJsonBody(request, services.bodyLimitBytes),
          'request body',
        )
      : undefined;
    const input: RouteInput<unknown, unknown, unknown> = {
      params,
      query,
      body,
      expectedVersion,
      principal,
      correlationId,
    };
    const result = await route.handle(input, services.api);
    const headers: Record<string, string> = {
      'x-correlation-id': correlationId,
      'cache-control': 'no-store',
      ...(result.headers ?? {}),
    };
    if (result.version !== undefined) headers.etag = `"${result.version}"`;
    if (result.status === 204 || result.body === undefined) return { status: result.status, headers };
    if (typeof result.body === 'string') {
      headers['content-type'] = route.responseContentType ?? 'text/plain; charset=utf-8';
      return { status: result.status, headers, body: result.body };
    }
    headers['content-type'] = 'application/json; charset=utf-8';
    return { status: result.status, headers, body: JSON.stringify(result.body) };
  } catch (e) {
    const problem = toProblem(e, { instance, correlationId });
    if (problem.status === 500 || problem.status === 503)
      log?.error(`api.${route.name}.failed`, { correlationId, error: describe(e) });
    else if (principal) await auditRejection(services, route, request, principal, problem, correlationId, log);
    return {
      status: problem.status,
      headers: { ...problem.headers, 'x-correlation-id': correlationId },
      body: JSON.stringify(problem.body),
    };
  }
}

function describe(e: unknown): string {
  const err = ensureError(e);
  const cause = err.cause instanceof Error ? ` (cause: ${err.cause.name}: ${err.cause.message})` : '';
  return `${err.name}: ${err.message}${cause}`;
}

/**
 * Records a refused request of an authenticated caller: who, which route, the status and code, and which fields
 * were wrong (paths only — never the values sent, which may be anything). No state changes besides this entry.
 */
async function auditRejection(
  services: EdgeServices,
  route: AnyApiRoute,
  request: HttpRequest,
  principal: Principal,
  problem: ReturnType<typeof toProblem>,
  correlationId: string,
  log?: { error(...args: unknown[]): void },
): Promise<void> {
  try {
    await services.api.store.audit.append({
      actor: principal.actor,
      action: 'api.rejected',
      target: `api/${route.name}`,
      after: {
        method: request.method,
        path: new URL(request.url).pathname.slice(0, 1024),
        status: problem.status,
        code: problem.body.code,
        fields: (problem.body.errors ?? []).map((i) => i.path),
      },
      reason: problem.body.title,
      correlationId,
    });
  } catch (e) {
    log?.error('api.rejection-audit-failed', { correlationId, error: describe(e) });
  }
}

/**
 * The Functions handler of one route: resolves the services (lazily composed) and runs the edge. With a Service
 * Bus notification output, each invocation collects its notifications and hands them to the binding.
 */
export function apiHandler(route: AnyApiRoute, provider: EdgeServicesProvider) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let services: EdgeServices;
    try {
      services = await provider();
    } catch (e) {
      context.error('api.composition-failed', describe(e));
      const problem = toProblem(new TransientCloudError('Warden is not configured or its store is unavailable.'), {
        instance: new URL(request.url).pathname,
      });
      return { status: problem.status, headers: problem.headers, body: JSON.stringify(problem.body) };
    }
    const log = { error: (...args: unknown[]) => context.error(...args) };
    if (route.durableClient) {
      const client = df.getClient(context);
      const api = {
        ...services.api,
        orchestrations: durableOrchestrationQuery(client),
        ...(services.remediationsFor ? { remediations: services.remediationsFor(client) } : {}),
      };
      services = { ...services, api: services.apiFor ? services.apiFor(api, client) : api };
    }
    return handleApiRequest(route, request, services, log);
  };
}
