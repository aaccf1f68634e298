// warden plan / apply / reconcile / enforce / status / orchestrations, and rotate / quarantine / release (discovered
// from the deployment's OpenAPI document).
import { randomUUID } from 'node:crypto';

import { bool, type CommandSpec, durationOption, pairs, type Parsed, str, strs } from '../args';
import type { Ctx } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import {
  asYaml,
  type AuditEntryLike,
  auditLine,
  keyValues,
  type PlanLike,
  renderGenericPlan,
  renderPlan,
  table,
} from '../render';
import { fieldValue } from './metadata';

export type TargetKind = 'access' | 'network';

/**
 * Whether a target is a managed scope (access reconcile) or a governed resource (network enforcement): `--kind`
 * when given, else a resource id (`…/providers/<namespace>/<type>/<name>`) is network and anything above it access.
 */
export function targetKind(target: string, kind: string | undefined): TargetKind {
  if (kind !== undefined) {
    if (kind !== 'access' && kind !== 'network') throw usageError(`--kind must be access or network, got '${kind}'`);
    return kind;
  }
  if (!target.startsWith('/')) throw usageError(`The target is an ARM id starting with '/', got '${target}'`);
  return /\/providers\/[^/]+\/[^/]+\/[^/]+/i.test(target) ? 'network' : 'access';
}

function startRequest(kind: TargetKind, target: string): { path: string; body: Record<string, string> } {
  return kind === 'access'
    ? { path: 'access/reconcile', body: { scope: target } }
    : { path: 'network/enforce', body: { resourceId: target } };
}

const KIND_OPTION = {
  kind: {
    type: 'string',
    value: 'access|network',
    description: 'what the target is (default: a resource id is network, a scope access)',
  },
} as const;

const FOLLOW_OPTIONS = {
  'no-wait': { type: 'boolean', description: 'start and return; do not follow the run' },
  timeout: { type: 'string', value: 'duration', description: 'stop following after this long (default 10m; exit 8)' },
} as const;

