/**
 * The Azure Monitor module: metric alert PUTs answered 200 (as `@azure/arm-monitor` 8 requires; the rules
 * themselves are ARM resources of `arm/providers/monitor.ts`), custom metrics ingestion and the metrics query API
 * on their own origins, the Logs query API answering registered queries only, evaluation of static metric alert
 * rules on the emulator clock, the admin "fire" call, and delivery to action groups' webhooks.
 *
 * Origins (named by the real host, `ctx.openOrigin`): `<location>.monitoring.azure.com` (ingestion),
 * `<location>.metrics.monitor.azure.com` (metrics query), `api.loganalytics.io` (logs query).
 */
import { normalizeId, parseId } from '../arm/ids';
import { METRIC_ALERT_TYPE } from '../arm/providers/monitor';
import { obj, text } from '../arm/providers/types';
import { ResourceHandlers } from '../arm/resources';
import { dispatch } from '../arm/routes';
import { ArmService } from '../arm/service';
import { armError } from '../core/errors';
import type { DemoWorld, EmulatorContext, EmulatorModule, EmulatorRequest, Router } from '../core/module';
import { Alerts } from './alerts';
import { Deliveries } from './delivery';
import { LogQueryStore, queryWorkspace, validateRegistration } from './logs';
import { INGESTION_AUDIENCES, MetricStore, parseIngestion, queryBatch } from './metrics';

export interface MonitorModuleOptions {
  /** Multiplies the action-group retry delays (1 = Azure's ~5/20/5/40/5 s; tests use e.g. 0.001). */
  retryScale?: number;
  /** How often (real time) due evaluations and deliveries are looked for, in ms (default 200). */
  pollIntervalMs?: number;
}

class MonitorService {
  readonly arm: ArmService;
  readonly handlers: ResourceHandlers;
  readonly metrics: MetricStore;
  readonly logs: LogQueryStore;
  readonly deliveries: Deliveries;
  readonly alerts: Alerts;
  origins: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly ctx: EmulatorContext,
    readonly options: MonitorModuleOptions,
  ) {
    this.arm = new ArmService(ctx);
    this.handlers = new ResourceHandlers(this.arm);
    this.metrics = new MetricStore(ctx.db);
    this.logs = new LogQueryStore(ctx.db);
    this.deliveries = new Deliveries(ctx, options.retryScale ?? 1);
    this.alerts = new Alerts(ctx, this.arm, this.metrics, this.deliveries);
  }

  start(): void {
    const tick = () => {
      try {
        this.alerts.evaluateDue();
        this.deliveries.pump();
      } catch (e) {
        this.ctx.log('monitor.tick.failed', { error: (e as Error).message });
      }
    };
    this.timer = setInterval(tick, this.options.pollIntervalMs ?? 200);
    this.timer.unref();
    this.unsubscribe = this.ctx.clock.onChange(tick);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
  }

  locationOf(resourceId: string): string | undefined {
    const r = this.arm.store.getResource(normalizeId(resourceId));
    if (!r) return undefined;
    return typeof r.location === 'string' ? r.location.replace(/\s+/g, '').toLowerCase() : this.ctx.location;
  }

  /** `POST {resourceId}/metrics` on the ingestion origin. */
  ingest(req: EmulatorRequest) {
    this.ctx.authenticate(req, INGESTION_AUDIENCES);
    const resourceId = normalizeId(req.params.resource ?? '');
    const p = parseId(resourceId);
    if (!p || p.kind !== 'resource') {
      throw armError(400, 'InvalidResourceId', `'${resourceId}' is not a resource id.`);
    }
    if (this.locationOf(resourceId) === undefined) {
      throw armError(404, 'ResourceNotFound', `The resource '${resourceId}' was not found.`);
    }
    if (req.contentType !== 'application/json' && req.contentType !== 'application/x-ndjson') {
      throw armError(415, 'UnsupportedMediaType', 'Send application/json or application/x-ndjson.');
    }
    const textBody = req.rawBody.toString('utf8');
    const docs: unknown[] = [];
    for (const line of req.contentType === 'application/x-ndjson' ? textBody.split('\n') : [textBody]) {
      if (!line.trim()) continue;
      try {
        docs.push(JSON.parse(line));
      } catch {
        throw armError(400, 'InvalidPayload', 'The body is not valid JSON.');
      }
    }
    if (docs.length === 0) throw armError(400, 'InvalidPayload', 'The body is empty.');
    const now = this.ctx.clock.now();
    const points = docs.flatMap((d) => parseIngestion(d, resourceId, now, true));
    for (const pt of points) this.metrics.add(pt);
    return { status: 200, body: {} };
  }

  /** Admin: points without a token and without the ingestion time window (backfill for tests and demos). */
  adminMetrics(req: EmulatorRequest) {
    const b = obj(req.body);
    const resourceId = normalizeId(text(b.resourceId ?? ''));
    if (this.locationOf(resourceId) === undefined) {
      throw armError(404, 'ResourceNotFound', `The resource '${resourceId}' was not found.`);
    }
    const dims = obj(b.dimensions);
    const names = Object.keys(dims);
    const value = b.value;
    const series =
      typeof value === 'number'
        ? { min: value, max: value, sum: value, count: 1 }
        : { min: b.min, max: b.max, sum: b.sum, count: b.count };
    const doc = {
      time: typeof b.time === 'string' ? b.time : this.ctx.clock.nowIso(),
      data: {
        baseData: {
          metric: b.metric,
          namespace: b.namespace,
          dimNames: names,
          series: [{ dimValues: names.map((n) => dims[n]), ...series }],
        },
      },
    };
    const points = parseIngestion(doc, resourceId, this.ctx.clock.now(), false);
    for (const pt of points) this.metrics.add(pt);
    return { status: 201, body: { points: points.length } };
  }

  seed(world: DemoWorld): void {
    const azure = obj(world.azure);
    for (const raw of Array.isArray(azure.metrics) ? azure.metrics : []) {
      const m = obj(raw);
      const dims = obj(m.dimensions) as Record<string, string>;
      const names = Object.keys(dims);
      const points = parseIngestion(
        {
          time: this.ctx.clock.nowIso(),
          data: {
            baseData: {
              metric: m.name,
              namespace: m.namespace,
              dimNames: names,
              series: [{ dimValues: names.map((n) => dims[n]), min: m.value, max: m.value, sum: m.value, count: 1 }],
            },
          },
        },
        normalizeId(text(m.resourceId ?? '')),
        this.ctx.clock.now(),
        false,
      );
      for (const pt of points) this.metrics.add(pt);
    }
    for (const raw of Array.isArray(azure.logQueries) ? azure.logQueries : []) {
      const q = validateRegistration(raw);
      if (typeof q === 'string') throw new Error(`world.azure.logQueries: ${q}`);
      this.logs.register(q);
    }
  }
}

