// A test harness for the HTTP API: a local OpenID/JWKS server, a real EntraTokenValidator, a SQLite store seeded
// with the demo world, recording fakes for the notifier and the remediation starter, and `call()` that sends a
// real @azure/functions HttpRequest through the edge (handleApiRequest) for a route of the table.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { HttpRequest } from '@azure/functions';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

import { handleApiRequest } from '../../../../functions/_edge/api-handler';
import type { EdgeServices } from '../../../../functions/_edge/edge-services';
import type { AnyApiRoute } from '../../../../shared/api/api-route';
import type { ApiServices } from '../../../../shared/api/api-services';
import type { OrchestrationSummary } from '../../../../shared/api/orchestrations/orchestration-query';
import type { ApprovedRequest, RemediationStarter } from '../../../../shared/api/remediation-starter';
import { API_ROUTES } from '../../../../shared/api/route-table';
import { EntraTokenValidator } from '../../../../shared/auth/entra-token-validator';
import type { Notification, Notifier } from '../../../../shared/cloud/ports/notifier';
import { fixedClock } from '../../../../shared/domain/clock';
import { type MetadataStore, openSqliteMetadataStore } from '../../../../shared/metadata/metadata-store';
import { readDemoWorld, seedDemoWorld } from '../../../../shared/metadata/seed/seed-demo-world';

export const TENANT = '45286771-0821-4e88-a404-d87ec2f39f1a';
export const OTHER_TENANT = '11111111-2222-4333-8444-555555555555';
export const AUDIENCE = 'api://warden';
export const CLIENT_ID = 'e1b0cd8b-2bb2-47e1-9cfa-9bc7e16af6de';
export const NOW = new Date('2026-11-25T12:00:00Z');
export const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
export const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
export const BREAK_GLASS = '384bd70d-4052-490d-ac25-1c57e9f8dc5b';
export const WARDEN_MI = '6872bbc9-1627-441e-a611-7ce540632cfe';
export const SUB = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
export const RG = `${SUB}/resourceGroups/rg-fraud-ml`;
export const DATA_SCIENTISTS = '95d764b4-de42-46a3-bb72-8b382714c04a';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface TokenOptions {
  oid?: string;
  name?: string;
  roles?: string[];
  app?: boolean;
  claims?: Record<string, unknown>;
  key?: KeyPair;
  kid?: string;
  iss?: string;
  aud?: string;
  exp?: number;
  alg?: string;
}

export interface CallOptions {
  token?: string | null;
  /** Raw path parameters as the host gives them (managed scope: the ARM id without its leading '/'). */
  params?: Record<string, string>;
  query?: Record<string, string> | string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  text: string;
}

export class ApiHarness {
  store!: MetadataStore;
  services!: ApiServices;
  edge!: EdgeServices;
  readonly notifications: Notification[] = [];
  readonly started: ApprovedRequest[] = [];
  notifierFails = false;
  /** What the fake durable client knows. */
  readonly enforcementStarts: unknown[] = [];
  readonly orchestrations: OrchestrationSummary[] = ['Running', 'Completed', 'Failed', 'Completed', 'Running'].map(
    (runtimeStatus, i) => ({
      instanceId: `reconcileAccess-${i}`,
      name: 'reconcileAccess',
      runtimeStatus,
      createdTime: new Date(NOW.getTime() - (5 - i) * 60_000).toISOString(),
      lastUpdatedTime: NOW.toISOString(),
      customStatus: null,
    }),
  );
  /** What the edge logged as errors (500/503), for assertions and debugging. */
  readonly errors: unknown[] = [];
  readonly clock = fixedClock(NOW);
  private server!: http.Server;
  private base = '';
  private keys!: KeyPair;
  private dir = '';
  private ids = 0;

