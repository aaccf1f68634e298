/**
 * Entra ID for the emulated tenant: OpenID configuration (v2 and v1), JWKS, the v2 and v1 token endpoints (client
 * credentials with a client secret; the resource-owner password grant for seeded users, which the local CLI uses;
 * the device authorization grant, completed through the admin API), and the App Service managed identity endpoint that `@azure/identity` uses on Functions (IDENTITY_ENDPOINT /
 * IDENTITY_HEADER), so `DefaultAzureCredential` / `ManagedIdentityCredential` work unchanged.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { z } from 'zod';

import { armError, EmulatorHttpError, entraError } from '../core/errors';
import type {
  CallerIdentity,
  DemoWorld,
  Directory,
  DirectoryPrincipal,
  EmulatorClock,
  EmulatorContext,
  EmulatorRequest,
  EmulatorResponse,
  Router,
} from '../core/module';
import {
  DEVICE_CODE_GRANTS,
  DEVICE_CODE_INTERVAL_SECONDS,
  type DeviceCodeFlow,
  DeviceCodes,
  normalizeUserCode,
} from './device-code';
import { type AppRegistration, DirectoryStore, FIRST_PARTY, stableGuid } from './directory';
import type { SigningKey } from './signing-key';
import { ARM_AUDIENCES, callerFromClaims, type ResolvedResource, TokenService } from './token-service';

export const MSI_API_VERSION = '2019-08-01';

const completeSchema = z
  .object({
    user_code: z.string().trim().min(1).max(64),
    user: z.string().trim().min(1).max(256).optional(),
    deny: z.boolean().optional(),
  })
  .strict();

export interface EntraOptions {
  tenantId: string;
  /** The x-identity-header secret the managed identity endpoint requires. */
  identityHeader: string;
  /** App id of the identity `ManagedIdentityCredential` gets without a client id (system-assigned). */
  defaultManagedIdentityAppId?: string;
  tokenLifetimeSeconds: number;
}

export class Entra implements Directory {
  readonly store: DirectoryStore;
  readonly tokens: TokenService;
  /** Pending device-code sign-ins (in memory). */
  readonly deviceCodes: DeviceCodes;
  defaultManagedIdentityAppId: string | undefined;

  private readonly key: SigningKey;

  constructor(
    db: DatabaseSync,
    key: SigningKey,
    private readonly clock: EmulatorClock,
    private readonly baseUrl: () => string,
    readonly options: EntraOptions,
  ) {
    this.store = new DirectoryStore(db);
    this.tokens = new TokenService(key, this.store, clock, options.tenantId, baseUrl, options.tokenLifetimeSeconds);
    this.defaultManagedIdentityAppId = options.defaultManagedIdentityAppId;
    this.key = key;
    this.deviceCodes = new DeviceCodes(clock);
  }

  get tenantId(): string {
    return this.options.tenantId;
  }

  // ---- Directory (ctx.directory) ----
  getPrincipal(id: string): DirectoryPrincipal | undefined {
    return this.store.getPrincipal(id);
  }
  listPrincipals(): DirectoryPrincipal[] {
    return this.store.listPrincipals();
  }
  identityOf(principalId: string, audience: string = ARM_AUDIENCES[0]!): CallerIdentity {
    const p = this.store.getPrincipal(principalId);
    if (!p || p.type === 'Group') {
      throw armError(
        400,
        'PrincipalNotFound',
        `Principal ${principalId.replace(/-/g, '')} does not exist in the directory ${this.tenantId}.`,
      );
    }
    const resource = this.tokens.resolve(audience) ?? { aud: audience, version: 1 as const };
    if (p.type === 'User') {
      const issued = this.tokens.issue({
        oid: p.id,
        clientAppId: FIRST_PARTY.azurePortal,
        clientAuth: '2',
        resource,
        user: {
          name: p.displayName,
          upn: p.userPrincipalName ?? `${p.id}@${this.tenantId}`,
          scp: 'user_impersonation',
        },
      });
      return callerFromClaims(issued.claims);
    }
    const app = this.store.appByServicePrincipal(p.id) ?? (p.appId ? this.store.getApp(p.appId) : undefined);
    const issued = this.tokens.issue({
      oid: p.id,
      clientAppId: app?.appId ?? p.appId ?? p.id,
      clientAuth: app?.managedIdentity ? '2' : '1',
      resource,
    });
    return callerFromClaims(issued.claims);
  }

