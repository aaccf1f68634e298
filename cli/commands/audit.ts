// warden audit tail/verify/export, events tail — the audit log over the API.
import { bool, type CommandSpec, durationOption, intOption, type Parsed, str } from '../args';
import type { Ctx } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import { type AuditEntryLike, auditLine } from '../render';

/**
 * Whether an audit entry is an "event" — something Warden did or decided (plans, steps, outcomes, approvals,
 * notifications, triggers) — rather than a metadata row write or a refused API call.
 */
export function isEvent(e: Pick<AuditEntryLike, 'action'>): boolean {
  return !/\.(insert|update|delete)$/.test(e.action) && e.action !== 'api.rejected';
}

interface TailOptions {
  readonly query: Record<string, string | undefined>;
  readonly lines: number;
  readonly follow: boolean;
  readonly sinceMs: number | undefined;
  readonly filter: (e: AuditEntryLike) => boolean;
}

const TAIL_OPTIONS = {
  lines: {
    type: 'string',
    short: 'n',
    value: 'n',
    description: 'how many of the latest entries to show first (default 20)',
  },
  follow: { type: 'boolean', short: 'F', description: 'keep printing new entries as they are written (Ctrl-C stops)' },
  since: {
    type: 'string',
    value: 'duration|all',
    description: 'look this far back for the first entries (default 24h)',
  },
} as const;

function sinceOf(p: Parsed): number | undefined {
  if (str(p, 'since') === 'all') return undefined;
  return durationOption(p, 'since') ?? 86_400_000;
}

/**
 * Prints the latest `lines` entries matching the query, then (with follow) polls for newer ones: the API lists the
 * audit in seq order with an inclusive `from` time, so each poll asks from the last entry's time and drops what
 * was already shown (by seq).
 */
async function tail(ctx: Ctx, o: TailOptions): Promise<number> {
  const api = ctx.api();
  const from = o.sinceMs === undefined ? undefined : new Date(ctx.io.now() - o.sinceMs).toISOString();
  const all = (await api.listAll<AuditEntryLike>('audit', { ...o.query, from, limit: '200' }, 1_000_000)).filter(
    o.filter,
  );
  const first = all.slice(-o.lines);
  let lastSeq = all.length ? all[all.length - 1]!.seq : 0;
  let lastAt = all.length ? all[all.length - 1]!.at : from;
  const emit = (e: AuditEntryLike) => ctx.io.out(ctx.json ? `${JSON.stringify(e)}\n` : `${auditLine(e, ctx.style)}\n`);
  if (ctx.json && !o.follow) ctx.io.out(`${JSON.stringify(first, null, 2)}\n`);
  else first.forEach(emit);
  if (!o.follow) return EXIT.ok;
  for (;;) {
    await ctx.io.sleep(1000);
    const fresh = (
      await api.listAll<AuditEntryLike>('audit', { ...o.query, from: lastAt, limit: '200' }, 1_000_000)
    ).filter((e) => e.seq > lastSeq);
    for (const e of fresh) {
      lastSeq = Math.max(lastSeq, e.seq);
      lastAt = e.at;
      if (o.filter(e)) emit(e);
    }
  }
}

export const AUDIT_COMMANDS: CommandSpec<Ctx>[] = [
  {
    words: ['audit', 'tail'],
    positionals: [0, 0],
    summary: 'The latest audit entries (who did what to which target, and why); --follow for new ones',
    options: {
      ...TAIL_OPTIONS,
      target: { type: 'string', value: 'target', description: 'only this target (a row as table/id, an ARM id)' },
      action: { type: 'string', value: 'action', description: 'only this action (access.step.applied, …)' },
      actor: {
        type: 'string',
        value: 'actor',
        description: 'only this actor (an object id matches every name it carries)',
      },
      'correlation-id': { type: 'string', value: 'id', description: 'only this request’s entries' },
    },
    help: 'With --json: a JSON array of the entries, or with --follow one JSON object per line (NDJSON). Needs Warden.Reader.',
    run: (ctx, p) =>
      tail(ctx, {
        query: {
          target: str(p, 'target'),
          action: str(p, 'action'),
          actor: str(p, 'actor'),
          correlationId: str(p, 'correlation-id'),
        },
        lines: intOption(p, 'lines', 1, 100_000) ?? 20,
        follow: bool(p, 'follow'),
        sinceMs: sinceOf(p),
        filter: () => true,
      }),
  },
  {
    words: ['events', 'tail'],
    positionals: [0, 0],
    summary: 'What Warden did and decided (plans, steps, outcomes, approvals), from the audit log; --follow',
    options: {
      ...TAIL_OPTIONS,
      type: {
        type: 'string',
        value: 'prefix',
        description: 'only actions starting with this (access., network., approval, …)',
      },
    },
    help: `Warden's notifications (CloudEvents) go to an Event Grid topic that the API does not read back, so there is no
event feed to tail over the API. Every notification has an audit entry, though: this command tails the audit log
without the metadata row writes and refused API calls — Warden's own actions and decisions. Needs Warden.Reader.`,
    run: (ctx, p) => {
      const prefix = str(p, 'type');
      return tail(ctx, {
        query: {},
        lines: intOption(p, 'lines', 1, 100_000) ?? 20,
        follow: bool(p, 'follow'),
        sinceMs: sinceOf(p),
        filter: (e) => isEvent(e) && (prefix === undefined || e.action.startsWith(prefix)),
      });
    },
  },
  {
    words: ['audit', 'verify'],
    positionals: [0, 0],
    summary: 'Walk the audit hash chain; exit 9 naming the first entry that does not hold (Warden.Auditor)',
    options: {},
    run: async (ctx) => {
      const v = (await ctx.api().request('GET', 'audit/verify')).body as
        | { ok: true; entries: number; headSeq: number; headHash: string }
        | { ok: false; entries: number; firstBadSeq: number; problem: string };
      ctx.print(v, () =>
        v.ok
          ? `The audit chain holds: ${v.entries} entries, head #${v.headSeq} ${v.headHash}.\n`
          : `The audit chain is BROKEN at entry #${v.firstBadSeq}: ${v.problem} (${v.entries} entries checked).\n`,
      );
      return v.ok ? EXIT.ok : EXIT.auditBroken;
    },
  },
  {
    words: ['audit', 'export'],
    positionals: [0, 0],
    summary: 'Every audit entry with its hashes as NDJSON on stdout (Warden.Auditor)',
    options: {
      target: { type: 'string', value: 'target', description: 'only this target' },
      action: { type: 'string', value: 'action', description: 'only this action' },
      from: { type: 'string', value: 'iso time', description: 'from this time (inclusive)' },
      to: { type: 'string', value: 'iso time', description: 'up to this time (inclusive)' },
    },
    run: async (ctx, p) => {
      for (const t of ['from', 'to'])
        if (str(p, t) !== undefined && Number.isNaN(Date.parse(str(p, t)!)))
          throw usageError(`--${t} must be an ISO time, got '${str(p, t)}'`);
      const res = await ctx.api().request('GET', 'audit/export', {
        query: { target: str(p, 'target'), action: str(p, 'action'), from: str(p, 'from'), to: str(p, 'to') },
      });
      const text =
        typeof res.body === 'string' ? res.body : res.body === undefined ? '' : `${JSON.stringify(res.body)}\n`;
      if (typeof text !== 'string') throw new CliError('The export was not NDJSON.', EXIT.failure);
      ctx.io.out(text);
      return EXIT.ok;
    },
  },
];
