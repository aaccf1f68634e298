import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors as joseErrors,
  type FetchImplementation,
  type JWTPayload,
  jwtVerify,
} from 'jose';

import { AuthError } from './auth-error';
import { ACTION_GROUP_APP_ID, ACTION_GROUP_WEBHOOK_ROLE, type Principal, toActor } from './principal';

/** Asymmetric algorithms Entra ID signs with. `none` and every HMAC algorithm are refused. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

export interface EntraTokenValidatorOptions {
  /** e.g. https://login.microsoftonline.com, or the local emulator's authority host. */
  readonly authorityHost: string;
  readonly tenantId: string;
  /** Accepted audiences: the application id URI (api://warden) and the client id, as Entra issues both. */
  readonly audiences: readonly string[];
  /** Clock skew tolerated on exp/nbf, seconds. */
  readonly clockToleranceSec?: number;
  /** How long fetched signing keys are trusted before a refresh, ms. */
  readonly jwksCacheMs?: number;
  /** Minimum time between two JWKS fetches triggered by an unknown `kid`, ms. */
  readonly jwksCooldownMs?: number;
  /** The time source (the app's Clock port). */
  readonly now: () => number;
  /** Fetch used for the OpenID documents and the JWKS (tests and the emulator's TLS trust). */
  readonly fetch?: typeof fetch;
}

interface OpenIdDocument {
  issuer: string;
  jwks_uri: string;
}

/**
 * Validates Entra ID bearer tokens: signature against the tenant's JWKS (cached, refreshed on an unknown `kid`
 * with a cool-down), issuer in its v1 or v2 form, audience, `exp`/`nbf` with a small skew, an algorithm
 * allow-list, and the tenant.
 *
 * @remarks
 * Locally the authority is the emulator's Entra; this class does not know the difference. Error messages name
 * what failed, never the token.
 */
export class EntraTokenValidator {
  private metadata: Promise<{ issuers: string[]; jwks: ReturnType<typeof createRemoteJWKSet> }> | undefined;

  constructor(private readonly options: EntraTokenValidatorOptions) {}

  /** Validates an `Authorization` header value and returns the caller. Throws {@link AuthError}. */
  async authenticate(authorization: string | null | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    const payload = await this.verify(token);
    return toPrincipal(payload);
  }

  /**
   * Validates an Azure Monitor action group's secure-webhook token: a valid token for Warden's audience whose
   * caller is the action-group application holding the `ActionGroupsSecureWebhook` role — and nothing else.
   */
  async authenticateActionGroup(authorization: string | null | undefined): Promise<Principal> {
    const principal = await this.authenticate(authorization);
    if (principal.appId !== ACTION_GROUP_APP_ID || principal.kind !== 'application') {
      throw new AuthError(
        403,
        'not_action_group',
        'Only the Azure Monitor action group application may call this endpoint.',
      );
    }
    if (!principal.roles.includes(ACTION_GROUP_WEBHOOK_ROLE)) {
      throw new AuthError(403, 'missing_role', `The caller lacks the ${ACTION_GROUP_WEBHOOK_ROLE} app role.`);
    }
    return principal;
  }

  private async verify(token: string): Promise<JWTPayload> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthError(401, 'malformed_token', 'The bearer token is not a JWT.');
    }
    if (typeof alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new AuthError(401, 'algorithm_not_allowed', `Tokens signed with "${String(alg)}" are not accepted.`);
    }
    const { issuers, jwks } = await this.loadMetadata();
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: [...ALLOWED_ALGORITHMS],
        issuer: issuers,
        audience: [...this.options.audiences],
        clockTolerance: this.options.clockToleranceSec ?? 120,
        currentDate: new Date(this.options.now()),
        requiredClaims: ['exp', 'iat', 'oid', 'tid'],
      });
      if (payload.tid !== this.options.tenantId) {
        throw new AuthError(401, 'wrong_tenant', 'The token was issued for another tenant.');
      }
      return payload;
    } catch (e) {
      throw toAuthError(e);
    }
  }

  private loadMetadata(): Promise<{ issuers: string[]; jwks: ReturnType<typeof createRemoteJWKSet> }> {
    this.metadata ??= this.fetchMetadata().catch((e: unknown) => {
      this.metadata = undefined; // retry on the next request rather than caching a failure
      throw e;
    });
    return this.metadata;
  }

  private async fetchMetadata(): Promise<{ issuers: string[]; jwks: ReturnType<typeof createRemoteJWKSet> }> {
    const base = `${this.options.authorityHost.replace(/\/+$/, '')}/${this.options.tenantId}`;
    const [v2, v1] = await Promise.all([
      this.fetchJson<OpenIdDocument>(`${base}/v2.0/.well-known/openid-configuration`),
      this.fetchJson<OpenIdDocument>(`${base}/.well-known/openid-configuration`),
    ]);
    const issuers = [v2.issuer, v1.issuer].map((i) => i.replace('{tenantid}', this.options.tenantId));
    const fetchImpl = this.options.fetch;
    const jwks = createRemoteJWKSet(new URL(v2.jwks_uri), {
      cacheMaxAge: this.options.jwksCacheMs ?? 10 * 60_000,
      cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
      ...(fetchImpl ? { [customFetch]: fetchImpl as unknown as FetchImplementation } : {}),
    });
    return { issuers, jwks };
  }

  private async fetchJson<T>(url: string): Promise<T> {
    const response = await (this.options.fetch ?? fetch)(url, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`OpenID metadata request to ${url} failed with ${response.status}`);
    return (await response.json()) as T;
  }
}

function bearerToken(authorization: string | null | undefined): string {
  if (!authorization) throw new AuthError(401, 'missing_token', 'A bearer token is required.');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match?.[1])
    throw new AuthError(401, 'malformed_authorization', 'The Authorization header is not a bearer token.');
  return match[1];
}

function toPrincipal(payload: JWTPayload): Principal {
  const claim = (name: string): string | undefined => {
    const value = payload[name];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const objectId = claim('oid') ?? '';
  const tenantId = claim('tid') ?? '';
  const appId = claim('appid') ?? claim('azp');
  const name = claim('name');
  // App-only tokens carry idtyp=app (v2) or no scp/name; delegated user tokens carry scp and a name/upn.
  const kind: Principal['kind'] =
    claim('idtyp') === 'app' || (!claim('scp') && !name && !claim('upn')) ? 'application' : 'user';
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  const base = { objectId, tenantId, kind, roles, ...(name ? { name } : {}), ...(appId ? { appId } : {}) };
  return { ...base, actor: toActor(base) };
}

function toAuthError(e: unknown): AuthError {
  if (e instanceof AuthError) return e;
  if (e instanceof joseErrors.JWTExpired) return new AuthError(401, 'token_expired', 'The token has expired.');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    return new AuthError(401, 'invalid_claim', `The token's "${e.claim}" claim is not accepted (${e.reason}).`);
  }
  if (e instanceof joseErrors.JWKSNoMatchingKey)
    return new AuthError(401, 'unknown_key', 'The token was signed with an unknown key.');
  if (e instanceof joseErrors.JWSSignatureVerificationFailed)
    return new AuthError(401, 'bad_signature', 'The token signature is invalid.');
  if (e instanceof joseErrors.JOSEAlgNotAllowed)
    return new AuthError(401, 'algorithm_not_allowed', 'The token algorithm is not accepted.');
  if (e instanceof joseErrors.JOSEError) return new AuthError(401, 'invalid_token', 'The token is invalid.');
  throw e; // metadata/JWKS outage: not the caller's fault; the edge maps it to 503
}
