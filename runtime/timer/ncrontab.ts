import { Cron } from 'croner';

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const FIELD_NAMES = ['second', 'minute', 'hour', 'day', 'month', 'day-of-week'] as const;

/** A parsed NCRONTAB schedule: the next occurrence strictly after a point in time, in a time zone. */
export interface NcrontabSchedule {
  /** The expression as written (after %SETTING% resolution). */
  readonly expression: string;
  /** The IANA time zone occurrences are computed in (`UTC` unless WEBSITE_TIME_ZONE says otherwise). */
  readonly timeZone: string;
  /** The first occurrence strictly after `afterMs` (ms since the epoch), or undefined when there is none. */
  next(afterMs: number): number | undefined;
}

/**
 * Parses a six-field NCRONTAB expression (`{second} {minute} {hour} {day} {month} {day-of-week}`) the way the
 * Functions host's NCrontab does, on top of croner.
 *
 * @remarks
 * Faithfulness to NCrontab (../shared/reference/functions-host-contract.md §4): day-of-month and day-of-week are
 * ANDed (`0 0 0 13 * Fri` is only Friday the 13th); month and weekday names are English, case-insensitive, and
 * any prefix of at least three letters of the full name (`Mon`, `Monday`, `Jan`, `January`) — they are turned
 * into numbers here, because croner knows neither full names nor NCrontab's prefixes; `a/n` means a to the
 * maximum in steps of n; Sunday is 0 and `7` is invalid; `?`, `L`, `W`, `#` and `@` macros do not exist; the
 * `hh:mm:ss` TimeSpan form is App Service only and refused (Flex Consumption rejects it too).
 *
 * @throws Error naming the expression and what is wrong with it.
 */
export function parseNcrontab(expression: string, zone = 'UTC'): NcrontabSchedule {
  const timeZone = resolveTimeZone(zone);
  const fail = (why: string): never => {
    throw new Error(`Invalid NCRONTAB schedule "${expression}": ${why}`);
  };
  const text = expression.trim();
  if (/^\d+(\.\d+)?:\d{1,2}(:\d{1,2})?$/.test(text)) {
    fail('the TimeSpan form (hh:mm:ss) is supported only on App Service plans; use six NCRONTAB fields.');
  }
  if (text.startsWith('@')) fail('macros such as @hourly do not exist in NCRONTAB.');
  const fields = text.split(/\s+/);
  if (fields.length !== 6) {
    fail(`expected six fields ({second} {minute} {hour} {day} {month} {day-of-week}), got ${fields.length}.`);
  }
  const normalized = fields.map((field, i) => {
    let value = field;
    if (i === 4) value = replaceNames(value, MONTHS, 1, fail);
    if (i === 5) value = replaceNames(value, DAYS, 0, fail);
    if (!/^[\d*,/-]+$/.test(value)) {
      fail(`the ${FIELD_NAMES[i]} field "${field}" uses characters NCRONTAB does not know (no ?, L, W or #).`);
    }
    if (i === 5 && value.split(',').some((part) => (part.split('/')[0] ?? '').split('-').some((v) => Number(v) > 6))) {
      fail('day-of-week values are 0-6 with Sunday = 0 (7 is invalid).');
    }
    return value;
  });
  if (!isValidTimeZone(timeZone)) {
    fail(
      `the time zone "${zone}" (WEBSITE_TIME_ZONE) is neither an IANA time zone name known to this Node nor a common Windows zone id.`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(normalized.join(' '), { timezone: timeZone, domAndDow: true, mode: '6-part', sloppyRanges: true });
    cron.nextRun(new Date(0));
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  return {
    expression: text,
    timeZone,
    next(afterMs: number): number | undefined {
      return cron.nextRun(new Date(afterMs))?.getTime();
    },
  };
}

/**
 * Windows time zone ids (what WEBSITE_TIME_ZONE holds on Windows plans) for the zones most used, mapped to IANA names
 * (what Linux plans and Node use). Anything else must be an IANA name.
 */
const WINDOWS_ZONES: Record<string, string> = {
  utc: 'UTC',
  'gmt standard time': 'Europe/London',
  'w. europe standard time': 'Europe/Berlin',
  'romance standard time': 'Europe/Paris',
  'central europe standard time': 'Europe/Budapest',
  'e. europe standard time': 'Europe/Chisinau',
  'fle standard time': 'Europe/Kiev',
  'eastern standard time': 'America/New_York',
  'central standard time': 'America/Chicago',
  'mountain standard time': 'America/Denver',
  'pacific standard time': 'America/Los_Angeles',
  'india standard time': 'Asia/Kolkata',
  'china standard time': 'Asia/Shanghai',
  'tokyo standard time': 'Asia/Tokyo',
  'aus eastern standard time': 'Australia/Sydney',
};

/** The IANA zone for a WEBSITE_TIME_ZONE value (an IANA name, or one of the common Windows ids). */
export function resolveTimeZone(zone: string): string {
  return WINDOWS_ZONES[zone.trim().toLowerCase()] ?? zone.trim();
}

/** Whether `zone` is a time zone name Intl accepts. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function replaceNames(field: string, names: string[], base: number, fail: (why: string) => never): string {
  return field.replace(/[a-z]+/gi, (word) => {
    const lower = word.toLowerCase();
    const index = lower.length >= 3 ? names.findIndex((n) => n.startsWith(lower)) : -1;
    if (index < 0) fail(`"${word}" is not a ${base === 1 ? 'month' : 'day'} name.`);
    return String(index + base);
  });
}

/**
 * Formats `ms` the way the host serialises a DateTime with its offset in `timeZone`, e.g.
 * `2024-01-01T09:30:00+01:00` (`+00:00` in UTC). Milliseconds are kept when not zero.
 */
export function formatWithOffset(ms: number, timeZone: string): string {
  const offsetMin = zoneOffsetMinutes(ms, timeZone);
  const local = new Date(ms + offsetMin * 60_000)
    .toISOString()
    .replace('Z', '')
    .replace(/\.000$/, '');
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function zoneOffsetMinutes(ms: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