interface Orchestration {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  customStatus: unknown;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The progress line of a followed run. */
export function progressLine(o: Orchestration, elapsedMs: number): string {
  const custom =
    o.customStatus === null || o.customStatus === undefined || o.customStatus === ''
      ? ''
      : ` — ${typeof o.customStatus === 'string' ? o.customStatus : JSON.stringify(o.customStatus)}`;
  return `${o.name} ${o.instanceId}: ${o.runtimeStatus} (${(elapsedMs / 1000).toFixed(1)}s)${custom}`;
}

/**
 * Follows an orchestration until it ends: on a terminal, one live line rewritten in place; otherwise a plain line
 * each time the status changes. Exit 0 when Completed, 8 when it failed, was terminated or canceled, or the
 * timeout passed.
 */
export async function follow(
  ctx: Ctx,
  instanceId: string,
  timeoutMs: number,
): Promise<{ code: number; last: Orchestration }> {
  const api = ctx.api();
  const started = ctx.io.now();
  const live = ctx.io.stdoutIsTTY && !ctx.json;
  let lastLine = '';
  let frame = 0;
  for (;;) {
    const o = (await api.request('GET', `orchestrations/${encodeURIComponent(instanceId)}`)).body as Orchestration;
    const elapsed = ctx.io.now() - started;
    const line = progressLine(o, elapsed);
    const done = TERMINAL.has(o.runtimeStatus);
    if (live)
      ctx.io.out(
        `\r\u001b[2K${done ? (o.runtimeStatus === 'Completed' ? '✔' : '✖') : SPINNER[frame++ % SPINNER.length]} ${line}${done ? '\n' : ''}`,
      );
    else if (!ctx.json) {
      const key = `${o.runtimeStatus}|${JSON.stringify(o.customStatus)}`;
      if (key !== lastLine) ctx.io.out(`${line}\n`);
      lastLine = key;
    }
    if (done) return { code: o.runtimeStatus === 'Completed' ? EXIT.ok : EXIT.remediationFailed, last: o };
    if (elapsed > timeoutMs) {
      if (live) ctx.io.out('\n');
      ctx.io.err(
        `Still ${o.runtimeStatus} after ${Math.round(timeoutMs / 1000)}s; \`warden status ${instanceId}\` follows it again.\n`,
      );
      return { code: EXIT.remediationFailed, last: o };
    }
    await ctx.io.sleep(live ? 250 : 500);
  }
}

async function startAndFollow(ctx: Ctx, p: Parsed, kind: TargetKind, target: string): Promise<number> {
  const { path, body } = startRequest(kind, target);
  const correlationId = `cli-${randomUUID()}`;
  const res = await ctx.api().request('POST', path, { body, correlationId });
  const started = res.body as { instanceId: string; action: string; statusQueryGetUri: string };
  if (bool(p, 'no-wait')) {
    ctx.print(
      { ...started, correlationId },
      () =>
        `${kind === 'access' ? 'Reconcile' : 'Network enforcement'} ${started.action}: ${started.instanceId}\n` +
        `Follow it: warden status ${started.instanceId}\n`,
    );
    return EXIT.ok;
  }
  if (!ctx.json)
    ctx.io.out(`${kind === 'access' ? 'Reconcile' : 'Network enforcement'} ${started.action}: ${started.instanceId}\n`);
  const { code, last } = await follow(ctx, started.instanceId, durationOption(p, 'timeout') ?? 600_000);
  // What the run did, from the audit (the run's entries carry this request's correlation id).
  const entries = await ctx
    .api()
    .listAll<AuditEntryLike>('audit', { correlationId, limit: '200' })
    .catch(() => [] as AuditEntryLike[]);
  const done = entries.filter((e) => !/\.(insert|update|delete)$/.test(e.action));
  ctx.print({ ...started, correlationId, runtimeStatus: last.runtimeStatus, audit: done }, () =>
    done.length ? `${done.map((e) => auditLine(e, ctx.style)).join('\n')}\n` : '',
  );
  return code;
}

/** The dry-run plan of a target, as the API returns it. */
async function dryRun(ctx: Ctx, kind: TargetKind, target: string): Promise<PlanLike> {
  const { path, body } = startRequest(kind, target);
  const res = await ctx.api().request('POST', path, { query: { dryRun: 'true' }, body });
  return (res.body as { plan: PlanLike }).plan;
}

// ---- discovered routes: rotate, quarantine, release ----------------------------------------------------------

interface OpenApiOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: {
    content?: Record<string, { schema?: { required?: string[]; properties?: Record<string, unknown> } }>;
  };
  'x-warden-role'?: string;
}

/** The `POST /api/<collection>/{…}/<verb>` route of this deployment, from its OpenAPI document. */
export function findOperation(
  doc: unknown,
  collection: string,
  verb: string,
): { template: string; operation: OpenApiOperation } | undefined {
  const paths = (doc as { paths?: Record<string, Record<string, OpenApiOperation>> })?.paths ?? {};
  const pattern = new RegExp(`^/api/${collection}/\\{[A-Za-z0-9_]+\\}/${verb}$`);
  for (const [template, ops] of Object.entries(paths))
    if (pattern.test(template) && ops.post) return { template, operation: ops.post };
  return undefined;
}

