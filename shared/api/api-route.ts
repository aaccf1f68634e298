import type { z } from 'zod';

import type { Principal, WardenRole } from '../auth/principal';
import type { ApiServices } from './api-services';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** Who may call a route: one Warden app role, or nobody needs a token (health only). */
export type RouteAccess = WardenRole | 'anonymous';

/** The capability (registration file under functions/api/) a route belongs to. */
export type ApiCapability =
  | 'metadata'
  | 'approvals'
  | 'audit'
  | 'orchestrations'
  | 'status'
  | 'openapi'
  | 'health'
  | 'enforcement'
  | 'secrets'
  | 'models'
  | 'poison';

/** How a route treats `If-Match`. */
export type IfMatchPolicy =
  /** Not read. */
  | 'none'
  /** Optional: present → the expected version; absent → create (PUT) or no check. */
  | 'optional'
  /** Required: absent → 428 Precondition Required. */
  | 'required';

/** What the use case gets: the validated inputs, the caller and the request's correlation id. */
export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The version from `If-Match` (undefined when absent). */
  readonly expectedVersion: number | undefined;
  /** The authenticated caller (undefined only on anonymous routes). */
  readonly principal: Principal | undefined;
  readonly correlationId: string;
}

/** What the use case returns; the edge maps it to HTTP. */
export interface RouteResult {
  readonly status: 200 | 201 | 202 | 204;
  readonly body?: unknown;
  /** Sets `ETag: "<version>"`. */
  readonly version?: number;
  /** Extra response headers (`Location`, `x-warden-approval`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One route of Warden's HTTP API: the single table (see `route-table.ts`) declares every route's name, method,
 * template, role, schemas and summary; the edge registers, authenticates, authorises and validates from it, the
 * OpenAPI document is generated from it, and the route × role test walks it.
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  /** Function name (unique; letters and digits). */
  readonly name: string;
  readonly capability: ApiCapability;
  readonly method: HttpMethod;
  /** Azure Functions route template below /api (e.g. `metadata/access_policies/{id}`). */
  readonly route: string;
  readonly access: RouteAccess;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  /** JSON request body; the edge enforces content type, size and strictness. */
  readonly body?: z.ZodType<B>;
  /** The body as documented in OpenAPI when `body` only checks the shape and the use case validates further. */
  readonly bodyDoc?: z.ZodType;
  /** The success body (documentation and tests; not enforced at runtime). */
  readonly response?: z.ZodType;
  readonly successStatus: RouteResult['status'];
  readonly ifMatch: IfMatchPolicy;
  /** Whether the response carries an ETag. */
  readonly etag?: boolean;
  /**
   * The use case needs the durable engine (orchestration status, or starting the remediation of an approval): the
   * edge adds the durable client input binding and builds the per-invocation ports from it.
   */
  readonly durableClient?: boolean;
  /** Response content type when not JSON (e.g. NDJSON export). */
  readonly responseContentType?: string;
  handle(input: RouteInput<P, Q, B>, services: ApiServices): Promise<RouteResult>;
}

/** A route with its types erased, for the table. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table holds routes of different input types; each is checked where defined
export type AnyApiRoute = ApiRoute<any, any, any>;

/** Defines a route, checking its handler against its schemas. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  route: ApiRoute<P, Q, B>,
): ApiRoute<P, Q, B> {
  return route;
}
