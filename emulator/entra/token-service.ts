/**
 * Issues and validates the tenant's access tokens.
 *
 * Issuers: v1 tokens carry `iss` = `https://sts.windows.net/{tid}/`, exactly as Entra ID (so a resource server's
 * issuer setting is the same locally and in Azure; only the JWKS location differs); v2 tokens carry
 * `{emulator base URL}/{tid}/v2.0`, the `issuer` of the emulator's v2 OpenID document (in Azure,
 * `https://login.microsoftonline.com/{tid}/v2.0`). First-party resources (ARM, Key Vault, Event Grid, Storage,
 * Monitor, Log Analytics) get v1 tokens with `aud` = the resource as requested; an app registration gets the version
 * its `accessTokenAcceptedVersion` asks for (v1: `aud` = the identifier URI as requested, v2: `aud` = its app id).
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { armError, EmulatorHttpError } from '../core/errors';
import type { CallerIdentity, EmulatorClock, EmulatorRequest } from '../core/module';
import type { AppRegistration, DirectoryStore } from './directory';
import type { SigningKey } from './signing-key';

/** Resources Entra knows without an app registration in this tenant (first-party APIs), all v1. */
export const FIRST_PARTY_RESOURCES: readonly string[] = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
  'https://vault.azure.net',
  'https://eventgrid.azure.net',
  'https://storage.azure.com',
  'https://storage.azure.com/',
  'https://monitoring.azure.com',
  'https://monitoring.azure.com/',
  'https://api.loganalytics.io',
  'https://metrics.monitor.azure.com', // the metrics query API's own audience (MetricsClient `audience`)
  'https://metrics.monitor.azure.com/',
  'https://ml.azure.com',
  'https://database.windows.net',
  'https://database.windows.net/',
  'https://graph.microsoft.com',
  '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d', // Azure Databricks
];

/** Audiences ARM accepts (emulator-api-surface.md §1.4). */
export const ARM_AUDIENCES: readonly string[] = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
];

export interface ResolvedResource {
  /** The `aud` claim. */
  aud: string;
  version: 1 | 2;
  /** The target app registration, for app roles (undefined for first-party resources). */
  app?: AppRegistration;
}

export interface IssueInput {
  /** Object id of the caller (user or service principal). */
  oid: string;
  /** Client app id (`appid`/`azp`). */
  clientAppId: string;
  /** "0" public, "1" secret, "2" certificate / managed identity. */
  clientAuth: '0' | '1' | '2';
  resource: ResolvedResource;
  user?: { name: string; upn: string; scp: string };
  /** `xms_mirid` for managed identities with a resource id. */
  miResourceId?: string;
  /** App roles (computed from assignments when omitted). */
  roles?: string[];
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  /** `exp` (unix seconds, emulator clock). */
  expiresOn: number;
  /**
   * The expiry as the *client* reckons it (unix seconds of real time): `expires_on` in responses. SDK token caches
   * compare it with the real clock, so with a shifted emulator clock it must not be the `exp` claim.
   */
  expiresOnWall: number;
  notBefore: number;
  claims: Record<string, unknown>;
}

export class TokenService {
  constructor(
    private readonly key: SigningKey,
    private readonly directory: DirectoryStore,
    private readonly clock: EmulatorClock,
    readonly tenantId: string,
    private readonly baseUrl: () => string,
    /** Token lifetime in seconds (Entra: 60–90 min; longer helps tests that advance the clock far). */
    readonly lifetimeSeconds: number,
  ) {}

  get issuerV1(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }
  get issuerV2(): string {
    return `${this.baseUrl()}/${this.tenantId}/v2.0`;
  }

  /** Resolves a requested resource (`resource=` or a scope minus `/.default`), or undefined when unknown. */
  resolve(resource: string): ResolvedResource | undefined {
    const app = this.directory.appByResource(resource);
    if (app && !app.managedIdentity) {
      return app.tokenVersion === 2 ? { aud: app.appId, version: 2, app } : { aud: resource, version: 1, app };
    }
    const lower = resource.toLowerCase();
    if (FIRST_PARTY_RESOURCES.some((r) => r.toLowerCase() === lower)) return { aud: resource, version: 1 };
    return undefined;
  }

