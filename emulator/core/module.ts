/**
 * The seam between the emulator's core and its resource-provider modules (Entra, ARM, Event Grid, later Key Vault,
 * Azure ML, Monitor). A module registers routes on the shared {@link Router}, keeps its state in the shared SQLite
 * database, and reaches the other parts of the local Azure only through the {@link EmulatorContext}.
 *
 * @remarks
 * The emulator is Azure, not Warden: nothing here (or in any module) imports the app.
 * Modules are listed in `emulator/index.ts` (entra, eventgrid, arm, admin, ...); the ARM module is expected as
 * `export const armModule: EmulatorModule` from `emulator/arm/index.ts`.
 */
import type { DatabaseSync } from 'node:sqlite';

/** JSON value as parsed from a request body. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A parsed HTTP request, as every handler sees it. */
export interface EmulatorRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path with repeated slashes collapsed and no query (`//subscriptions/x` arrives as `/subscriptions/x`). */
  readonly path: string;
  /** Percent-decoded path segments (no empty ones). */
  readonly segments: readonly string[];
  /** Route parameters captured by the matched pattern (`{name}` → one segment, `{*name}` → `/a/b/c`). */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters with percent-decoded keys (`api%2Dversion` → `api-version`); first value wins in {@link query}. */
  readonly query: ReadonlyMap<string, string>;
  /** All values per query key (lower-cased keys map to the same entries via {@link queryParam}). */
  readonly queryAll: URLSearchParams;
  /** `api-version` from the query, if any. */
  readonly apiVersion: string | undefined;
  /** Lower-case header names, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The raw body (empty buffer when none). */
  readonly rawBody: Buffer;
  /**
   * The parsed body: JSON when the content type is JSON-ish (or absent with a non-empty body), an object of fields
   * for `application/x-www-form-urlencoded`, else undefined. Parse errors surface as 400 before the handler runs,
   * unless the route opted out with `rawBody: true`.
   */
  readonly body: unknown;
  /** The content type without parameters, lower-case ('' when absent). */
  readonly contentType: string;
  /** The absolute URL of this request as the caller addressed it (origin of this listener + original path + query). */
  readonly url: string;
  /** Remote address of the caller. */
  readonly clientIp: string;
  /** `x-ms-client-request-id` if sent, else a fresh id; echoed on the response. */
  readonly clientRequestId: string;
  /** A correlation id for this request (`x-ms-correlation-request-id` if sent, else fresh). */
  readonly correlationId: string;
  /** A single header value (first one), case-insensitive name. */
  header(name: string): string | undefined;
  /** A query value, key compared case-insensitively (`$filter`, `api-version`, ...). */
  queryParam(name: string): string | undefined;
}

/** What a handler returns. A `body` that is not a Buffer or string is sent as JSON. */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: unknown;
}

