/**
 * A minimal HTTPS client for the data planes no Azure SDK covers here (Databricks token management, SCIM `Me`,
 * storage List Containers, a credential issuer, consumer health checks): the URL's host mapped through
 * WARDEN_HOST_OVERRIDES, an optional extra CA, a timeout. Bodies are JSON or text; headers and bodies are never
 * logged or put into errors (they carry tokens).
 */
import http from 'node:http';
import https from 'node:https';

import { TransientCloudError } from '../../domain/errors';
import { resolveHost } from './host-overrides';

export interface DataPlaneOptions {
  readonly hostOverrides: Readonly<Record<string, string>>;
  readonly tlsCa?: string;
  readonly timeoutMs?: number;
}

export interface DataPlaneResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** Sends one request; network failures and timeouts are TransientCloudError naming the method and URL only. */
export function dataPlaneRequest(
  options: DataPlaneOptions,
  request: {
    readonly method: string;
    readonly url: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string;
  },
): Promise<DataPlaneResponse> {
  const target = new URL(resolveHost(request.url, options.hostOverrides));
  const shown = `${request.method} ${new URL(request.url).origin}${new URL(request.url).pathname}`;
  const lib = target.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      {
        method: request.method,
        headers: {
          ...(request.body !== undefined ? { 'content-length': Buffer.byteLength(request.body).toString() } : {}),
          ...request.headers,
        },
        timeout: options.timeoutMs ?? 30_000,
        ...(options.tlsCa !== undefined && target.protocol === 'https:' ? { ca: options.tlsCa } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (e) =>
          reject(new TransientCloudError(`${shown} failed: ${e.message}`, undefined, { cause: e })),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => reject(new TransientCloudError(`${shown} failed: ${e.message}`, undefined, { cause: e })));
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}

/** The JSON body of a response, or undefined when it is not JSON. */
export function jsonOf(res: DataPlaneResponse): unknown {
  try {
    return JSON.parse(res.text) as unknown;
  } catch {
    return undefined;
  }
}