function discoveredCommand(verb: string, collection: string, noun: string, summary: string): CommandSpec<Ctx> {
  return {
    words: [verb],
    args: `<${noun} id>`,
    positionals: [1, 1],
    summary,
    options: {
      'dry-run': { type: 'boolean', description: 'return the plan and change nothing (when the route offers it)' },
      data: { type: 'string', value: 'json', description: 'the request body as JSON (when the route takes one)' },
      set: { type: 'string', multiple: true, value: 'field=value', description: 'one body field (repeatable)' },
      ...FOLLOW_OPTIONS,
    },
    help: `This command calls POST /api/${collection}/{id}/${verb}. Whether this Warden deployment has that route is read
from GET /api/openapi.json; when it does not, the command says so and exits 7.`,
    run: async (ctx, p) => {
      const api = ctx.api();
      const doc = (await api.request('GET', 'openapi.json')).body;
      const found = findOperation(doc, collection, verb);
      if (!found)
        throw new CliError(
          `'warden ${verb}' is not available in this Warden deployment: its API (${api.baseUrl}) has no POST /api/${collection}/{id}/${verb} (per GET /api/openapi.json).`,
          EXIT.notAvailable,
        );
      const id = p.positionals[0]!;
      const param = /\{([A-Za-z0-9_]+)\}/.exec(found.template)![1]!;
      const apiPath = found.template.replace(/^\/api\//, '').replace(`{${param}}`, encodeURIComponent(id));
      const canDryRun = (found.operation.parameters ?? []).some((x) => x.in === 'query' && x.name === 'dryRun');
      if (bool(p, 'dry-run') && !canDryRun)
        throw new CliError(`This deployment's ${verb} route has no dry run.`, EXIT.notAvailable);
      let body: Record<string, unknown> | undefined;
      const data = str(p, 'data');
      if (data !== undefined) {
        try {
          body = JSON.parse(data) as Record<string, unknown>;
        } catch (e) {
          throw usageError(`--data is not valid JSON: ${(e as Error).message}`);
        }
      }
      const sets = pairs(strs(p, 'set'), 'set');
      if (sets.length) body = { ...(body ?? {}), ...Object.fromEntries(sets.map(([k, v]) => [k, fieldValue(v)])) };
      if (body === undefined && found.operation.requestBody) body = {};
      const res = await api.request('POST', apiPath, {
        ...(bool(p, 'dry-run') ? { query: { dryRun: 'true' } } : {}),
        ...(body !== undefined ? { body } : {}),
      });
      const answer = res.body as { instanceId?: string; plan?: PlanLike } | undefined;
      if (answer?.plan && typeof answer.plan === 'object') {
        const plan = answer.plan;
        ctx.print(answer, () =>
          plan.kind === 'access' || plan.kind === 'network'
            ? renderPlan(plan, ctx.style)
            : renderGenericPlan(plan as Record<string, unknown>),
        );
        return EXIT.ok;
      }
      if (answer?.instanceId && !bool(p, 'no-wait') && !bool(p, 'dry-run')) {
        if (!ctx.json) ctx.io.out(`${verb} started: ${answer.instanceId}\n`);
        const { code, last } = await follow(ctx, answer.instanceId, durationOption(p, 'timeout') ?? 600_000);
        if (ctx.json) ctx.print({ ...answer, runtimeStatus: last.runtimeStatus }, () => '');
        return code;
      }
      ctx.print(answer ?? { status: res.status }, () => asYaml(answer ?? { status: res.status }));
      return EXIT.ok;
    },
  };
}

export const ENFORCEMENT_COMMANDS: CommandSpec<Ctx>[] = [
  {
    words: ['plan'],
    args: '<scope|resource id>',
    positionals: [1, 1],
    summary: 'Dry run: what reconcile (a managed scope) or enforce (a resource) would change, as a diff',
    options: { ...KIND_OPTION },
    help: `Lines: + a role assignment to create, - one to delete, ~ a network setting from → to, ! a change refused
outright, · what the plan leaves alone and why. Steps in [awaits approval …] wait for a four-eyes decision.
Needs Warden.Operator. Nothing changes.`,
    run: async (ctx, p) => {
      const target = p.positionals[0]!;
      const plan = await dryRun(ctx, targetKind(target, str(p, 'kind')), target);
      ctx.print({ dryRun: true, plan }, () => renderPlan(plan, ctx.style));
      return EXIT.ok;
    },
  },
  {
    words: ['apply'],
    args: '<scope|resource id>',
    positionals: [1, 1],
    summary: 'Apply: start (or requeue) the reconcile or enforcement run and follow it until done',
    options: { ...KIND_OPTION, ...FOLLOW_OPTIONS },
    help: 'The same as `warden reconcile` for a managed scope and `warden enforce` for a resource. Needs Warden.Operator.',
    run: (ctx, p) => startAndFollow(ctx, p, targetKind(p.positionals[0]!, str(p, 'kind')), p.positionals[0]!),
  },
  {
    words: ['reconcile'],
    args: '<scope>',
    positionals: [1, 1],
    summary: "Reconcile a managed scope's role assignments with its access policies (follows the run)",
    options: { ...FOLLOW_OPTIONS },
    run: (ctx, p) => startAndFollow(ctx, p, 'access', p.positionals[0]!),
  },
  {
    words: ['enforce'],
    args: '<resource id>',
    positionals: [1, 1],
    summary: "Enforce a governed resource's network rule (follows the run)",
    options: { ...FOLLOW_OPTIONS },
    run: (ctx, p) => startAndFollow(ctx, p, 'network', p.positionals[0]!),
  },
  {
    words: ['status'],
    args: '[instance id]',
    positionals: [0, 1],
    summary: "Warden's status, or one run's: follows it until done (live line on a terminal)",
    options: {
      'no-follow': { type: 'boolean', description: 'show the run once, do not wait for it' },
      timeout: FOLLOW_OPTIONS.timeout,
    },
    run: async (ctx, p) => {
      const id = p.positionals[0];
      const api = ctx.api();
      if (!id) {
        const s = (await api.request('GET', 'status')).body as Record<string, unknown>;
        ctx.print(s, () =>
          keyValues(
            Object.entries(s).map(([k, v]) => [
              k,
              typeof v === 'object' && v !== null && !Array.isArray(v)
                ? Object.entries(v)
                    .map(([a, b]) => `${a}=${typeof b === 'object' ? JSON.stringify(b) : String(b)}`)
                    .join(', ')
                : v,
            ]),
          ),
        );
        return EXIT.ok;
      }
      if (bool(p, 'no-follow')) {
        const o = (await api.request('GET', `orchestrations/${encodeURIComponent(id)}`)).body as Orchestration;
        ctx.print(o, () => keyValues(Object.entries(o)));
        return TERMINAL.has(o.runtimeStatus) && o.runtimeStatus !== 'Completed' ? EXIT.remediationFailed : EXIT.ok;
      }
      const { code, last } = await follow(ctx, id, durationOption(p, 'timeout') ?? 600_000);
      if (ctx.json) ctx.print(last, () => '');
      return code;
    },
  },
  {
    words: ['orchestrations', 'list'],
    positionals: [0, 0],
    summary: 'Remediation runs, optionally by runtime status',
    options: {
      'runtime-status': {
        type: 'string',
        value: 'list',
        description: 'comma-separated (Running,Pending,Completed,Failed,…)',
      },
    },
    run: async (ctx, p) => {
      const rs = str(p, 'runtime-status');
      const items = await ctx
        .api()
        .listAll<Orchestration>('orchestrations', { ...(rs ? { runtimeStatus: rs } : {}), limit: '200' });
      ctx.print({ items }, () =>
        table(items as unknown as Record<string, unknown>[], [
          'instanceId',
          'name',
          'runtimeStatus',
          'createdTime',
          'lastUpdatedTime',
        ]),
      );
      return EXIT.ok;
    },
  },
  discoveredCommand('rotate', 'secrets', 'secret', 'Rotate a secret now (when this deployment has secret rotation)'),
  discoveredCommand(
    'quarantine',
    'models',
    'model',
    'Quarantine a model version (when this deployment has model quarantine)',
  ),
  discoveredCommand(
    'release',
    'models',
    'model',
    'Release a quarantined model (when this deployment has model quarantine)',
  ),
];