export type Handler = (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

export interface RouteOptions {
  /** Operation name for logs and 501s, e.g. `Microsoft.Authorization/roleAssignments/write`. */
  operation?: string;
  /** Per-route body limit in bytes (default: the server's, 4 MiB). */
  maxBodyBytes?: number;
  /** Do not parse the body (the handler reads `rawBody`). */
  rawBody?: boolean;
  /** Admin route: requires the admin key (`x-emulator-admin-key`); set automatically for paths under `/admin/`. */
  admin?: boolean;
  /**
   * Error dialect of automatic errors raised for this route (body parse errors, 413): `arm` (default) gives
   * `{"error":{"code","message"}}`, `entra` gives Entra's `{"error","error_description",...}`.
   */
  dialect?: 'arm' | 'entra';
}

/**
 * Method + path-pattern routing. Patterns are `/`-separated; literal segments match case-insensitively (ARM is
 * case-insensitive), `{name}` captures one segment, `{*name}` captures one or more segments (as `/a/b`, leading
 * slash included) and may appear once anywhere in the pattern (`/{*scope}/providers/Microsoft.Authorization/roleAssignments/{name}`).
 * A pattern may end with `/{**rest}` to capture zero or more trailing segments.
 * Routes without wildcards are tried before routes with wildcards; otherwise registration order decides.
 * When the path matches a route but not its method, the server answers 405 `HttpMethodNotAllowed` (ARM's body);
 * when nothing matches, 404 with ARM's `InvalidResourceType`/`NotFound`-style body. Throw `EmulatorHttpError`
 * (core/errors.ts: `armError`, `entraError`, `notImplemented`) from a handler to answer an error.
 */
export interface Router {
  add(method: string | string[], pattern: string, handler: Handler, options?: RouteOptions): void;
  get(pattern: string, handler: Handler, options?: RouteOptions): void;
  put(pattern: string, handler: Handler, options?: RouteOptions): void;
  patch(pattern: string, handler: Handler, options?: RouteOptions): void;
  post(pattern: string, handler: Handler, options?: RouteOptions): void;
  delete(pattern: string, handler: Handler, options?: RouteOptions): void;
}

/** The one injectable clock: real time plus the shared offset (WARDEN_CLOCK_FILE), advanceable in test mode. */
export interface EmulatorClock {
  /** Milliseconds since the epoch, as the whole local system sees it. */
  now(): number;
  /** `new Date(now()).toISOString()`. */
  nowIso(): string;
  /** Whether {@link advance} is allowed (WARDEN_CLOCK_MODE=test or the test option). */
  readonly advanceable: boolean;
  /** Moves time forward; returns the new offset. Throws when not advanceable. */
  advance(ms: number): number;
  /** Called whenever the offset changes (here or in another process). Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** The caller of a request, from a validated bearer token (or the admin API's configured actor). */
export interface CallerIdentity {
  /** Object id of the calling user or service principal. */
  oid: string;
  tid: string;
  /** Client application id (`appid` in v1 tokens, `azp` in v2). */
  appid?: string;
  /** `appidacr` / `azpacr`: "0" public client, "1" secret, "2" certificate or managed identity. */
  appidacr?: string;
  name?: string;
  upn?: string;
  /** App roles granted on the token's audience. */
  roles?: string[];
  /** Delegated scopes (`scp`), space-separated in the token. */
  scp?: string;
  /** `User`, `ServicePrincipal` (also for managed identities). */
  principalType: 'User' | 'ServicePrincipal';
  /** The token's audience. */
  aud: string;
  /** All claims of the token (never log the token itself). */
  claims: Readonly<Record<string, unknown>>;
}

/** An Event Grid event in the Event Grid schema, as system topics publish it. */
export interface EventGridEvent {
  id: string;
  /** The source topic: `/subscriptions/{sub}`, `/subscriptions/{sub}/resourceGroups/{rg}`, a resource id, or a custom topic id. */
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: unknown;
  dataVersion: string;
  metadataVersion?: string;
}

/** Input to {@link EmulatorContext.publishResourceEvent}: what ARM knows about a completed write/delete/action. */
export interface ResourceEventInput {
  kind: 'Write' | 'Delete' | 'Action';
  /** `Succeeded` (default), `Failed`, `Canceled` → `...Success` / `...Failure` / `...Cancel`. */
  status?: 'Succeeded' | 'Failed' | 'Canceled';
  /** The resource id (or scope of a role assignment: the assignment's own id). */
  resourceUri: string;
  /** e.g. `Microsoft.Storage/storageAccounts/write`, `Microsoft.Storage/storageAccounts/regenerateKey/action`. */
  operationName: string;
  caller: CallerIdentity;
  /** The RBAC evidence (role assignment that allowed the call), if ARM evaluated one. */
  evidence?: {
    role: string;
    roleAssignmentScope: string;
    roleAssignmentId: string;
    roleDefinitionId: string;
    principalId: string;
    principalType: string;
  };
  /** The originating request (for `httpRequest` and correlation ids); absent for admin/seed changes without one. */
  request?: EmulatorRequest;
  /** Overrides the request method in `httpRequest` (e.g. admin API → `PUT`). */
  method?: string;
}

/** A seeded or registered principal of the emulated tenant. */
export interface DirectoryPrincipal {
  id: string;
  type: 'User' | 'Group' | 'ServicePrincipal';
  displayName: string;
  userPrincipalName?: string;
  appId?: string;
}

/** Read access to the emulated tenant's directory (owned by the Entra module). */
export interface Directory {
  getPrincipal(id: string): DirectoryPrincipal | undefined;
  listPrincipals(): DirectoryPrincipal[];
  /**
   * A {@link CallerIdentity} for a principal as if it had called with a token for `audience` (default ARM), used
   * for out-of-band changes (admin API, drifts). Users appear as signed in through the Azure portal.
   */
  identityOf(principalId: string, audience?: string): CallerIdentity;
}

/**
 * RBAC, provided by the ARM module (`ctx.access.register(...)`), used by other modules (Event Grid data plane, later
 * Key Vault) to decide data-plane access the same way ARM does.
 */
export interface AccessChecker {
  isAllowed(caller: CallerIdentity, scope: string, action: string, options?: { dataAction?: boolean }): boolean;
}

export interface EmulatorContext {
  readonly db: DatabaseSync;
  readonly clock: EmulatorClock;
  /** The state directory (for module-owned key files, mode 0600). Optional only for hand-made test contexts. */
  readonly stateDir?: string;
  readonly tenantId: string;
  readonly subscriptionId: string;
  /** Default location for new resources (from the world; `westeurope` otherwise). */
  readonly location: string;
  /** `https://127.0.0.1:<port>` (no trailing slash): Entra authority host and ARM endpoint. */
  readonly baseUrl: string;
  readonly directory: Directory;
  /**
   * Validates the bearer token in `Authorization` (RS256 signature by this emulator, `iss`, `exp`/`nbf` on the
   * emulator clock, `aud` equal to one of `audience`) and returns the caller, or throws an `EmulatorHttpError`
   * with ARM's 401 body and `WWW-Authenticate` header (`AuthenticationFailed`, `InvalidAuthenticationToken`,
   * `ExpiredAuthenticationToken`, `InvalidAuthenticationTokenAudience`).
   */
  authenticate(req: EmulatorRequest, audience: string | readonly string[]): CallerIdentity;
  /**
   * For admin routes: the actor an out-of-band change is attributed to — the principal named by the
   * `x-emulator-caller` header (an object id) or else the configured default actor — as seen through `audience`.
   */
  adminCaller(req: EmulatorRequest, audience?: string): CallerIdentity;
  /** Queues `event` durably for every matching Event Grid subscription (delivered asynchronously). */
  publishEvent(event: EventGridEvent): void;
  /** Builds and publishes the `Microsoft.Resources.Resource{Write,Delete,Action}{Success,...}` event ARM emits. */
  publishResourceEvent(input: ResourceEventInput): EventGridEvent;
  /** RBAC hook: the ARM module registers its checker; `check` answers undefined while none is registered. */
  readonly access: {
    register(checker: AccessChecker): void;
    check(
      caller: CallerIdentity,
      scope: string,
      action: string,
      options?: { dataAction?: boolean },
    ): boolean | undefined;
  };
  /**
   * Opens (once per `name`) an extra HTTPS listener on loopback with its own router and the same request pipeline
   * (parsing, errors, admin key), and resolves to its origin (`https://127.0.0.1:<port>`). For APIs whose SDK needs
   * an origin of their own — Key Vault needs one per vault (emulator-api-surface.md §3.2). The port is remembered in
   * the state and reused on restart when free, so the origin stays stable. Listed in `endpoints.json` (`origins`).
   * Always present on the emulator's context; optional only so hand-made contexts in unit tests need not provide it.
   */
  openOrigin?(name: string): Promise<{ origin: string; router: Router }>;
  /** Structured log line (stable event names, never tokens or secrets). */
  log(event: string, fields?: Record<string, unknown>): void;
}

/** The demo world file (`demo/world.json`), read loosely: each module validates the part it seeds. */
export interface DemoWorld {
  tenantId: string;
  subscriptionId: string;
  location?: string;
  principals?: Array<{
    id: string;
    type: 'User' | 'Group' | 'ServicePrincipal';
    displayName: string;
    userPrincipalName?: string;
    appId?: string;
    description?: string;
    wardenRoles?: string[];
  }>;
  warden?: {
    principalId: string;
    displayName: string;
    appId: string;
    api?: { appId: string; identifierUri: string; appRoles: string[] };
    cli?: { appId: string; displayName: string };
    grants?: Array<{ role: string; scope: string; why?: string }>;
  };
  customRoles?: Array<Record<string, unknown>>;
  azure?: Record<string, unknown>;
  drifts?: DemoDrift[];
  [key: string]: unknown;
}

/** One out-of-band change the seeder applies after seeding (`kind` selects the module's handler). */
export interface DemoDrift {
  kind: string;
  description?: string;
  /** Object id of the principal the change is attributed to. */
  actor?: string;
  [key: string]: unknown;
}

export interface EmulatorModule {
  /** Short name (`entra`, `arm`, `eventgrid`, `keyvault`, ...). */
  readonly name: string;
  /** Creates the module's tables (`CREATE TABLE IF NOT EXISTS`); called at start and after a reset. */
  migrate?(db: DatabaseSync): void;
  /** Registers the module's routes. Called once, after every module's `migrate`. */
  register(router: Router, ctx: EmulatorContext): void;
  /** Seeds the module's part of the world. Called in module order (entra first) after a reset or on `--world`. */
  seed?(world: DemoWorld, ctx: EmulatorContext): void | Promise<void>;
  /**
   * Handlers for `drifts[].kind` values this module applies (through the same code path as its admin API, so the
   * same events are emitted). Drifts run after every module has seeded, attributed to `drift.actor`.
   */
  drifts?: Record<string, (drift: DemoDrift, ctx: EmulatorContext) => void | Promise<void>>;
  /**
   * Called once the emulator listens and is seeded (also on a restart without seeding): opens the module's origins
   * for existing resources and starts its timers. Awaited, so `endpoints` lists those origins when start resolves.
   */
  start?(ctx: EmulatorContext): void | Promise<void>;
  /** Called on stop (timers, listeners). */
  close?(): void | Promise<void>;
}
