/**
 * The few OData `$filter` forms Microsoft.Authorization accepts on the lists the emulator serves. Anything else is
 * refused (the caller learns which form is unsupported) rather than silently ignored.
 */

/** Role assignment (and schedule instance) list filter. */
export interface AssignmentFilter {
  /** `atScope()`: at or above the scope only (inherited ones included, none below). */
  atScope: boolean;
  /** `principalId eq '{id}'` */
  principalId?: string;
  /** `assignedTo('{id}')`: the principal's assignments (groups: only direct, the emulator models no membership). */
  assignedTo?: string;
  /** `asTarget()` (schedule instances): the caller's own. */
  asTarget: boolean;
}

export type FilterResult<T> = { ok: true; filter: T } | { ok: false; reason: string };

const GUIDISH = "'([^']*)'";

/**
 * Parses `atScope()`, `principalId eq '…'`, `assignedTo('…')`, `asTarget()` and their `and` combinations.
 * `allowAsTarget` enables the schedule-instance form.
 */
export function parseAssignmentFilter(raw: string | undefined, allowAsTarget = false): FilterResult<AssignmentFilter> {
  const filter: AssignmentFilter = { atScope: false, asTarget: false };
  if (raw === undefined || raw.trim() === '') return { ok: true, filter };
  const terms = raw.trim().split(/\s+and\s+/i);
  for (const term of terms) {
    const t = term.trim();
    let m: RegExpMatchArray | null;
    if (/^atScope\(\s*\)$/i.test(t)) {
      if (filter.atScope) return bad(raw);
      filter.atScope = true;
    } else if (allowAsTarget && /^asTarget\(\s*\)$/i.test(t)) {
      filter.asTarget = true;
    } else if ((m = t.match(new RegExp(`^principalId\\s+eq\\s+${GUIDISH}$`, 'i')))) {
      if (filter.principalId !== undefined) return bad(raw);
      filter.principalId = m[1];
    } else if ((m = t.match(new RegExp(`^assignedTo\\(\\s*${GUIDISH}\\s*\\)$`, 'i')))) {
      if (filter.assignedTo !== undefined) return bad(raw);
      filter.assignedTo = m[1];
    } else {
      return bad(raw);
    }
  }
  if (filter.principalId !== undefined && filter.assignedTo !== undefined) return bad(raw);
  return { ok: true, filter };
}

/** Role definition list filter: `roleName eq '…'` or `type eq 'BuiltInRole'|'CustomRole'`. */
export interface DefinitionFilter {
  roleName?: string;
  type?: string;
}

export function parseDefinitionFilter(raw: string | undefined): FilterResult<DefinitionFilter> {
  if (raw === undefined || raw.trim() === '') return { ok: true, filter: {} };
  const m = raw.trim().match(/^(roleName|type)\s+eq\s+'((?:[^']|'')*)'$/i);
  if (!m?.[1] || m[2] === undefined) return bad(raw);
  const value = m[2].replace(/''/g, "'");
  return { ok: true, filter: m[1].toLowerCase() === 'rolename' ? { roleName: value } : { type: value } };
}

function bad<T>(raw: string): FilterResult<T> {
  return { ok: false, reason: `the $filter '${raw}'` };
}