  /**
   * An app-only access token of a first-party app's service principal in this tenant for `resource` (its roles on
   * the target app included), as that app obtains one to call out: Azure Monitor action groups calling a secure
   * webhook (emulator/monitor). Undefined when the app or the resource is unknown.
   */
  issueAppToken(appId: string, resource: string): string | undefined {
    const app = this.store.getApp(appId);
    const target = this.tokens.resolve(resource);
    if (!app || !target) return undefined;
    return this.tokens.issue({ oid: app.servicePrincipalId, clientAppId: app.appId, clientAuth: '1', resource: target })
      .token;
  }

  // ---- seeding ----
  /** Seeds principals, Warden's identity and app registrations from the world; returns generated user passwords. */
  seed(world: DemoWorld): Record<string, string> {
    const passwords: Record<string, string> = {};
    for (const p of world.principals ?? []) {
      this.store.upsertPrincipal({
        id: p.id,
        type: p.type,
        displayName: p.displayName,
        ...(p.userPrincipalName ? { userPrincipalName: p.userPrincipalName } : {}),
        ...(p.appId ? { appId: p.appId } : {}),
      });
      if (p.type === 'ServicePrincipal' && p.appId) {
        this.store.upsertApp({
          appId: p.appId,
          displayName: p.displayName,
          servicePrincipalId: p.id,
          identifierUris: [],
          appRoles: [],
          tokenVersion: 1,
          publicClient: false,
          managedIdentity: false,
        });
      }
      if (p.type === 'User' && p.userPrincipalName) passwords[p.userPrincipalName] = this.store.setPassword(p.id);
    }
    this.firstParty('Azure Portal', FIRST_PARTY.azurePortal);
    this.firstParty('Microsoft.EventGrid', FIRST_PARTY.eventGrid);
    const ag = this.firstParty('Azure Monitor Action Groups', FIRST_PARTY.actionGroups);
    const w = world.warden;
    if (w) {
      this.store.upsertApp({
        appId: w.appId,
        displayName: w.displayName,
        servicePrincipalId: w.principalId,
        identifierUris: [],
        appRoles: [],
        tokenVersion: 1,
        publicClient: false,
        managedIdentity: true,
      });
      this.defaultManagedIdentityAppId ??= w.appId;
      if (w.api) {
        const api = this.store.upsertApp({
          appId: w.api.appId,
          displayName: `${w.displayName} API`,
          servicePrincipalId: stableGuid(`sp:${w.api.appId}`),
          identifierUris: [w.api.identifierUri],
          appRoles: w.api.appRoles.map((value) => ({ id: stableGuid(`role:${w.api!.appId}:${value}`), value })),
          tokenVersion: 1,
          publicClient: false,
          managedIdentity: false,
        });
        for (const p of world.principals ?? []) {
          for (const role of p.wardenRoles ?? []) this.store.assignAppRole(p.id, api.appId, role);
        }
        if (api.appRoles.some((r) => r.value === 'ActionGroupsSecureWebhook')) {
          this.store.assignAppRole(ag.servicePrincipalId, api.appId, 'ActionGroupsSecureWebhook');
        }
      }
      if (w.cli) {
        this.store.upsertApp({
          appId: w.cli.appId,
          displayName: w.cli.displayName,
          servicePrincipalId: stableGuid(`sp:${w.cli.appId}`),
          identifierUris: [],
          appRoles: [],
          tokenVersion: 1,
          publicClient: true,
          managedIdentity: false,
        });
      }
    }
    return passwords;
  }

  private firstParty(displayName: string, appId: string): AppRegistration {
    return this.store.upsertApp({
      appId,
      displayName,
      servicePrincipalId: stableGuid(`sp:${appId}`),
      identifierUris: [],
      appRoles: [],
      tokenVersion: 1,
      publicClient: false,
      managedIdentity: false,
    });
  }