const METRIC_ALERT_PATH = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Insights/metricAlerts/{name}';

function registerRoutes(router: Router, m: MonitorService): void {
  // metricAlerts.createOrUpdate accepts 200 only (§2.7): the generic handler answers 201 on create.
  router.put(
    METRIC_ALERT_PATH,
    (req) => {
      const res = dispatch(m.arm, m.handlers, req);
      return res.status === 201 ? { ...res, status: 200 } : res;
    },
    { operation: `${METRIC_ALERT_TYPE}/write` },
  );
  router.post('/admin/monitor/metrics', (req) => m.adminMetrics(req));
  router.post('/admin/monitor/log-queries', (req) => {
    const q = validateRegistration(req.body);
    if (typeof q === 'string') throw armError(400, 'BadRequest', q);
    m.logs.register(q);
    return { status: 201, body: q };
  });
  router.get('/admin/monitor/log-queries', () => ({ status: 200, body: { value: m.logs.list() } }));
  router.delete('/admin/monitor/log-queries', () => {
    m.logs.clear();
    return { status: 204 };
  });
  router.post('/admin/monitor/alerts/fire', (req) => ({ status: 202, body: m.alerts.fire(req.body) }));
  router.post('/admin/monitor/alerts/evaluate', (req) => {
    const ruleId = obj(req.body).ruleId;
    if (ruleId !== undefined && (typeof ruleId !== 'string' || !ruleId)) {
      throw armError(400, 'BadRequest', "'ruleId' must be a metric alert rule id.");
    }
    const evaluated = m.alerts.evaluateDue(true, ruleId);
    if (ruleId !== undefined && evaluated === 0) {
      throw armError(404, 'ResourceNotFound', `No enabled static-threshold metric alert rule '${ruleId}' exists.`);
    }
    return { status: 200, body: { evaluated } };
  });
  router.get('/admin/monitor/deliveries', (req) => ({
    status: 200,
    body: {
      value: m.deliveries.list({
        ...(req.queryParam('ruleId') ? { ruleId: req.queryParam('ruleId')! } : {}),
        ...(req.queryParam('status') ? { status: req.queryParam('status')! } : {}),
      }),
    },
  }));
  router.post('/admin/monitor/deliveries/flush', () => {
    const n = m.deliveries.flush();
    m.deliveries.pump();
    return { status: 200, body: { due: n } };
  });
}

async function openOrigins(m: MonitorService): Promise<void> {
  const { ctx } = m;
  if (!ctx.openOrigin) return;
  const location = ctx.location.replace(/\s+/g, '').toLowerCase();
  const [ingest, metrics, logs] = await Promise.all([
    ctx.openOrigin(`${location}.monitoring.azure.com`),
    ctx.openOrigin(`${location}.metrics.monitor.azure.com`),
    ctx.openOrigin('api.loganalytics.io'),
  ]);
  ingest.router.post('/{*resource}/metrics', (req) => m.ingest(req), {
    rawBody: true,
    operation: 'Microsoft.Insights/Metrics/Write',
  });
  metrics.router.post(
    '/subscriptions/{sub}/metrics:getBatch',
    (req) => queryBatch({ ctx, store: m.metrics, locationOf: (id) => m.locationOf(id) }, req),
    {
      operation: 'Microsoft.Insights/metrics/read',
    },
  );
  for (const prefix of ['/v1', '']) {
    logs.router.post(`${prefix}/workspaces/{workspace}/query`, (req) => queryWorkspace(ctx, m.logs, req), {
      operation: 'Microsoft.OperationalInsights/workspaces/query/read',
    });
  }
}

/** A fresh Monitor module (one per emulator: it owns timers). */
export function createMonitorModule(options: MonitorModuleOptions = {}): EmulatorModule {
  const services = new Map<EmulatorContext, MonitorService>();
  return {
    name: 'monitor',
    migrate(db) {
      MetricStore.migrate(db);
      LogQueryStore.migrate(db);
      Deliveries.migrate(db);
      Alerts.migrate(db);
    },
    register(router, ctx) {
      const m = new MonitorService(ctx, options);
      services.set(ctx, m);
      registerRoutes(router, m);
      m.origins = openOrigins(m).catch((e: unknown) =>
        ctx.log('monitor.origins.failed', { error: (e as Error).message }),
      );
      m.start();
    },
    async seed(world, ctx) {
      const m = services.get(ctx);
      if (!m) return;
      await m.origins;
      m.seed(world);
    },
    async start(ctx) {
      // also on a restart without seeding: endpoints.json lists the origins once start resolves
      await services.get(ctx)?.origins;
    },
    close() {
      for (const m of services.values()) m.stop();
      services.clear();
    },
  };
}
