/**
 * Command-line parsing with node:util parseArgs: the command is found from the leading words, then its options are
 * parsed strictly (an unknown flag, a missing value or a wrong number of arguments is a usage error, exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { usageError } from './errors';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** `<value>` name in help. */
  readonly value?: string;
  readonly description: string;
}

export type Options = Readonly<Record<string, OptionSpec>>;

export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Parsed {
  readonly values: ParsedValues;
  readonly positionals: readonly string[];
}

export interface CommandSpec<C> {
  /** The words that name the command (`['policies', 'list']`). */
  readonly words: readonly string[];
  /** The positional arguments as shown in help (`<id>`). */
  readonly args?: string;
  readonly positionals: readonly [min: number, max: number];
  readonly summary: string;
  readonly options: Options;
  /** More help text (examples, notes). */
  readonly help?: string;
  run(ctx: C, parsed: Parsed): Promise<number>;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Options = {
  json: { type: 'boolean', description: 'machine-readable JSON on stdout (for scripts)' },
  profile: {
    type: 'string',
    value: 'name',
    description: 'the session to use (default: $WARDEN_PROFILE or "default")',
  },
  'no-color': { type: 'boolean', description: 'no ANSI colours (also $NO_COLOR)' },
  help: { type: 'boolean', short: 'h', description: 'this command’s help' },
};

export type Resolution<C> =
  | { kind: 'help'; command?: CommandSpec<C> | undefined; topic?: string | undefined }
  | { kind: 'version' }
  | { kind: 'command'; command: CommandSpec<C>; parsed: Parsed };

function union<C>(commands: readonly CommandSpec<C>[]): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  const all: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const spec of [GLOBAL_OPTIONS, ...commands.map((c) => c.options)])
    for (const [name, o] of Object.entries(spec)) {
      const prior = all[name];
      if (prior && prior.type !== o.type) throw new Error(`BUG: option --${name} is both ${prior.type} and ${o.type}`);
      all[name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
    }
  return all;
}

function suggestion(word: string, candidates: readonly string[]): string {
  const close = candidates.filter(
    (c) => c.startsWith(word.slice(0, 3)) || (word.length > 3 && c.includes(word.slice(0, Math.min(word.length, 5)))),
  );
  return close.length ? ` Did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : '';
}

/** Finds the command named by the leading words of `argv` and parses its options strictly. */
export function resolveCommand<C>(argv: readonly string[], commands: readonly CommandSpec<C>[]): Resolution<C> {
  const loose = parseArgs({
    args: [...argv],
    options: union(commands),
    strict: false,
    allowPositionals: true,
  });
  const words = loose.positionals;
  if (words[0] === 'help') {
    const topic = words.slice(1);
    const command = topic.length ? findCommand(topic, commands) : undefined;
    return { kind: 'help', command, topic: topic.join(' ') || undefined };
  }
  if (words.length === 0) {
    if (loose.values.version === true || argv.includes('--version')) return { kind: 'version' };
    if (loose.values.help === true || argv.length === 0) return { kind: 'help' };
    throw usageError(`Missing a command. Run \`warden --help\` for the list.`);
  }
  const command = findCommand(words, commands);
  if (!command) {
    const groups = [...new Set(commands.map((c) => c.words[0]!))];
    const first = words[0]!;
    if (groups.includes(first)) {
      const subs = commands.filter((c) => c.words[0] === first && c.words.length > 1).map((c) => c.words[1]!);
      if (loose.values.help === true) return { kind: 'help', topic: first };
      throw usageError(
        words.length > 1
          ? `Unknown command 'warden ${first} ${words[1]}'.${suggestion(words[1]!, subs)} Its commands: ${subs.join(', ')}.`
          : `'warden ${first}' needs one of: ${subs.join(', ')}.`,
      );
    }
    throw usageError(`Unknown command '${first}'.${suggestion(first, groups)} Run \`warden --help\` for the list.`);
  }
  if (loose.values.help === true) return { kind: 'help', command };
  let strict: { values: ParsedValues; positionals: string[] };
  try {
    strict = parseArgs({
      args: [...argv],
      options: parseArgsOptions({ ...GLOBAL_OPTIONS, ...command.options }),
      strict: true,
      allowPositionals: true,
    }) as { values: ParsedValues; positionals: string[] };
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/\. To specify.*$/, '.');
    throw usageError(`${message} See \`warden ${command.words.join(' ')} --help\`.`);
  }
  const positionals = strict.positionals.slice(command.words.length);
  const [min, max] = command.positionals;
  const name = `warden ${command.words.join(' ')}${command.args ? ` ${command.args}` : ''}`;
  if (positionals.length < min) throw usageError(`Missing an argument: ${name}`);
  if (positionals.length > max)
    throw usageError(
      `Too many arguments (${positionals
        .slice(max)
        .map((p) => `'${p}'`)
        .join(', ')}): ${name}`,
    );
  return { kind: 'command', command, parsed: { values: strict.values, positionals } };
}