  // ---- HTTP ----
  register(router: Router, ctx: EmulatorContext): void {
    const e = { dialect: 'entra' as const };
    router.get('/{tenant}/v2.0/.well-known/openid-configuration', (r) => this.openid(r, 2), e);
    router.get('/{tenant}/.well-known/openid-configuration', (r) => this.openid(r, 1), e);
    router.get('/{tenant}/discovery/v2.0/keys', (r) => this.jwks(r), e);
    router.get('/{tenant}/discovery/keys', (r) => this.jwks(r), e);
    router.get('/discovery/keys', (r) => this.jwks(r), e);
    router.post('/{tenant}/oauth2/v2.0/token', (r) => this.token(r, 2), e);
    router.post('/{tenant}/oauth2/token', (r) => this.token(r, 1), e);
    router.post('/{tenant}/oauth2/v2.0/devicecode', (r) => this.deviceAuthorization(r), e);
    router.get('/devicelogin', () => ({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body:
        'The local Azure emulator has no sign-in page. Complete a device code through its admin API, e.g.\n' +
        '  warden plane POST /entra/devicecode/complete -d \'{"user_code": "<code>", "user": "ada@contoso.example"}\'\n' +
        '(or POST /admin/entra/devicecode/complete with the x-emulator-admin-key header; "deny": true declines).\n',
    }));
    router.post('/admin/entra/devicecode/complete', (r) => this.completeDeviceCode(r, ctx));
    router.add(
      ['GET', 'POST'],
      '/{tenant}/oauth2/v2.0/authorize',
      () => {
        throw entraError(
          400,
          'invalid_request',
          9002333,
          'Interactive sign-in is not implemented by the local Azure emulator; use the password grant or the admin token endpoint.',
          ctx.clock.nowIso(),
        );
      },
      e,
    );
    router.get('/msi/token', (r) => this.managedIdentity(r), e);
  }

