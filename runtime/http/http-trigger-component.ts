import type { IncomingMessage, ServerResponse } from 'node:http';

import type { AuthLevel, KeyStore } from '../admin/key-store';
import type { RegisteredFunction } from '../host/core-api';
import type { RpcHttpData, RpcTypedData } from '../host/core-types';
import { isFunctionDisabled } from '../host/disabled-functions';
import { type FunctionHost, triggerBindingOf } from '../host/function-host';
import type { RuntimeComponent, RuntimeServices } from '../host/runtime-services';
import { readBody, sendProblem, sendText } from './http-server';
import { compareRoutes, type CompiledRoute, compileRoute } from './route-template';

interface HttpFunctionRoute {
  fn: RegisteredFunction;
  functionName: string;
  triggerName: string;
  route: CompiledRoute;
  /** Upper-case methods; undefined = every method. */
  methods: Set<string> | undefined;
  authLevel: AuthLevel;
}

export interface HttpTriggerOptions {
  /** `extensions.http.routePrefix` (default `api`; `''` = functions at the root). */
  routePrefix: string;
  keys: KeyStore;
  /** Request body limit in bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT). */
  bodyLimit: number;
  /** Registers the handler for the route prefix on the listener. */
  addRoute(prefix: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>): void;
}

/** The key a caller presented: `x-functions-key` header, else the `code` query parameter (as the host reads it). */
export function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-functions-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  return url.searchParams.get('code') ?? undefined;
}

/**
 * Serves `httpTrigger` functions at `/<routePrefix>/<route>` as the Functions host does: ASP.NET route templates,
 * method filter (a method the function does not accept is a 404), `authLevel` keys, body limit (413), request and
 * response mapping through the worker's RPC shapes, handler failure → 500.
 */
export class HttpTriggerComponent implements RuntimeComponent {
  readonly name = 'http';
  readonly triggerTypes = ['httpTrigger'] as const;
  private routes: HttpFunctionRoute[] = [];
  private host: FunctionHost | undefined;
  private stopped = false;

  constructor(private readonly options: HttpTriggerOptions) {}

