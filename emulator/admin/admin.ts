/**
 * The admin API (`/admin/...`, every route requires the `x-emulator-admin-key` header with the key generated into
 * the state dir): reset and seed, the test clock, the directory (principals, app registrations, client secrets, app
 * role assignments, token minting for tests and the local CLI), and Event Grid (topics, subscriptions, queued and
 * delivered events, dead letters, flush). Resource-provider modules add their own out-of-band operations under
 * `/admin/` (ARM: role assignments, PIM activations, resource changes), attributed to `ctx.adminCaller(req)`.
 */
import { z } from 'zod';

import { armError } from '../core/errors';
import type { DemoWorld, EmulatorRequest, EmulatorResponse, Router } from '../core/module';
import type { Emulator } from '../core/server';
import { stableGuid } from '../entra/directory';

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    throw armError(
      400,
      'InvalidRequestContent',
      `The request content is invalid: ${r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}

const ok = (body: unknown, status = 200): EmulatorResponse => ({ status, body });

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ms of an ISO 8601 duration (days, hours, minutes, seconds). */
export function durationMs(iso: string): number | undefined {
  const m = DURATION.exec(iso);
  if (!m || iso === 'P' || iso.endsWith('T')) return undefined;
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 + Number(m[4] ?? 0) * 1000;
}

const advanceSchema = z
  .object({
    ms: z.number().nonnegative().optional(),
    seconds: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    days: z.number().nonnegative().optional(),
    duration: z.string().optional(),
  })
  .strict();

const principalSchema = z.object({
  type: z.enum(['User', 'Group', 'ServicePrincipal']),
  displayName: z.string().min(1),
  userPrincipalName: z.string().optional(),
  appId: z.string().uuid().optional(),
});

const appSchema = z.object({
  displayName: z.string().min(1),
  identifierUris: z.array(z.string()).default([]),
  appRoles: z.array(z.string()).default([]),
  tokenVersion: z.union([z.literal(1), z.literal(2)]).default(1),
  publicClient: z.boolean().default(false),
  managedIdentity: z.boolean().default(false),
  servicePrincipalId: z.string().uuid().optional(),
});

const secretSchema = z.object({
  displayName: z.string().optional(),
  expiresInDays: z.number().positive().optional(),
  /** Also write the secret into the state dir's credentials.json (for local tools). */
  store: z.boolean().default(false),
});

const appRoleAssignmentSchema = z.object({
  principalId: z.string().min(1),
  appId: z.string().min(1),
  role: z.string().min(1),
});

const tokenSchema = z
  .object({
    principalId: z.string().optional(),
    clientId: z.string().optional(),
    resource: z.string().optional(),
    scope: z.string().optional(),
  })
  .refine((b) => !!b.principalId !== !!b.clientId, {
    message: 'give exactly one of principalId (user or service principal) and clientId (app)',
  })
  .refine((b) => !!b.resource !== !!b.scope, { message: 'give exactly one of resource and scope' });

const subscriptionSchema = z.object({
  topic: z.string().min(1),
  endpointUrl: z.string().min(1),
  includedEventTypes: z.array(z.string()).nullable().optional(),
  subjectBeginsWith: z.string().optional(),
  subjectEndsWith: z.string().optional(),
  isSubjectCaseSensitive: z.boolean().optional(),
  eventDeliverySchema: z.enum(['EventGridSchema', 'CloudEventSchemaV1_0']).optional(),
  maxDeliveryAttempts: z.number().int().optional(),
  eventTimeToLiveInMinutes: z.number().int().optional(),
  deliveryHeaders: z.record(z.string(), z.string()).optional(),
  validate: z.boolean().optional(),
  advancedFilters: z.unknown().optional(),
});

const eventSchema = z.object({
  id: z.string().min(1),
  topic: z.string().min(1),
  subject: z.string(),
  eventType: z.string().min(1),
  eventTime: z.string().optional(),
  data: z.unknown(),
  dataVersion: z.string().default(''),
});

export function registerAdminRoutes(router: Router, emu: Emulator): void {
  const ctx = emu.ctx;

  router.get('/admin/endpoints', () => ok(emu.endpoints()));

  router.post('/admin/reset', async (req) => {
    const body = parse(
      z.object({
        seed: z.boolean().default(true),
        drifts: z.boolean().optional(),
        everything: z.boolean().default(false),
      }),
      req.body,
    );
    emu.wipe(body.everything);
    const result = body.seed
      ? await emu.seed(emu.world, body.drifts === undefined ? {} : { drifts: body.drifts })
      : { drifts: 0 };
    return ok({ reset: true, seeded: body.seed, ...result });
  });

  router.post('/admin/drifts', async (req) => {
    const body = parse(
      z.object({ drifts: z.array(z.object({ kind: z.string().min(1) }).passthrough()).optional() }),
      req.body,
    );
    const drifts = body.drifts ?? emu.world?.drifts ?? [];
    try {
      return ok({ applied: await emu.applyDrifts(drifts) });
    } catch (e) {
      if (e instanceof Error && /No emulator module applies/.test(e.message))
        throw armError(400, 'UnknownDriftKind', e.message);
      throw e;
    }
  });

  router.post('/admin/seed', async (req) => {
    const body = parse(z.object({ world: z.record(z.string(), z.unknown()).optional() }), req.body);
    const world = (body.world as DemoWorld | undefined) ?? emu.world;
    if (!world)
      throw armError(400, 'WorldRequired', 'No world configured: start with --world or send {"world": {...}}.');
    if (world.tenantId !== ctx.tenantId || world.subscriptionId !== ctx.subscriptionId) {
      throw armError(
        400,
        'WorldMismatch',
        `The world's tenant/subscription must be ${ctx.tenantId}/${ctx.subscriptionId} (those of this state dir); reset the state dir to change them.`,
      );
    }
    return ok(await emu.seed(world));
  });

  router.get('/admin/clock', () => ok(clockBody(emu)));
  router.post('/admin/clock/advance', (req) => {
    if (!emu.clock.advanceable) {
      throw armError(
        409,
        'ClockNotAdvanceable',
        'The clock can only be advanced in test mode (WARDEN_CLOCK_MODE=test).',
      );
    }
    const b = parse(advanceSchema, req.body);
    let ms =
      (b.ms ?? 0) +
      (b.seconds ?? 0) * 1000 +
      (b.minutes ?? 0) * 60_000 +
      (b.hours ?? 0) * 3_600_000 +
      (b.days ?? 0) * 86_400_000;
    if (b.duration !== undefined) {
      const d = durationMs(b.duration);
      if (d === undefined)
        throw armError(
          400,
          'InvalidRequestContent',
          `duration '${b.duration}' is not an ISO 8601 duration like PT1H or P1DT2H.`,
        );
      ms += d;
    }
    emu.clock.advance(ms);
    ctx.log('admin.clock.advanced', { ms });
    return ok(clockBody(emu));
  });

  // ---- directory ----
  router.get('/admin/principals', () => ok({ value: emu.entra.listPrincipals() }));
  router.put('/admin/principals/{id}', (req) => {
    const b = parse(principalSchema, req.body);
    emu.entra.store.upsertPrincipal({ id: req.params.id!, ...b });
    return ok(emu.entra.getPrincipal(req.params.id!));
  });

  router.get('/admin/apps', () => ok({ value: emu.entra.store.listApps() }));
  router.get('/admin/apps/{appId}', (req) => ok(requireApp(emu, req.params.appId!)));
  router.put('/admin/apps/{appId}', (req) => {
    const b = parse(appSchema, req.body);
    const app = emu.entra.store.upsertApp({
      appId: req.params.appId!,
      displayName: b.displayName,
      identifierUris: b.identifierUris,
      appRoles: b.appRoles.map((value) => ({ id: stableGuid(`role:${req.params.appId}:${value}`), value })),
      tokenVersion: b.tokenVersion,
      publicClient: b.publicClient,
      managedIdentity: b.managedIdentity,
      ...(b.servicePrincipalId ? { servicePrincipalId: b.servicePrincipalId } : {}),
    });
    return ok(app);
  });
  router.get('/admin/apps/{appId}/secrets', (req) => {
    requireApp(emu, req.params.appId!);
    return ok({ value: emu.entra.store.listSecrets(req.params.appId) });
  });
  router.post('/admin/apps/{appId}/secrets', (req) => {
    const app = requireApp(emu, req.params.appId!);
    if (app.managedIdentity || app.publicClient) {
      throw armError(
        400,
        'InvalidRequest',
        `App ${app.appId} is a ${app.managedIdentity ? 'managed identity' : 'public client'}: it has no client secrets.`,
      );
    }
    const b = parse(secretSchema, req.body);
    const expiresAt = b.expiresInDays
      ? new Date(ctx.clock.now() + b.expiresInDays * 86_400_000).toISOString()
      : undefined;
    const s = emu.entra.store.addSecret(app.appId, ctx.clock.nowIso(), {
      ...(b.displayName ? { displayName: b.displayName } : {}),
      ...(expiresAt ? { expiresAt } : {}),
    });
    if (b.store) emu.storeAppSecret(app.appId, s.secret);
    ctx.log('admin.app.secret.added', { appId: app.appId, secretId: s.id, hint: s.hint, stored: b.store });
    return ok(
      {
        appId: app.appId,
        secretId: s.id,
        secret: s.secret,
        hint: s.hint,
        expiresAt: expiresAt ?? null,
        ...(b.store ? { storedIn: emu.endpoints().credentialsPath } : {}),
      },
      201,
    );
  });
  router.delete('/admin/apps/{appId}/secrets/{id}', (req) =>
    emu.entra.store.deleteSecret(req.params.appId!, req.params.id!)
      ? { status: 200, body: { deleted: true } }
      : { status: 204 },
  );

  router.get('/admin/appRoleAssignments', () => ok({ value: emu.entra.store.listAppRoleAssignments() }));
  router.post('/admin/appRoleAssignments', (req) => {
    const b = parse(appRoleAssignmentSchema, req.body);
    const app = requireApp(emu, b.appId);
    if (!app.appRoles.some((r) => r.value === b.role)) {
      throw armError(
        400,
        'InvalidRequest',
        `App ${app.appId} defines no app role '${b.role}' (it has: ${app.appRoles.map((r) => r.value).join(', ') || 'none'}).`,
      );
    }
    if (!emu.entra.getPrincipal(b.principalId))
      throw armError(400, 'PrincipalNotFound', `Principal ${b.principalId} does not exist in the directory.`);
    emu.entra.store.assignAppRole(b.principalId, app.appId, b.role);
    return ok(b, 201);
  });
  router.delete('/admin/appRoleAssignments', (req) => {
    const b = parse(appRoleAssignmentSchema, {
      principalId: req.queryParam('principalId'),
      appId: req.queryParam('appId'),
      role: req.queryParam('role'),
    });
    return emu.entra.store.unassignAppRole(b.principalId, b.appId, b.role) ? ok({ deleted: true }) : { status: 204 };
  });

  router.post('/admin/tokens', (req) => mintToken(emu, req));

  // ---- Event Grid ----
  const eg = emu.eventGrid;
  router.get('/admin/eventgrid/topics', () =>
    ok({ value: eg.listTopics().map(({ key1: _k1, key2: _k2, ...t }) => t) }),
  );
  router.get('/admin/eventgrid/topics/{name}', (req) => {
    const t = eg.getTopic(req.params.name!);
    if (!t) throw armError(404, 'ResourceNotFound', `Topic '${req.params.name}' was not found.`);
    return ok({ ...t, endpoint: eg.topicEndpoint(t.name), id: eg.topicId(t.name) });
  });
  router.put('/admin/eventgrid/topics/{name}', (req) => {
    const b = parse(
      z.object({ inputSchema: z.enum(['EventGridSchema', 'CloudEventSchemaV1_0']).default('EventGridSchema') }),
      req.body,
    );
    const existed = !!eg.getTopic(req.params.name!);
    return ok(eg.createTopic(req.params.name!, b.inputSchema), existed ? 200 : 201);
  });
  router.delete('/admin/eventgrid/topics/{name}', (req) =>
    eg.deleteTopic(req.params.name!) ? ok({ deleted: true }) : { status: 204 },
  );

  router.get('/admin/eventgrid/subscriptions', () => ok({ value: eg.listSubscriptions() }));
  router.get('/admin/eventgrid/subscriptions/{name}', (req) => {
    const s = eg.getSubscription(req.params.name!);
    if (!s) throw armError(404, 'ResourceNotFound', `Event subscription '${req.params.name}' was not found.`);
    return ok(s);
  });
  router.put('/admin/eventgrid/subscriptions/{name}', async (req) => {
    const b = parse(subscriptionSchema, req.body);
    if (b.advancedFilters !== undefined) {
      throw armError(
        400,
        'EmulatorUnsupported',
        'The local Azure emulator does not support advancedFilters; use includedEventTypes and subject filters.',
      );
    }
    const existed = !!eg.getSubscription(req.params.name!);
    const { advancedFilters: _a, ...input } = b;
    const created = await eg.createSubscription({ ...input, name: req.params.name! });
    return ok(created, existed ? 200 : 201);
  });
  router.delete('/admin/eventgrid/subscriptions/{name}', (req) =>
    eg.deleteSubscription(req.params.name!) ? ok({ deleted: true }) : { status: 204 },
  );

  router.get('/admin/eventgrid/deliveries', () => ok({ value: eg.pending() }));
  router.get('/admin/eventgrid/delivered', () => ok({ value: eg.delivered() }));
  router.get('/admin/eventgrid/deadletters', (req) => ok({ value: eg.deadLetters(req.queryParam('subscription')) }));
  router.post('/admin/eventgrid/flush', () => ok({ due: eg.flush() }));
  router.post('/admin/eventgrid/events', (req) => {
    const events = parse(z.array(eventSchema).min(1), Array.isArray(req.body) ? req.body : [req.body]);
    let queued = 0;
    for (const e of events)
      queued += eg.publish({
        ...e,
        eventTime: e.eventTime ?? ctx.clock.nowIso(),
        data: e.data ?? null,
        metadataVersion: '1',
      });
    return ok({ queued });
  });
}

