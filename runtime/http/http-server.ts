import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import type { RuntimeLogger, SystemRouteHandler } from '../host/runtime-services';

/** The body of a request went over the limit (the host answers 413). */
export class PayloadTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than the limit of ${limit} bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).`);
    this.name = 'PayloadTooLargeError';
  }
}

/** Default request body limit: 100 MB, as the Functions host (`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`). */
export const DEFAULT_BODY_LIMIT = 104_857_600;

/**
 * Reads the whole request body, refusing (without buffering) anything over `limit` bytes: a declared
 * `Content-Length` over the limit fails at once, a streamed body as soon as it crosses the limit.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new PayloadTooLargeError(limit);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

/** Sends a short plain-text or JSON answer (errors, system endpoints). */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, ...headers });
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
    ...headers,
  });
  res.end(body);
}

/** `application/problem+json` for errors the runtime itself answers (bad key, body too large, no route). */
export function sendProblem(res: ServerResponse, status: number, title: string, detail: string): void {
  sendJson(res, status, { type: 'about:blank', title, status, detail }, { 'content-type': 'application/problem+json' });
}

export function isLoopback(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress ?? '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1' || a.startsWith('127.');
}

interface Route {
  prefix: string;
  lowerPrefix: string;
  handler: SystemRouteHandler;
}

/**
 * The runtime's one HTTP listener. Requests go to the handler of the longest matching prefix (`/api`,
 * `/runtime/webhooks/eventgrid`, `/admin`, …); nothing matching → 404.
 *
 * @remarks
 * On {@link close} it stops accepting connections, answers 503 on kept-alive ones, and waits (bounded) for requests
 * in flight, so invocations started by HTTP finish before components stop.
 */
export class HttpServer {
  private readonly routes: Route[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  private readonly idle = new Set<() => void>();
  private closing = false;
  private port = 0;

  constructor(
    private readonly logger: RuntimeLogger,
    private readonly hostname = '127.0.0.1',
  ) {
    this.server = createServer({ keepAliveTimeout: 5000 }, (req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy(err);
    });
  }

  addRoute(prefix: string, handler: SystemRouteHandler): void {
    const clean = prefix === '/' ? '/' : `/${prefix.replace(/^\/+|\/+$/g, '')}`;
    if (this.routes.some((r) => r.prefix === clean)) throw new Error(`A handler is already registered for ${clean}.`);
    this.routes.push({ prefix: clean, lowerPrefix: clean.toLowerCase(), handler });
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.hostname, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  get listeningPort(): number {
    return this.port;
  }

  baseUrl(): string {
    const host = this.hostname.includes(':') ? `[${this.hostname}]` : this.hostname;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${this.port}`;
  }

  /** Stops accepting, waits up to `timeoutMs` for requests in flight, then closes every connection. */
  async close(timeoutMs: number): Promise<boolean> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    let drained = true;
    if (this.inFlight > 0) {
      drained = await new Promise<boolean>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          this.idle.delete(done);
          resolve(false);
        }, timeoutMs);
        this.idle.add(done);
      });
    }
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
    return drained;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.closing) {
      sendText(res, 503, 'The local Functions runtime is shutting down.', { connection: 'close' });
      return;
    }
    this.inFlight++;
    res.once('close', () => {
      this.inFlight--;
      if (this.inFlight === 0) for (const w of [...this.idle]) w();
    });
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const lower = path.toLowerCase();
    const route = this.routes.find(
      (r) => r.prefix === '/' || lower === r.lowerPrefix || lower.startsWith(`${r.lowerPrefix}/`),
    );
    if (!route) {
      sendProblem(res, 404, 'Not Found', `No function or runtime endpoint at ${path}.`);
      return;
    }
    let url: URL;
    try {
      url = new URL(rawUrl, `http://${req.headers.host ?? `localhost:${this.port}`}`);
    } catch {
      sendProblem(res, 400, 'Bad Request', 'The request URL is malformed.');
      return;
    }
    let result: void | Promise<void>;
    try {
      result = route.handler(req, res, url);
    } catch (e) {
      this.fail(req, res, path, e);
      return;
    }
    if (result instanceof Promise) result.catch((e: unknown) => this.fail(req, res, path, e));
  }

  private fail(req: IncomingMessage, res: ServerResponse, path: string, e: unknown): void {
    if (req.destroyed && !res.headersSent) {
      // The client went away mid-request: nothing to answer.
      this.logger.debug('http.aborted', { path });
      res.destroy();
      return;
    }
    if (e instanceof PayloadTooLargeError) {
      sendProblem(res, 413, 'Payload Too Large', e.message);
      return;
    }
    this.logger.error('http.unhandled', { path, error: e instanceof Error ? e.message : String(e) });
    sendProblem(res, 500, 'Internal Server Error', 'The runtime failed to handle the request; see its log.');
  }
}