  issue(input: IssueInput): IssuedToken {
    const now = Math.floor(this.clock.now() / 1000);
    const iat = now - 300;
    const exp = now + this.lifetimeSeconds;
    const v1 = input.resource.version === 1;
    const roles =
      input.roles ?? (input.resource.app ? this.directory.rolesOf(input.oid, input.resource.app.appId) : []);
    const claims: Record<string, unknown> = {
      aud: input.resource.aud,
      iss: v1 ? this.issuerV1 : this.issuerV2,
      iat,
      nbf: iat,
      exp,
      aio: randomBytes(24).toString('base64url'),
    };
    if (input.user) {
      if (v1) {
        Object.assign(claims, {
          amr: ['pwd'],
          appid: input.clientAppId,
          appidacr: input.clientAuth,
          ipaddr: '127.0.0.1',
          name: input.user.name,
          oid: input.oid,
          rh: rh(),
          ...(roles.length ? { roles } : {}),
          scp: input.user.scp,
          sub: input.oid,
          tid: this.tenantId,
          unique_name: input.user.upn,
          upn: input.user.upn,
          uti: uti(),
          ver: '1.0',
        });
      } else {
        Object.assign(claims, {
          azp: input.clientAppId,
          azpacr: input.clientAuth,
          name: input.user.name,
          oid: input.oid,
          preferred_username: input.user.upn,
          rh: rh(),
          ...(roles.length ? { roles } : {}),
          scp: input.user.scp,
          sub: input.oid,
          tid: this.tenantId,
          uti: uti(),
          ver: '2.0',
        });
      }
    } else {
      Object.assign(claims, {
        ...(v1 ? { appid: input.clientAppId, appidacr: input.clientAuth, idp: this.issuerV1 } : {}),
        ...(v1 ? {} : { azp: input.clientAppId, azpacr: input.clientAuth }),
        idtyp: 'app',
        oid: input.oid,
        rh: rh(),
        ...(roles.length ? { roles } : {}),
        sub: input.oid,
        tid: this.tenantId,
        uti: uti(),
        ver: v1 ? '1.0' : '2.0',
        ...(input.miResourceId ? { xms_mirid: input.miResourceId } : {}),
      });
    }
    return {
      token: this.key.sign(claims),
      expiresIn: exp - now,
      expiresOn: exp,
      expiresOnWall: Math.floor(Date.now() / 1000) + (exp - now),
      notBefore: iat,
      claims,
    };
  }

  /**
   * A v2 OpenID Connect id_token for a signed-in user, as Entra returns it beside a delegated access token when
   * `openid` was requested (`aud` = the client app, `iss` = the v2 issuer).
   */
  issueIdToken(input: { oid: string; clientAppId: string; name: string; upn: string }): string {
    const now = Math.floor(this.clock.now() / 1000);
    return this.key.sign({
      aud: input.clientAppId,
      iss: this.issuerV2,
      iat: now,
      nbf: now,
      exp: now + this.lifetimeSeconds,
      name: input.name,
      oid: input.oid,
      preferred_username: input.upn,
      rh: rh(),
      sub: input.oid,
      tid: this.tenantId,
      uti: uti(),
      ver: '2.0',
    });
  }

  /** ctx.authenticate: validates the bearer token for one of `audiences` on the emulator clock. */
  authenticate(req: EmulatorRequest, audiences: string | readonly string[]): CallerIdentity {
    const auds = (typeof audiences === 'string' ? [audiences] : audiences).map(normAud);
    const fail = (code: string, message: string): EmulatorHttpError =>
      armError(401, code, message, {
        headers: {
          'www-authenticate': `Bearer authorization_uri="${this.baseUrl()}/${this.tenantId}", error="invalid_token", error_description="${message.replace(/"/g, "'")}"`,
        },
      });
    const header = req.header('authorization');
    if (!header) throw fail('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      throw fail(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      );
    }
    const verified = this.key.verify(m[1]!);
    if (!verified) throw fail('InvalidAuthenticationToken', 'The access token is invalid.');
    const c = verified.claims;
    if (c.tid !== this.tenantId || (c.iss !== this.issuerV1 && c.iss !== this.issuerV2)) {
      throw fail(
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer '${String(c.iss)}'. It must match the tenant 'https://sts.windows.net/${this.tenantId}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${this.tenantId}' to get the token.`,
      );
    }
    const now = this.clock.now();
    const exp = typeof c.exp === 'number' ? c.exp : 0;
    const nbf = typeof c.nbf === 'number' ? c.nbf : 0;
    if (exp * 1000 <= now) {
      throw fail(
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${armTime(exp * 1000)}' is earlier than current UTC time '${armTime(now)}'.`,
      );
    }
    if ((nbf - 300) * 1000 > now) {
      throw fail('InvalidAuthenticationToken', `The access token is not yet valid (nbf '${armTime(nbf * 1000)}').`);
    }
    const aud = typeof c.aud === 'string' ? c.aud : '';
    if (!auds.includes(normAud(aud))) {
      throw fail(
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${auds.map((a) => `'${a}'`).join(',')}.`,
      );
    }
    return callerFromClaims(c);
  }
}

export function callerFromClaims(c: Record<string, unknown>): CallerIdentity {
  const str = (k: string): string | undefined => (typeof c[k] === 'string' ? c[k] : undefined);
  const isUser = c.idtyp === 'user' || (c.idtyp !== 'app' && (str('upn') !== undefined || str('scp') !== undefined));
  const caller: CallerIdentity = {
    oid: str('oid') ?? '',
    tid: str('tid') ?? '',
    principalType: isUser ? 'User' : 'ServicePrincipal',
    aud: str('aud') ?? '',
    claims: c,
  };
  const appid = str('appid') ?? str('azp');
  if (appid) caller.appid = appid;
  const acr = str('appidacr') ?? str('azpacr');
  if (acr) caller.appidacr = acr;
  const name = str('name');
  if (name) caller.name = name;
  const upn = str('upn') ?? str('preferred_username');
  if (upn) caller.upn = upn;
  if (Array.isArray(c.roles)) caller.roles = c.roles.filter((r): r is string => typeof r === 'string');
  const scp = str('scp');
  if (scp) caller.scp = scp;
  return caller;
}

function normAud(a: string): string {
  return a.replace(/\/+$/, '').toLowerCase();
}

/** ARM's time format in error messages: `11/25/2026 5:03:12 PM`. */
function armTime(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

function rh(): string {
  return `0.${randomBytes(32).toString('base64url')}.`;
}
function uti(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url').slice(0, 22);
}
