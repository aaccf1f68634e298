/**
 * How the CLI shows things to people: aligned tables, rows as YAML, plans as a diff (`+` create, `-` delete,
 * `~` change, `!` refused, `·` notes), audit entries one per line. Scripts use `--json` instead.
 */
import { stringify } from 'yaml';

export interface Style {
  readonly color: boolean;
}

const ANSI = { green: 32, red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export function paint(style: Style, color: keyof typeof ANSI, text: string): string {
  return style.color ? `\u001b[${ANSI[color]}m${text}\u001b[0m` : text;
}

/** A cell's text: scalars as they are, arrays joined, objects as compact JSON, null as `-`. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.join(',');
  return JSON.stringify(value);
}

/** An aligned text table with a header row; an empty list prints `(none)`. */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((r) => columns.map((c) => cell(r[c]).replace(/\s+/g, ' ')));
  const header = columns.map((c) => c.toUpperCase());
  const widths = columns.map((_, i) => Math.max(header[i]!.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...cells.map(line)].join('\n')}\n`;
}

/** A key/value listing (status, one orchestration). */
export function keyValues(entries: readonly [string, unknown][]): string {
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return `${entries.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cell(v)}`).join('\n')}\n`;
}

/** A row as YAML (the format `set --file` reads back). */
export function asYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

// ---- plans ---------------------------------------------------------------------------------------------------

interface PlanNote {
  kind?: string;
  target?: string;
  reason?: string;
}

interface PlanStep {
  action?: string;
  aspect?: string;
  scope?: string;
  resourceId?: string;
  principalId?: string;
  principalType?: string;
  roleName?: string;
  policyId?: string | null;
  ruleId?: string;
  from?: unknown;
  to?: unknown;
  reason?: string;
  needsApproval?: boolean;
  approvalReason?: string | null;
  approvalId?: string | null;
  gate?: string | null;
}

export interface PlanLike {
  kind?: string;
  target?: string;
  mode?: string;
  enforcement?: string;
  plannedAt?: string;
  apply?: boolean;
  notApplyingReason?: string | null;
  steps?: PlanStep[];
  notes?: PlanNote[];
  refused?: PlanNote[];
  needsApproval?: boolean;
  blastRadius?: { deletes?: number; exceeded?: string[] };
}

const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

function gateText(step: PlanStep): string | undefined {
  if (!step.needsApproval) return undefined;
  const reason =
    step.approvalReason && !(step.approvalId && step.approvalReason.includes(step.approvalId))
      ? `: ${step.approvalReason}`
      : '';
  return `    awaits approval${step.approvalId ? ` ${step.approvalId}` : ''}${reason}`;
}

/**
 * A plan (access or network, as the dry-run returns it) as a readable diff: one line per step (`+` grant, `-`
 * removal, `~` a setting changed from → to), `!` changes refused outright, `·` what the plan leaves alone and why,
 * then a summary saying whether it would be applied.
 */
export function renderPlan(plan: PlanLike, style: Style): string {
  const out: string[] = [];
  const head = [plan.kind ?? 'plan', plan.mode, plan.enforcement].filter(Boolean).join(', ');
  out.push(
    paint(style, 'bold', `Plan for ${plan.target ?? '?'} (${head})${plan.plannedAt ? ` at ${plan.plannedAt}` : ''}`),
  );
  const steps = plan.steps ?? [];
  let creates = 0;
  let deletes = 0;
  let changes = 0;
  let gated = 0;
  for (const s of steps) {
    if (s.needsApproval) gated++;
    if (s.action === 'create' || s.action === 'delete') {
      const sign = s.action === 'create' ? '+' : '-';
      if (s.action === 'create') creates++;
      else deletes++;
      const who = `${s.principalId ?? '?'}${s.principalType ? ` (${s.principalType})` : ''}`;
      const policy = s.policyId ? ` [policy ${s.policyId}]` : '';
      const text = `${sign} ${s.roleName ?? 'role'} for ${who} at ${s.scope ?? plan.target ?? '?'}${policy}`;
      out.push(paint(style, s.needsApproval ? 'yellow' : sign === '+' ? 'green' : 'red', text));
    } else {
      changes++;
      const text = `~ ${s.aspect ?? 'setting'} on ${s.resourceId ?? plan.target ?? '?'}: ${shown(s.from)} → ${shown(s.to)}${s.ruleId ? ` [rule ${s.ruleId}]` : ''}`;
      out.push(paint(style, s.needsApproval ? 'yellow' : 'cyan', text));
    }
    if (s.reason) out.push(paint(style, 'dim', `    why: ${s.reason}`));
    const gate = gateText(s);
    if (gate) out.push(paint(style, 'yellow', gate));
  }
  if (steps.length === 0) out.push('  (no changes: Azure matches the metadata)');
  for (const r of plan.refused ?? [])
    out.push(
      paint(style, 'red', `! refused ${r.kind ?? ''} ${r.target ?? ''} — ${r.reason ?? ''}`.replace(/\s+/g, ' ')),
    );
  for (const n of plan.notes ?? [])
    out.push(paint(style, 'dim', `  · ${n.kind ?? 'note'}: ${n.reason ?? n.target ?? ''}`));
  const counts = [
    plan.kind === 'network' ? `${changes} to change` : `${creates} to create, ${deletes} to delete`,
    ...(gated ? [`${gated} awaiting approval`] : []),
    ...(plan.blastRadius?.exceeded?.length ? [`blast radius exceeded: ${plan.blastRadius.exceeded.join(', ')}`] : []),
  ];
  const applying =
    plan.apply === false
      ? `would not be applied: ${plan.notApplyingReason ?? 'plan only'}`
      : steps.length === 0
        ? 'nothing to apply'
        : gated === steps.length
          ? 'nothing applies until approved'
          : 'would be applied by `warden apply`';
  out.push(`${counts.join(', ')}; ${applying}.`);
  return `${out.join('\n')}\n`;
}

/**
 * A plan of another kind (rotation, quarantine: shapes owned by those features) for people: its scalar facts, then
 * its steps numbered (text as it is, objects as compact JSON), then any other lists.
 */
export function renderGenericPlan(plan: Record<string, unknown>): string {
  const facts = Object.entries(plan).filter(([, v]) => v === null || typeof v !== 'object');
  const lists = Object.entries(plan).filter(([k, v]) => Array.isArray(v) && k !== 'steps') as [string, unknown[]][];
  const out = [keyValues(facts).trimEnd()];
  const steps = Array.isArray(plan.steps) ? plan.steps : [];
  out.push('steps:', ...(steps.length ? steps.map((st, i) => `  ${i + 1}. ${cell(st)}`) : ['  (none)']));
  for (const [k, v] of lists) if (v.length) out.push(`${k}:`, ...v.map((x) => `  - ${cell(x)}`));
  return `${out.join('\n')}\n`;
}

// ---- audit ---------------------------------------------------------------------------------------------------

export interface AuditEntryLike {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  reason?: string | null;
  correlation_id?: string | null;
}

/** One audit entry as one line: seq, time, action, target, actor, reason. */
export function auditLine(e: AuditEntryLike, style: Style): string {
  const reason = e.reason ? ` — ${e.reason}` : '';
  return `${paint(style, 'dim', `#${e.seq} ${e.at}`)} ${paint(style, 'bold', e.action)} ${e.target} by ${e.actor}${reason}`;
}
