// warden poison list/get — what Warden refused (invalid commands, events, alert calls), over the API.
import { type CommandSpec, durationOption, intOption, type Parsed, str } from '../args';
import type { Ctx } from '../context';
import { EXIT, usageError } from '../errors';
import { keyValues, table } from '../render';

/** A poison message as `GET /api/poison-messages` returns it. */
export interface PoisonMessageLike {
  readonly id: number;
  readonly source: string;
  readonly message_id: string | null;
  readonly reason: string;
  readonly body: string | null;
  readonly received_at: string;
}

interface PoisonPage {
  readonly items: PoisonMessageLike[];
  readonly continuationToken?: string;
}

/** `--since`: an ISO time as is, or a duration (`30m`, `2h`, `7d`) back from now. */
export function sinceValue(p: Parsed, now: number): string | undefined {
  const v = str(p, 'since');
  if (v === undefined) return undefined;
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d)?$/.test(v)) return new Date(now - (durationOption(p, 'since') ?? 0)).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(Date.parse(v)))
    throw usageError(`--since must be an ISO time (2026-11-25T10:00:00Z) or a duration like 30m, 2h or 7d, got '${v}'`);
  return v;
}

/** The body for people: pretty JSON when it is JSON, else as received. */
function bodyText(body: string | null): string {
  if (body === null) return '(none)';
  try {
    return JSON.stringify(JSON.parse(body) as unknown, null, 2);
  } catch {
    return body;
  }
}

export const POISON_COMMANDS: CommandSpec<Ctx>[] = [
  {
    words: ['poison', 'list'],
    positionals: [0, 0],
    summary: 'Messages, events and alert calls Warden refused, with the reasons, newest first',
    options: {
      source: {
        type: 'string',
        value: 'source',
        description: 'only this source (servicebus:warden-commands, eventgrid:arm, eventgrid:keyvault, …)',
      },
      since: {
        type: 'string',
        value: 'iso time|duration',
        description: 'only those recorded since (2h, 7d, an ISO time)',
      },
      top: { type: 'string', value: 'n', description: 'at most this many (1–500, default 100)' },
      'continuation-token': {
        type: 'string',
        value: 'token',
        description: 'the next (older) page, from a previous --json answer (same filters)',
      },
    },
    help: `With --json: the API's page, { "items": [...], "continuationToken"? } — pass the token back with
--continuation-token (and the same filters) for the older ones. Needs Warden.Reader.`,
    run: async (ctx, p) => {
      const top = intOption(p, 'top', 1, 500);
      const page = (
        await ctx.api().request('GET', 'poison-messages', {
          query: {
            source: str(p, 'source'),
            since: sinceValue(p, ctx.io.now()),
            top: top === undefined ? undefined : String(top),
            continuationToken: str(p, 'continuation-token'),
          },
        })
      ).body as PoisonPage;
      ctx.print(page, () => {
        const text = table(page.items as unknown as Record<string, unknown>[], [
          'id',
          'received_at',
          'source',
          'message_id',
          'reason',
        ]);
        return page.continuationToken
          ? `${text}More (older) ones: add --continuation-token ${page.continuationToken}\n`
          : text;
      });
      return EXIT.ok;
    },
  },
  {
    words: ['poison', 'get'],
    args: '<id>',
    positionals: [1, 1],
    summary: 'One refused message: source, reason and the body as received (credential-looking values redacted)',
    options: {},
    help: 'Needs Warden.Reader. An unknown id exits 4.',
    run: async (ctx, p) => {
      const id = p.positionals[0]!;
      if (!/^[1-9]\d{0,14}$/.test(id))
        throw usageError(`<id> must be a poison message id (a whole number), got '${id}'`);
      const m = (await ctx.api().request('GET', `poison-messages/${id}`)).body as PoisonMessageLike;
      ctx.print(
        m,
        () =>
          `${keyValues([
            ['id', m.id],
            ['received_at', m.received_at],
            ['source', m.source],
            ['message_id', m.message_id],
            ['reason', m.reason],
          ])}body:\n${bodyText(m.body)}\n`,
      );
      return EXIT.ok;
    },
  },
];