  async start(options: { bodyLimitBytes?: number } = {}): Promise<this> {
    this.keys = await generateKeyPair('RS256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(this.keys.publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' };
    this.server = http.createServer((req, res) => {
      const url = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      if (url === `/${TENANT}/v2.0/.well-known/openid-configuration`)
        res.end(JSON.stringify({ issuer: `${this.base}/${TENANT}/v2.0`, jwks_uri: `${this.base}/${TENANT}/keys` }));
      else if (url === `/${TENANT}/.well-known/openid-configuration`)
        res.end(
          JSON.stringify({ issuer: `https://sts.windows.net/${TENANT}/`, jwks_uri: `${this.base}/${TENANT}/keys` }),
        );
      else if (url === `/${TENANT}/keys`) res.end(JSON.stringify({ keys: [jwk] }));
      else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'warden-api-'));
    this.store = openSqliteMetadataStore({ file: path.join(this.dir, 'metadata.db'), clock: this.clock });
    await seedDemoWorld(this.store, readDemoWorld());
    const notifier: Notifier = {
      publish: (n) => {
        if (this.notifierFails) return Promise.reject(new Error('topic down'));
        this.notifications.push(...n);
        return Promise.resolve();
      },
    };
    const remediations: RemediationStarter = {
      start: (r) => {
        this.started.push(r);
        return Promise.resolve({ started: true, instanceId: `inst-${r.approval.id}` });
      },
    };
    this.services = {
      store: this.store,
      notifier,
      remediations,
      clock: this.clock,
      settings: { wardenPrincipalIds: [WARDEN_MI], killSwitch: false, appVersion: '9.9.9-test' },
      newId: () => `t${++this.ids}-${randomUUID().slice(0, 8)}`,
      // Enforcement commands recorded, not run (the real ones are exercised end to end).
      enforcement: {
        planAccess: (scope) => Promise.resolve({ plan: { kind: 'access', target: scope, steps: [] } as never }),
        planNetwork: (resourceId) =>
          Promise.resolve({ plan: { kind: 'network', target: resourceId, steps: [] } as never }),
        startAccess: (r) => {
          this.enforcementStarts.push(r);
          return Promise.resolve({ instanceId: `reconcileAccess-${r.scope}`, action: 'started' as const });
        },
        startNetwork: (r) => {
          this.enforcementStarts.push(r);
          return Promise.resolve({ instanceId: `enforceNetwork-${r.resourceId}`, action: 'started' as const });
        },
      },
      orchestrations: {
        get: (id) => Promise.resolve(this.orchestrations.find((o) => o.instanceId === id)),
        list: (f) =>
          Promise.resolve(
            this.orchestrations.filter(
              (o) =>
                (!f.runtimeStatus || f.runtimeStatus.includes(o.runtimeStatus)) &&
                (!f.createdFrom || o.createdTime >= f.createdFrom) &&
                (!f.createdTo || o.createdTime <= f.createdTo),
            ),
          ),
      },
    };
    // Model commands (quarantine/release routes) recorded, not run (the real ones run end to end).
    Object.assign(this.services, {
      models: {
        planQuarantine: (modelId: string) => Promise.resolve({ decision: 'quarantine', modelId }),
        startQuarantine: (r: { modelId: string }) => {
          this.enforcementStarts.push(r);
          return Promise.resolve({ instanceId: `quarantineModel-${r.modelId}`, action: 'started' as const });
        },
        startRelease: (r: { modelId: string }) => {
          this.enforcementStarts.push(r);
          return Promise.resolve({ instanceId: `releaseModel-${r.modelId}`, action: 'started' as const });
        },
      },
    });
    this.edge = {
      authenticator: new EntraTokenValidator({
        authorityHost: this.base,
        tenantId: TENANT,
        audiences: [AUDIENCE, CLIENT_ID],
        now: () => this.clock.now().getTime(),
        jwksCooldownMs: 0,
      }),
      api: this.services,
      bodyLimitBytes: options.bodyLimitBytes ?? 16 * 1024,
    };
    return this;
  }

  async stop(): Promise<void> {
    await this.store?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  get issuerV2(): string {
    return `${this.base}/${TENANT}/v2.0`;
  }

  async token(o: TokenOptions = {}): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const claims: Record<string, unknown> = {
      tid: TENANT,
      oid: o.oid ?? ADA,
      ...(o.app
        ? { idtyp: 'app', azp: 'c1668f6c-5b42-4098-a44a-b87b56c1e998' }
        : { name: o.name ?? 'Ada Lovelace', scp: 'user_impersonation' }),
      roles: o.roles ?? [],
      ...(o.claims ?? {}),
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? 'k1', typ: 'JWT' })
      .setIssuer(o.iss ?? this.issuerV2)
      .setAudience(o.aud ?? AUDIENCE)
      .setIssuedAt(now - 60)
      .setNotBefore(now - 60)
      .setExpirationTime(o.exp ?? now + 3600)
      .sign((o.key ?? this.keys).privateKey);
  }

  /** Ada: Reader, Operator, PolicyAdmin (as in the demo world). */
  ada(): Promise<string> {
    return this.token({
      oid: ADA,
      name: 'Ada Lovelace',
      roles: ['Warden.Reader', 'Warden.Operator', 'Warden.PolicyAdmin'],
    });
  }

  /** Grace: Reader, Operator, Auditor. */
  grace(): Promise<string> {
    return this.token({
      oid: GRACE,
      name: 'Grace Hopper',
      roles: ['Warden.Reader', 'Warden.Operator', 'Warden.Auditor'],
    });
  }

  route(name: string): AnyApiRoute {
    const r = API_ROUTES.find((x) => x.name === name);
    if (!r) throw new Error(`no route ${name}`);
    return r;
  }

  async call(name: string, o: CallOptions = {}): Promise<CallResult> {
    const route = this.route(name);
    const params = o.params ?? {};
    const pathPart = route.route.replace(/\{\*?([A-Za-z0-9_]+)\}/g, (_m, p: string) => params[p] ?? '');
    const qs = typeof o.query === 'string' ? o.query : new URLSearchParams(o.query ?? {}).toString();
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token !== null && o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined = o.rawBody;
    if (body === undefined && o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const request = new HttpRequest({
      method: route.method,
      url: `http://localhost/api/${pathPart}${qs ? `?${qs}` : ''}`,
      headers,
      params,
      ...(body !== undefined ? { body: { string: body } } : {}),
    });
    const res = await handleApiRequest(route, request, this.edge, {
      error: (...a: unknown[]) => this.errors.push(a),
    });
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries((res.headers ?? {}) as Record<string, string>)) outHeaders[k.toLowerCase()] = v;
    const text = typeof res.body === 'string' ? res.body : '';
    let parsed: unknown;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status ?? 200, headers: outHeaders, body: parsed, text };
  }

  /** The audit entries appended after `seq`. */
  async auditAfter(seq: number) {
    return (await this.store.audit.list({ fromSeq: seq + 1 })).filter((e) => e.seq > seq);
  }

  async auditHeadSeq(): Promise<number> {
    return (await this.store.audit.head())?.seq ?? 0;
  }
}

/** A valid new access policy body on the demo managed scope. */
export function policyBody(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    principal_id: DATA_SCIENTISTS,
    principal_type: 'Group',
    role: 'Reader',
    scope: RG,
    justification: 'Read the resource group for the quarterly review',
    ...overrides,
  };
}