  private checkTenant(req: EmulatorRequest): void {
    const t = req.params.tenant ?? this.tenantId;
    if (t.toLowerCase() !== this.tenantId.toLowerCase() && t !== 'common' && t !== 'organizations') {
      throw entraError(
        400,
        'invalid_tenant',
        90002,
        `Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        this.clock.nowIso(),
      );
    }
  }

  private openid(req: EmulatorRequest, version: 1 | 2): EmulatorResponse {
    this.checkTenant(req);
    const b = `${this.baseUrl()}/${this.tenantId}`;
    const doc =
      version === 2
        ? {
            token_endpoint: `${b}/oauth2/v2.0/token`,
            token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
            jwks_uri: `${b}/discovery/v2.0/keys`,
            response_modes_supported: ['query', 'fragment', 'form_post'],
            subject_types_supported: ['pairwise'],
            id_token_signing_alg_values_supported: ['RS256'],
            response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
            scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
            issuer: this.tokens.issuerV2,
            request_uri_parameter_supported: false,
            userinfo_endpoint: `${this.baseUrl()}/oidc/userinfo`,
            authorization_endpoint: `${b}/oauth2/v2.0/authorize`,
            device_authorization_endpoint: `${b}/oauth2/v2.0/devicecode`,
            http_logout_supported: true,
            frontchannel_logout_supported: true,
            end_session_endpoint: `${b}/oauth2/v2.0/logout`,
            claims_supported: [
              'sub',
              'iss',
              'aud',
              'exp',
              'iat',
              'auth_time',
              'acr',
              'nonce',
              'preferred_username',
              'name',
              'tid',
              'ver',
              'at_hash',
              'c_hash',
              'email',
            ],
            kerberos_endpoint: `${b}/kerberos`,
            tenant_region_scope: 'EU',
            cloud_instance_name: 'local.emulator',
            cloud_graph_host_name: 'graph.windows.net',
            msgraph_host: 'graph.microsoft.com',
            rbac_url: 'https://pas.windows.net',
          }
        : {
            token_endpoint: `${b}/oauth2/token`,
            token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
            jwks_uri: `${b}/discovery/keys`,
            response_modes_supported: ['query', 'fragment', 'form_post'],
            subject_types_supported: ['pairwise'],
            id_token_signing_alg_values_supported: ['RS256'],
            response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
            scopes_supported: ['openid'],
            issuer: this.tokens.issuerV1,
            microsoft_multi_refresh_token: true,
            authorization_endpoint: `${b}/oauth2/authorize`,
            http_logout_supported: true,
            frontchannel_logout_supported: true,
            end_session_endpoint: `${b}/oauth2/logout`,
            claims_supported: [
              'sub',
              'iss',
              'cloud_instance_name',
              'cloud_instance_host_name',
              'cloud_graph_host_name',
              'msgraph_host',
              'aud',
              'exp',
              'iat',
              'auth_time',
              'acr',
              'amr',
              'nonce',
              'email',
              'given_name',
              'family_name',
              'nickname',
            ],
            check_session_iframe: `${b}/oauth2/checksession`,
            userinfo_endpoint: `${b}/openid/userinfo`,
            tenant_region_scope: 'EU',
            cloud_instance_name: 'local.emulator',
            cloud_graph_host_name: 'graph.windows.net',
            msgraph_host: 'graph.microsoft.com',
            rbac_url: 'https://pas.windows.net',
          };
    return { status: 200, body: doc };
  }

  private jwks(req: EmulatorRequest): EmulatorResponse {
    if (req.params.tenant) this.checkTenant(req);
    return { status: 200, body: { keys: [this.key.jwk()] } };
  }

  /** The v2 (`scope`) and v1 (`resource`) token endpoints. */
  private token(req: EmulatorRequest, version: 1 | 2): EmulatorResponse {
    this.checkTenant(req);
    const now = this.clock.nowIso();
    if (req.contentType !== 'application/x-www-form-urlencoded' || !req.body || typeof req.body !== 'object') {
      throw entraError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
        now,
      );
    }
    const form = req.body as Record<string, string>;
    let clientId = form.client_id;
    let clientSecret = form.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId ??= decodeURIComponent(id ?? '');
      clientSecret ??= decodeURIComponent(secret ?? '');
    }
    const grant = form.grant_type;
    if (!grant) {
      throw entraError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
        now,
      );
    }
    if (!clientId) {
      throw entraError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
        now,
      );
    }
    const client = this.store.getApp(clientId);
    if (!client || client.managedIdentity) throw this.unknownClient(clientId, now);
    if (DEVICE_CODE_GRANTS.includes(grant) && version === 2) return this.deviceCodeToken(form, client, now);
    if (grant !== 'client_credentials' && grant !== 'password') {
      throw entraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grant}'.`,
        now,
      );
    }
    const resource = this.requestedResource(form, version, grant === 'client_credentials', now);
    if (grant === 'client_credentials') {
      if (!clientSecret) {
        throw entraError(
          401,
          'invalid_client',
          7000216,
          "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
          now,
        );
      }
      const check = this.store.checkSecret(client.appId, clientSecret, now);
      if (check === 'expired') {
        throw entraError(
          401,
          'invalid_client',
          7000222,
          `The provided client secret keys for app '${client.appId}' are expired. Visit the Azure portal to create new keys for your app.`,
          now,
        );
      }
      if (check !== 'ok') {
        throw entraError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.appId}'.`,
          now,
        );
      }
      const issued = this.tokens.issue({
        oid: client.servicePrincipalId,
        clientAppId: client.appId,
        clientAuth: '1',
        resource,
      });
      return this.tokenResponse(issued, version, resource);
    }
    if (grant === 'password') {
      const user = this.store.findUser(form.username ?? '');
      if (!user || !this.store.checkPassword(user.id, form.password ?? '')) {
        throw entraError(
          400,
          'invalid_grant',
          50126,
          'Error validating credentials due to invalid username or password.',
          now,
        );
      }
      let clientAuth: '0' | '1' = '0';
      if (!client.publicClient) {
        if (!clientSecret || this.store.checkSecret(client.appId, clientSecret, now) !== 'ok') {
          throw missingClientCredential(now);
        }
        clientAuth = '1';
      }
      const issued = this.tokens.issue({
        oid: user.id,
        clientAppId: client.appId,
        clientAuth,
        resource,
        user: { name: user.displayName, upn: user.userPrincipalName ?? user.id, scp: 'user_impersonation' },
      });
      return this.tokenResponse(issued, version, resource);
    }
    throw new Error('unreachable: grant_type was checked above');
  }

  private requestedResource(
    form: Record<string, string>,
    version: 1 | 2,
    appOnly: boolean,
    now: string,
  ): ResolvedResource {
    let resource: string | undefined;
    if (version === 1) {
      resource = form.resource;
      if (!resource) {
        throw entraError(
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'resource'.",
          now,
        );
      }
    } else {
      const scopes = (form.scope ?? '')
        .split(/\s+/)
        .filter((s) => s && !['openid', 'profile', 'offline_access', 'email'].includes(s));
      if (scopes.length === 0) {
        throw entraError(
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'scope'.",
          now,
        );
      }
      const first = scopes[0]!;
      if (appOnly && !first.endsWith('/.default')) {
        throw entraError(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${first} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
          now,
        );
      }
      resource = first.endsWith('/.default') ? first.slice(0, -'/.default'.length) : first.replace(/\/[^/]*$/, '');
      if (!first.endsWith('/.default') && !appOnly) {
        // a named delegated scope (`api://warden/user_impersonation`) targets its resource
        resource = first.slice(0, first.lastIndexOf('/'));
      }
    }
    const resolved = this.tokens.resolve(resource);
    if (!resolved) {
      throw entraError(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${this.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
        now,
      );
    }
    return resolved;
  }

  private tokenResponse(
    issued: ReturnType<TokenService['issue']>,
    version: 1 | 2,
    resource: ResolvedResource,
  ): EmulatorResponse {
    const body: Record<string, unknown> =
      version === 2
        ? {
            token_type: 'Bearer',
            expires_in: issued.expiresIn,
            ext_expires_in: issued.expiresIn,
            access_token: issued.token,
          }
        : {
            token_type: 'Bearer',
            expires_in: String(issued.expiresIn),
            ext_expires_in: String(issued.expiresIn),
            expires_on: String(issued.expiresOnWall),
            not_before: String(issued.notBefore),
            resource: resource.aud,
            access_token: issued.token,
          };
    return { status: 200, headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' }, body };
  }

  /**
   * `POST /{tenant}/oauth2/v2.0/devicecode` (`client_id`, `scope`): starts a device-code sign-in for a public client
   * of this tenant. The answer has Entra's fields; `verification_uri` is the emulator's `/devicelogin`, which explains
   * how to complete the code (there is no sign-in page: `POST /admin/entra/devicecode/complete`).
   */
  private deviceAuthorization(req: EmulatorRequest): EmulatorResponse {
    this.checkTenant(req);
    const now = this.clock.nowIso();
    const missing = (name: string) =>
      entraError(
        400,
        'invalid_request',
        900144,
        `The request body must contain the following parameter: '${name}'.`,
        now,
      );
    if (req.contentType !== 'application/x-www-form-urlencoded' || !req.body || typeof req.body !== 'object') {
      throw missing('client_id');
    }
    const form = req.body as Record<string, string>;
    if (!form.client_id) throw missing('client_id');
    const client = this.store.getApp(form.client_id);
    if (!client || client.managedIdentity) throw this.unknownClient(form.client_id, now);
    if (!client.publicClient) {
      // Entra's answer when an app that is not a public client (no "Allow public client flows") uses a public flow.
      throw missingClientCredential(now);
    }
    const resource = this.requestedResource(form, 2, false, now);
    const requested = (form.scope ?? '').split(/\s+/).filter(Boolean);
    const first = requested.find((s) => !['openid', 'profile', 'offline_access', 'email'].includes(s))!;
    const resourceName = first.endsWith('/.default')
      ? first.slice(0, -'/.default'.length)
      : first.slice(0, first.lastIndexOf('/'));
    const flow = this.deviceCodes.start({
      clientId: client.appId,
      resourceName,
      resource,
      oidcScopes: ['openid', 'profile', 'email'].filter((s) => requested.includes(s)),
    });
    if (!flow) {
      throw entraError(
        429,
        'temporarily_unavailable',
        50196,
        'The server terminated an operation because it encountered a client request loop. Please contact your app vendor.',
        now,
      );
    }
    const verificationUri = `${this.baseUrl()}/devicelogin`;
    return {
      status: 200,
      headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
      body: {
        user_code: flow.userCode,
        device_code: flow.deviceCode,
        verification_uri: verificationUri,
        expires_in: Math.round((flow.expiresAt - flow.createdAt) / 1000),
        interval: DEVICE_CODE_INTERVAL_SECONDS,
        message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${flow.userCode} to authenticate.`,
      },
    };
  }

  /** The v2 token endpoint's device-code grant: Entra's polling errors until the code is completed, then one token. */
  private deviceCodeToken(form: Record<string, string>, client: AppRegistration, now: string): EmulatorResponse {
    const deviceCode = form.device_code;
    if (!deviceCode) {
      throw entraError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'device_code'.",
        now,
      );
    }
    const flow = this.deviceCodes.byDevice(deviceCode);
    if (!flow || flow.clientId.toLowerCase() !== client.appId.toLowerCase()) {
      throw entraError(
        400,
        'bad_verification_code',
        70018,
        `The provided device_code was not issued to application '${client.appId}' by this tenant.`,
        now,
      );
    }
    if (flow.state === 'redeemed') {
      throw entraError(
        400,
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
        now,
      );
    }
    if (flow.state === 'declined') {
      throw entraError(400, 'authorization_declined', 65004, 'User declined to consent to access the app.', now);
    }
    if (this.deviceCodes.expired(flow)) {
      throw entraError(400, 'expired_token', 70019, 'Verification code expired. Have the user retry the sign-in.', now);
    }
    if (flow.state === 'pending') {
      throw entraError(
        400,
        'authorization_pending',
        70016,
        'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
        now,
      );
    }
    return this.redeemDeviceCode(flow, client, form.client_info === '1', now);
  }

  private redeemDeviceCode(
    flow: DeviceCodeFlow,
    client: AppRegistration,
    clientInfo: boolean,
    now: string,
  ): EmulatorResponse {
    const user = flow.userId ? this.store.getPrincipal(flow.userId) : undefined;
    this.deviceCodes.finish(flow, 'redeemed', flow.userId);
    if (!user || user.type !== 'User') {
      throw entraError(
        400,
        'invalid_grant',
        50034,
        `The user account ${flow.userId ?? '(none)'} does not exist in the ${this.tenantId} directory.`,
        now,
      );
    }
    const upn = user.userPrincipalName ?? user.id;
    const scp = 'user_impersonation';
    const issued = this.tokens.issue({
      oid: user.id,
      clientAppId: client.appId,
      clientAuth: '0',
      resource: flow.resource,
      user: { name: user.displayName, upn, scp },
    });
    // No refresh_token: the emulator's token endpoint serves no refresh-token grant (offline_access is not granted).
    const response = this.tokenResponse(issued, 2, flow.resource);
    const body = response.body as Record<string, unknown>;
    body.scope = [`${flow.resourceName}/${scp}`, ...flow.oidcScopes].join(' ');
    if (flow.oidcScopes.includes('openid')) {
      body.id_token = this.tokens.issueIdToken({
        oid: user.id,
        clientAppId: client.appId,
        name: user.displayName,
        upn,
      });
    }
    if (clientInfo) {
      body.client_info = Buffer.from(JSON.stringify({ uid: user.id, utid: this.tenantId })).toString('base64url');
    }
    return response;
  }

  /**
   * `POST /admin/entra/devicecode/complete {user_code, user?, deny?}`: what a person does in the browser — enters the
   * code, signs in as `user` (object id or UPN of a seeded user) and approves, or declines (`deny: true`).
   */
  private completeDeviceCode(req: EmulatorRequest, ctx: EmulatorContext): EmulatorResponse {
    const parsed = completeSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw armError(
        400,
        'InvalidRequestContent',
        `The request content is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
      );
    }
    const b = parsed.data;
    if (!b.deny && !b.user) {
      throw armError(400, 'InvalidRequestContent', "'user' (a user's object id or UPN) is required to approve a code.");
    }
    const flow = this.deviceCodes.byUser(b.user_code);
    const shown = normalizeUserCode(b.user_code);
    if (!flow) throw armError(404, 'DeviceCodeNotFound', `No device-code sign-in has the user code '${shown}'.`);
    if (this.deviceCodes.expired(flow)) {
      throw armError(
        400,
        'DeviceCodeExpired',
        `The user code '${shown}' expired at ${new Date(flow.expiresAt).toISOString()} (emulator clock); the client must start again.`,
      );
    }
    if (flow.state !== 'pending') {
      throw armError(409, 'DeviceCodeAlreadyCompleted', `The user code '${shown}' was already ${flow.state}.`);
    }
    let user: DirectoryPrincipal | undefined;
    if (b.user) {
      const wanted = b.user.toLowerCase();
      user = this.store
        .listPrincipals()
        .find(
          (p) => p.type === 'User' && (p.id.toLowerCase() === wanted || p.userPrincipalName?.toLowerCase() === wanted),
        );
      if (!user) {
        throw armError(404, 'PrincipalNotFound', `No user with the object id or UPN '${b.user}' in the directory.`);
      }
    }
    this.deviceCodes.finish(flow, b.deny ? 'declined' : 'approved', user?.id);
    ctx.log('entra.devicecode.completed', { clientId: flow.clientId, principal: user?.id, declined: !!b.deny });
    return {
      status: 200,
      body: {
        userCode: flow.userCode,
        state: flow.state,
        clientId: flow.clientId,
        resource: flow.resourceName,
        ...(user
          ? { user: { id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName } }
          : {}),
        expiresOn: new Date(flow.expiresAt).toISOString(),
      },
    };
  }

  private unknownClient(clientId: string, now: string): EmulatorHttpError {
    return entraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${this.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      now,
    );
  }

  /** App Service managed identity protocol (2019-08-01), as Functions hosts expose it. */
  private managedIdentity(req: EmulatorRequest): EmulatorResponse {
    const fail = (status: number, message: string): EmulatorHttpError =>
      new EmulatorHttpError(status, {
        statusCode: status,
        message,
        error: status === 401 ? 'unauthorized_client' : 'invalid_request',
        error_description: message,
        correlationId: randomUUID(),
      });
    const header = req.header('x-identity-header');
    if (!header || header !== this.options.identityHeader) {
      throw fail(401, 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.');
    }
    if (req.apiVersion !== MSI_API_VERSION) {
      throw fail(
        400,
        `api-version '${req.apiVersion ?? ''}' is not supported by this managed identity endpoint; use ${MSI_API_VERSION}.`,
      );
    }
    const resourceParam = req.queryParam('resource');
    if (!resourceParam) throw fail(400, "The 'resource' query parameter is required.");
    const clientId = req.queryParam('client_id');
    const principalId = req.queryParam('principal_id') ?? req.queryParam('object_id');
    const miResId = req.queryParam('mi_res_id');
    if (miResId)
      throw fail(
        400,
        'Selecting a managed identity by mi_res_id is not supported by the local Azure emulator; use client_id.',
      );
    let identity: AppRegistration | undefined;
    if (clientId) identity = this.store.getApp(clientId);
    else if (principalId) identity = this.store.appByServicePrincipal(principalId);
    else if (this.defaultManagedIdentityAppId) identity = this.store.getApp(this.defaultManagedIdentityAppId);
    if (!identity || !identity.managedIdentity) {
      throw fail(400, `No managed identity ${clientId ?? principalId ?? '(system-assigned)'} is assigned to this app.`);
    }
    const resource = resourceParam.endsWith('/.default') ? resourceParam.slice(0, -'/.default'.length) : resourceParam;
    const resolved = this.tokens.resolve(resource);
    if (!resolved) {
      throw fail(
        400,
        `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${this.tenantId}.`,
      );
    }
    const issued = this.tokens.issue({
      oid: identity.servicePrincipalId,
      clientAppId: identity.appId,
      clientAuth: '2',
      resource: resolved,
    });
    return {
      status: 200,
      body: {
        access_token: issued.token,
        expires_on: String(issued.expiresOnWall),
        resource: resolved.aud,
        token_type: 'Bearer',
        client_id: identity.appId,
      },
    };
  }
}

/** Entra's answer when a confidential client sends no valid credential, or uses a public-client flow (AADSTS7000218). */
function missingClientCredential(now: string): EmulatorHttpError {
  return entraError(
    401,
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    now,
  );
}