function parseArgsOptions(options: Options): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries(options))
    out[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  return out;
}

function findCommand<C>(words: readonly string[], commands: readonly CommandSpec<C>[]): CommandSpec<C> | undefined {
  let best: CommandSpec<C> | undefined;
  for (const c of commands)
    if (c.words.every((w, i) => words[i] === w) && (!best || c.words.length > best.words.length)) best = c;
  return best;
}

function optionLines(options: Options): string[] {
  const rows = Object.entries(options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}${o.multiple ? ' …' : ''}`,
    o.description,
  ]);
  const width = Math.max(0, ...rows.map((r) => r[0]!.length));
  return rows.map(([a, b]) => `  ${a!.padEnd(width)}  ${b}`);
}

/** Help for one command. */
export function commandHelp<C>(c: CommandSpec<C>): string {
  const lines = [`Usage: warden ${c.words.join(' ')}${c.args ? ` ${c.args}` : ''} [options]`, '', c.summary];
  if (Object.keys(c.options).length) lines.push('', 'Options:', ...optionLines(c.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (c.help) lines.push('', c.help.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** The list of commands (optionally of one group). */
export function overviewHelp<C>(commands: readonly CommandSpec<C>[], topic?: string): string {
  const shown = topic ? commands.filter((c) => c.words[0] === topic) : commands;
  const rows = shown.map((c) => [`${c.words.join(' ')}${c.args ? ` ${c.args}` : ''}`, c.summary]);
  const width = Math.max(0, ...rows.map((r) => r[0]!.length));
  return `${[
    'Usage: warden <command> [options]      (warden <command> --help for its options)',
    '',
    'Commands:',
    ...rows.map(([a, b]) => `  ${a!.padEnd(width)}  ${b}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 authentication or missing role, 4 not found,',
    '5 conflict (changed since read), 6 refused by a guardrail, 7 not available in this deployment,',
    '8 remediation failed or timed out, 9 audit chain broken, 10 cannot reach Warden. Details: docs/cli.md.',
  ].join('\n')}\n`;
}

/** A string option's value (undefined when absent). */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option's values. */
export function strs(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** `key=value` pairs (`--where`, `--set`), each checked. */
export function pairs(values: readonly string[], flag: string): [string, string][] {
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw usageError(`--${flag} takes key=value, got '${v}'`);
    return [v.slice(0, i), v.slice(i + 1)];
  });
}

/** A whole number option within bounds. */
export function intOption(p: Parsed, name: string, min: number, max: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw usageError(`--${name} must be a whole number from ${min} to ${max}, got '${v}'`);
  return Number(v);
}

/** A duration option (`30s`, `15m`, `2h`, `7d`, or plain seconds) in milliseconds. */
export function durationOption(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v);
  if (!m) throw usageError(`--${name} must be a duration like 30s, 15m, 2h or 7d, got '${v}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms'];
  return Number(m[1]) * unit;
}
