/**
 * The ARM SDK clients Warden's adapters use, built in one place from a credential and an endpoint, plus the mapping
 * of SDK errors to Warden's error vocabulary. SDK types never leave `shared/cloud/azure/`.
 *
 * @remarks
 * The two client styles take different options (emulator-api-surface §2.0, pitfalls §8.2): the autorest
 * `AuthorizationManagementClient` asks for `${endpoint}/.default` unless `credentialScopes` names the ARM audience,
 * while the modular `ResourceManagementClient` and `StorageManagementClient` keep the management scope and move
 * only with `endpoint` (never `baseUri`, which they ignore).
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ResourceManagementClient } from '@azure/arm-resources';
import { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/identity';

import { NotFoundError, TransientCloudError, ValidationError } from '../../domain/errors';
import { CloudAuthorizationError } from '../ports/cloud-authorization-error';

/** Where ARM is and how to reach it. */
export interface ArmConnection {
  readonly credential: TokenCredential;
  readonly subscriptionId: string;
  /** `https://management.azure.com` on Azure; the emulator's ARM endpoint locally. */
  readonly endpoint: string;
  /** The token audience; always ARM's (the emulator accepts it too). */
  readonly audience?: string;
  /** Extra CA to trust (tests against the emulator in-process; the launcher uses NODE_EXTRA_CA_CERTS instead). */
  readonly tlsCa?: string;
  /** The SDK pipeline's own retries for 408/429/5xx (default 3). */
  readonly maxRetries?: number;
}

export const ARM_AUDIENCE = 'https://management.azure.com';

/** The SDK clients of one connection. Construct once (composition root) and share. */
export interface ArmClients {
  readonly authorization: AuthorizationManagementClient;
  readonly resources: ResourceManagementClient;
  readonly storage: StorageManagementClient;
  readonly subscriptionId: string;
}

export function createArmClients(c: ArmConnection): ArmClients {
  const common = {
    endpoint: c.endpoint.replace(/\/+$/, ''),
    ...(c.tlsCa !== undefined ? { tlsOptions: { ca: c.tlsCa } } : {}),
    retryOptions: { maxRetries: c.maxRetries ?? 3 },
  };
  const audience = (c.audience ?? ARM_AUDIENCE).replace(/\/+$/, '');
  return {
    authorization: new AuthorizationManagementClient(c.credential, c.subscriptionId, {
      ...common,
      credentialScopes: [`${audience}/.default`],
    }),
    resources: new ResourceManagementClient(c.credential, c.subscriptionId, {
      ...common,
      credentials: { scopes: [`${audience}/.default`] },
    }),
    storage: new StorageManagementClient(c.credential, c.subscriptionId, {
      ...common,
      credentials: { scopes: [`${audience}/.default`] },
    }),
    subscriptionId: c.subscriptionId,
  };
}

/** The status and ARM error code of an SDK error, when it has them. */
export function armErrorInfo(e: unknown): { status: number | undefined; code: string | undefined; message: string } {
  if (typeof e !== 'object' || e === null) return { status: undefined, code: undefined, message: String(e) };
  const r = e as { statusCode?: unknown; code?: unknown; message?: unknown; details?: unknown };
  const status = typeof r.statusCode === 'number' ? r.statusCode : undefined;
  let code = typeof r.code === 'string' ? r.code : undefined;
  const details = r.details as { error?: { code?: unknown } } | undefined;
  if (typeof details?.error?.code === 'string') code = details.error.code;
  return { status, code, message: typeof r.message === 'string' ? r.message : 'unknown error' };
}

/**
 * Maps an SDK error to Warden's vocabulary: 403 → {@link CloudAuthorizationError} (permanent), 404 →
 * NotFoundError, 408/429/5xx and socket errors → TransientCloudError, other 4xx → ValidationError naming the ARM
 * code. The message names the operation and target; it never carries tokens (the SDK's messages do not either).
 */
export function toWardenError(e: unknown, operation: string, target: string): Error {
  const { status, code, message } = armErrorInfo(e);
  const what = `${operation} on ${target}`;
  if (status === 403) {
    const action = /action '([^']+)'/.exec(message)?.[1];
    return new CloudAuthorizationError(action, target, `${what} was refused (${code ?? '403'}): ${message}`, {
      cause: e,
    });
  }
  if (status === 404)
    return new NotFoundError(operation.includes('role') ? 'role assignment or scope' : 'resource', target);
  if (status === undefined || status === 408 || status === 429 || status >= 500)
    return new TransientCloudError(
      `${what} failed${status ? ` (${status} ${code ?? ''})` : ''}: ${message}`,
      undefined,
      {
        cause: e,
      },
    );
  return new ValidationError(what, [{ path: code ?? String(status), message }]);
}

/** Bounded retry of calls that fail for a known, passing reason (new principal, RBAC propagation). */
export interface BoundedRetry {
  /** Attempts in all (first call included). */
  readonly attempts: number;
  /** Delay before attempt k+1 is `delayMs * 2^(k-1)`. */
  readonly delayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_BOUNDED_RETRY: BoundedRetry = { attempts: 5, delayMs: 2000 };

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn`, retrying while `retryable(error)` holds, at most `attempts` times; then rethrows the last error. */
export async function withBoundedRetry<T>(
  retry: BoundedRetry,
  retryable: (e: unknown) => boolean,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  const sleep = retry.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= retry.attempts || !retryable(e)) throw e;
      await sleep(retry.delayMs * 2 ** (attempt - 1));
    }
  }
}