  start(services: RuntimeServices): Promise<void> {
    this.host = services.host;
    const problems: string[] = [];
    const routes: HttpFunctionRoute[] = [];
    for (const fn of services.host.functions.values()) {
      const { name: triggerName, binding } = triggerBindingOf(fn);
      if (String(binding.type).toLowerCase() !== 'httptrigger') continue;
      if (isFunctionDisabled(services.env, fn.metadata.name)) continue;
      const template = typeof binding.route === 'string' && binding.route.length > 0 ? binding.route : fn.metadata.name;
      try {
        const resolved = services.resolveSetting(template);
        const methods = Array.isArray(binding.methods)
          ? new Set((binding.methods as unknown[]).map((m) => String(m).toUpperCase()))
          : undefined;
        const level = (typeof binding.authLevel === 'string' ? binding.authLevel : 'function').toLowerCase();
        if (level !== 'anonymous' && level !== 'function' && level !== 'admin') {
          throw new Error(`authLevel "${level}" is not one of anonymous, function, admin`);
        }
        routes.push({
          fn,
          functionName: fn.metadata.name,
          triggerName,
          route: compileRoute(resolved),
          methods: methods && methods.size > 0 ? methods : undefined,
          authLevel: level,
        });
      } catch (e) {
        problems.push(`  ${fn.metadata.name}: ${(e as Error).message}`);
      }
    }
    if (problems.length > 0) {
      return Promise.reject(new Error(`Start-up failed: invalid HTTP trigger(s):\n${problems.join('\n')}`));
    }
    routes.sort((a, b) => compareRoutes(a.route, b.route));
    this.routes = routes;
    this.options.keys.ensure(routes.filter((r) => r.authLevel === 'function').map((r) => r.functionName));
    const prefix = this.options.routePrefix ? `/${this.options.routePrefix}` : '/';
    this.options.addRoute(prefix, (req, res, url) => this.handle(req, res, url));
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  /** The functions and their compiled routes (admin listing). */
  describe(): { name: string; route: string; methods: string[] | '*'; authLevel: AuthLevel }[] {
    return this.routes.map((r) => ({
      name: r.functionName,
      route: r.route.template,
      methods: r.methods ? [...r.methods] : '*',
      authLevel: r.authLevel,
    }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const host = this.host as FunctionHost;
    if (this.stopped) {
      sendProblem(res, 503, 'Service Unavailable', 'The local Functions runtime is shutting down.');
      return;
    }
    const prefix = this.options.routePrefix;
    let rest = url.pathname;
    if (prefix) rest = rest.slice(prefix.length + 1);
    rest = rest.replace(/^\/+/, '').replace(/\/+$/, '');
    const method = (req.method ?? 'GET').toUpperCase();
    let target: HttpFunctionRoute | undefined;
    let params: Record<string, string> | undefined;
    for (const candidate of this.routes) {
      if (candidate.methods && !candidate.methods.has(method)) continue;
      const m = candidate.route.match(rest);
      if (m) {
        target = candidate;
        params = m;
        break;
      }
    }
    if (!target || !params) {
      // The host answers 404 both for an unknown route and for a method the function does not accept.
      req.resume();
      sendProblem(res, 404, 'Not Found', `No HTTP function serves ${method} ${url.pathname}.`);
      return;
    }
    if (!this.options.keys.authorizeFunction(target.authLevel, target.functionName, presentedKey(req, url))) {
      req.resume();
      // The Azure host answers 401 (func start would not check; see docs/runtime.md). Which keys exist is not said.
      sendText(
        res,
        401,
        `Unauthorized: ${target.functionName} has authLevel "${target.authLevel}"; send a key in the x-functions-key header or the code query parameter.`,
      );
      return;
    }
    const body = await readBody(req, this.options.bodyLimit);
    const http = toRpcHttpRequest(req, url, method, params, body);
    const result = await host.invoke(target.functionName, {
      request: { inputData: [{ name: target.triggerName, data: { http } }] },
    });
    if (result.status === 'failure') {
      // The host returns 500 with an empty body; the error is in the log with the invocation id.
      res.writeHead(500, { 'content-length': 0 });
      res.end();
      return;
    }
    writeRpcHttpResponse(res, result.response.returnValue ?? findHttpOutput(target.fn, result.response.outputData));
  }
}

function findHttpOutput(
  fn: RegisteredFunction,
  outputs: { name?: string | null; data?: RpcTypedData | null }[] | null | undefined,
): RpcTypedData | undefined {
  for (const o of outputs ?? []) {
    const b = o.name ? fn.metadata.bindings[o.name] : undefined;
    if (b && String(b.type).toLowerCase() === 'http' && o.data) return o.data;
  }
  return undefined;
}

/** The RPC request the host sends the worker for an HTTP trigger (capabilities RawHttpBodyBytes, RpcHttpBodyOnly). */
export function toRpcHttpRequest(
  req: IncomingMessage,
  url: URL,
  method: string,
  params: Record<string, string>,
  body: Buffer,
): RpcHttpData {
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (value === '') continue; // IgnoreEmptyValuedRpcHttpHeaders
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  return {
    method,
    url: url.href,
    headers,
    query,
    params,
    body: { bytes: body },
  };
}

const SAME_SITE: Record<string, string> = { lax: 'Lax', strict: 'Strict', explicitnone: 'None' };

interface RpcCookie {
  name?: string;
  value?: string;
  domain?: { value?: string } | null;
  path?: { value?: string } | null;
  expires?: { value?: number | string } | null;
  secure?: { value?: boolean } | null;
  httpOnly?: { value?: boolean } | null;
  sameSite?: string | number | null;
  maxAge?: { value?: number | string } | null;
}

function setCookie(c: RpcCookie): string {
  const parts = [`${c.name ?? ''}=${c.value ?? ''}`];
  if (c.domain?.value) parts.push(`Domain=${c.domain.value}`);
  if (c.path?.value) parts.push(`Path=${c.path.value}`);
  if (c.expires?.value !== undefined && c.expires.value !== null) {
    parts.push(`Expires=${new Date(Number(c.expires.value)).toUTCString()}`);
  }
  if (c.maxAge?.value !== undefined && c.maxAge.value !== null) parts.push(`Max-Age=${Number(c.maxAge.value)}`);
  if (c.secure?.value) parts.push('Secure');
  if (c.httpOnly?.value) parts.push('HttpOnly');
  const same = SAME_SITE[String(c.sameSite ?? '').toLowerCase()];
  if (same) parts.push(`SameSite=${same}`);
  return parts.join('; ');
}

/** Turns the worker's `{http: RpcHttpData}` response back into a real HTTP response, as the host does. */
export function writeRpcHttpResponse(res: ServerResponse, value: RpcTypedData | null | undefined): void {
  const http = value?.http;
  if (!http) {
    // Nothing returned (or a non-http value): the host answers with no content.
    res.writeHead(204, { 'content-length': 0 });
    res.end();
    return;
  }
  const status = Number(http.statusCode ?? 200) || 200;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(http.headers ?? {})) headers[k.toLowerCase()] = v;
  const cookies = (http.cookies ?? []).map((c) => setCookie(c as RpcCookie));
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const bodyData = http.body;
  let body: Buffer;
  if (bodyData?.bytes) body = Buffer.from(bodyData.bytes.buffer, bodyData.bytes.byteOffset, bodyData.bytes.byteLength);
  else if (typeof bodyData?.string === 'string') body = Buffer.from(bodyData.string, 'utf8');
  else body = Buffer.alloc(0);
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    delete headers['content-length'];
    res.writeHead(status, headers);
    res.end();
    return;
  }
  delete headers['transfer-encoding'];
  headers['content-length'] = String(body.length);
  res.writeHead(status, headers);
  res.end(body);
}
