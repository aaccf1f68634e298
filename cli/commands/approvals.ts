// warden approvals list/get/approve/reject — the four-eyes decisions over the API.
import { bool, type CommandSpec, durationOption, str } from '../args';
import type { Ctx } from '../context';
import { CliError, errorFromResponse, EXIT, usageError } from '../errors';
import { asYaml, type PlanLike, renderPlan, table } from '../render';
import { follow } from './enforcement';

interface Approval {
  id: string;
  kind: string;
  target: string;
  plan: Record<string, unknown>;
  requested_by: string;
  requested_at: string;
  decided_by: string | null;
  decision: string | null;
  decided_at: string | null;
  comment: string | null;
  version: number;
}

const STATES = ['pending', 'approved', 'rejected', 'all'];

/** An approval for people: its facts, then its plan as a diff when it is one, else as YAML. */
export function renderApproval(a: Approval, ctx: Ctx): string {
  const { plan, ...facts } = a;
  const head = asYaml(facts);
  const kind = (plan as PlanLike).kind;
  return `${head}plan:\n${kind === 'access' || kind === 'network' ? renderPlan(plan, ctx.style) : asYaml(plan).replace(/^(?=.)/gm, '  ')}`;
}

function decide(verb: 'approve' | 'reject'): CommandSpec<Ctx> {
  return {
    words: ['approvals', verb],
    args: '<approval id>',
    positionals: [1, 1],
    summary:
      verb === 'approve'
        ? 'Approve a pending request (not your own: four eyes); an approved plan starts its remediation'
        : 'Reject a pending request (not your own: four eyes)',
    options: {
      comment: { type: 'string', short: 'm', value: 'text', description: 'why (recorded with the decision)' },
      ...(verb === 'approve'
        ? {
            wait: {
              type: 'boolean' as const,
              description: 'follow the remediation the approval starts until it is done',
            },
          }
        : {}),
      timeout: {
        type: 'string',
        value: 'duration',
        description: 'with --wait: stop following after this long (default 10m)',
      },
    },
    run: async (ctx, p) => {
      const id = p.positionals[0]!;
      const comment = str(p, 'comment');
      const res = await ctx.api().request('POST', `approvals/${encodeURIComponent(id)}/${verb}`, {
        body: comment ? { comment } : {},
        accept: [403, 409],
      });
      if (res.status === 403 || res.status === 409) {
        const prob = res.body as { code?: string; detail?: string };
        if (res.status === 403 && prob.code === 'FOUR_EYES')
          throw new CliError(
            `You cannot decide approval ${id}: you asked for it, and four eyes means another operator decides (${prob.detail ?? ''}).`,
            EXIT.refused,
          );
        if (res.status === 409)
          throw new CliError(`Approval ${id} cannot be decided: ${prob.detail ?? 'conflict'}`, EXIT.conflict);
        // Any other 403 (a missing role) is explained like every 403.
        const s = ctx.session();
        throw errorFromResponse(`POST /api/approvals/${id}/${verb}`, res.status, res.body, {
          who: `${s.principal.name} (${s.principal.id})`,
        });
      }
      const out = res.body as {
        approval: Approval;
        remediation?: { started: boolean; instanceId?: string; reason?: string };
      };
      const r = out.remediation;
      ctx.print(out, () => {
        const lines = [
          `${verb === 'approve' ? 'Approved' : 'Rejected'} ${id} (${out.approval.kind} ${out.approval.target}), requested by ${out.approval.requested_by}.`,
        ];
        if (r?.started && r.instanceId)
          lines.push(`Remediation started: ${r.instanceId} — follow it: warden status ${r.instanceId}`);
        else if (r && !r.started && r.reason) lines.push(`No remediation started: ${r.reason}`);
        return `${lines.join('\n')}\n`;
      });
      if (verb === 'approve' && bool(p, 'wait') && r?.started && r.instanceId)
        return (await follow(ctx, r.instanceId, durationOption(p, 'timeout') ?? 600_000)).code;
      return EXIT.ok;
    },
  };
}

export const APPROVAL_COMMANDS: CommandSpec<Ctx>[] = [
  {
    words: ['approvals', 'list'],
    positionals: [0, 0],
    summary: 'Approval requests (default: pending)',
    options: {
      state: { type: 'string', value: 'state', description: `one of ${STATES.join(', ')} (default pending)` },
      kind: { type: 'string', value: 'kind', description: 'access, network, secret, model or alert' },
      target: { type: 'string', value: 'target', description: 'only requests for this target' },
    },
    run: async (ctx, p) => {
      const state = str(p, 'state') ?? 'pending';
      if (!STATES.includes(state)) throw usageError(`--state must be one of ${STATES.join(', ')}, got '${state}'`);
      const items = await ctx.api().listAll<Approval>('approvals', {
        ...(state === 'all' ? {} : { state }),
        kind: str(p, 'kind'),
        target: str(p, 'target'),
        limit: '200',
      });
      ctx.print({ items }, () =>
        table(items as unknown as Record<string, unknown>[], [
          'id',
          'kind',
          'target',
          'requested_by',
          'requested_at',
          'decision',
          'decided_by',
        ]),
      );
      return EXIT.ok;
    },
  },
  {
    words: ['approvals', 'get'],
    args: '<approval id>',
    positionals: [1, 1],
    summary: 'One approval request with its plan',
    options: {},
    run: async (ctx, p) => {
      const a = (await ctx.api().request('GET', `approvals/${encodeURIComponent(p.positionals[0]!)}`)).body as Approval;
      ctx.print(a, () => renderApproval(a, ctx));
      return EXIT.ok;
    },
  },
  decide('approve'),
  decide('reject'),
];