function clockBody(emu: Emulator): Record<string, unknown> {
  const now = emu.clock.now();
  return { now: new Date(now).toISOString(), offsetMs: now - Date.now(), advanceable: emu.clock.advanceable };
}

function requireApp(emu: Emulator, appId: string) {
  const app = emu.entra.store.getApp(appId);
  if (!app) throw armError(404, 'ResourceNotFound', `Application ${appId} was not found in the directory.`);
  return app;
}

/** `POST /admin/tokens`: a token for a seeded principal (users: as the CLI app; service principals: app-only). */
function mintToken(emu: Emulator, req: EmulatorRequest): EmulatorResponse {
  const b = parse(tokenSchema, req.body);
  const resourceName = b.resource ?? b.scope!.replace(/\/\.default$/, '');
  const resource = emu.entra.tokens.resolve(resourceName);
  if (!resource)
    throw armError(
      400,
      'InvalidResource',
      `The resource '${resourceName}' is neither a first-party API nor an app registration of this tenant.`,
    );
  const store = emu.entra.store;
  let issued;
  if (b.clientId) {
    const app = store.getApp(b.clientId);
    if (!app) throw armError(404, 'ResourceNotFound', `Application ${b.clientId} was not found.`);
    issued = emu.entra.tokens.issue({
      oid: app.servicePrincipalId,
      clientAppId: app.appId,
      clientAuth: app.managedIdentity ? '2' : '1',
      resource,
    });
  } else {
    const p = emu.entra.getPrincipal(b.principalId!);
    if (!p || p.type === 'Group')
      throw armError(
        400,
        'PrincipalNotFound',
        `Principal ${b.principalId} is not a user or service principal of the directory.`,
      );
    if (p.type === 'User') {
      const cli = emu.world?.warden?.cli?.appId;
      issued = emu.entra.tokens.issue({
        oid: p.id,
        clientAppId: cli ?? '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
        clientAuth: '0',
        resource,
        user: { name: p.displayName, upn: p.userPrincipalName ?? p.id, scp: 'user_impersonation' },
      });
    } else {
      const app = store.appByServicePrincipal(p.id);
      issued = emu.entra.tokens.issue({
        oid: p.id,
        clientAppId: app?.appId ?? p.appId ?? p.id,
        clientAuth: app?.managedIdentity ? '2' : '1',
        resource,
      });
    }
  }
  emu.ctx.log('admin.token.minted', { principal: issued.claims.oid, aud: issued.claims.aud });
  return ok({
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    expires_on: issued.expiresOnWall,
    access_token: issued.token,
  });
}
