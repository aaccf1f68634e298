import type { RuntimeLogger } from '../host/runtime-services';

export type RuntimeLogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<RuntimeLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are never printed (keys, tokens, connection strings, request bodies and headers). */
const SECRET_FIELD = /(key|secret|password|pwd|token|authorization|cookie|connection|credential|sas|body|headers?)$/i;

/** A writable sink (process.stdout by default); `isTTY` chooses readable lines over JSON lines. */
export interface LogSink {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface LoggerOptions {
  sink?: LogSink;
  /** Force one JSON object per line (true) or readable lines (false); defaults to `!sink.isTTY`. */
  json?: boolean;
  /** Entries below this level are dropped; `WARDEN_LOG_LEVEL` by default, else `info`. */
  level?: RuntimeLogLevel;
  /** Fields added to every entry. */
  base?: Record<string, unknown>;
  /** Called after an entry is written (tests, log hooks). */
  onEntry?: (entry: LogEntry) => void;
}

export interface LogEntry {
  time: string;
  level: RuntimeLogLevel;
  event: string;
  [field: string]: unknown;
}

/**
 * Replaces the value of any field whose name marks it as a secret (a key, token, connection string, body or headers)
 * by `"[redacted]"`, recursively, so a careless caller cannot print one.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) && v !== undefined && typeof v !== 'boolean' ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

/**
 * The runtime's structured logger: one JSON line per entry when the sink is not a terminal (so logs can be
 * collected and parsed), `HH:MM:SS.mmm LEVEL event key=value …` on a terminal.
 *
 * @remarks
 * Field values pass through {@link redact}: fields named like secrets never reach the output. Invocation logs carry
 * `invocationId` and `functionName` fields.
 */
export function createLogger(
  options: LoggerOptions = {},
): RuntimeLogger & { child(base: Record<string, unknown>): RuntimeLogger } {
  const sink = options.sink ?? process.stdout;
  const json = options.json ?? !sink.isTTY;
  const envLevel = process.env.WARDEN_LOG_LEVEL as RuntimeLogLevel | undefined;
  const min = LEVEL_RANK[options.level ?? (envLevel && envLevel in LEVEL_RANK ? envLevel : 'info')];
  const make = (
    base: Record<string, unknown>,
  ): RuntimeLogger & { child(b: Record<string, unknown>): RuntimeLogger } => {
    const write = (level: RuntimeLogLevel, event: string, fields?: Record<string, unknown>): void => {
      if (LEVEL_RANK[level] < min) return;
      const entry: LogEntry = {
        time: new Date().toISOString(),
        level,
        event,
        ...(redact({ ...base, ...fields }) as Record<string, unknown>),
      };
      try {
        sink.write(json ? `${safeStringify(entry)}\n` : `${readable(entry)}\n`);
      } catch {
        // a closed stdout must not take the runtime down
      }
      options.onEntry?.(entry);
    };
    return {
      debug: (e, f) => write('debug', e, f),
      info: (e, f) => write('info', e, f),
      warn: (e, f) => write('warn', e, f),
      error: (e, f) => write('error', e, f),
      child: (b) => make({ ...base, ...b }),
    };
  };
  return make(options.base ?? {});
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return JSON.stringify({ event: 'log.unserializable' });
  }
}

function readable(entry: LogEntry): string {
  const { time, level, event, message, ...rest } = entry;
  const parts = [time.slice(11, 23), level.toUpperCase().padEnd(5), event];
  if (typeof message === 'string') parts.push(message);
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    parts.push(`${k}=${typeof v === 'string' ? v : safeStringify(v)}`);
  }
  return parts.join(' ');
}
