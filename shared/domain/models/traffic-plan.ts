/**
 * Traffic planning for an online endpoint (traffic is per deployment, changed only by a full PUT): move a
 * quarantined version's deployment to 0% and its share onto the last good version's deployment; hold every
 * quarantined (or archived) version's deployment at 0%; when no good deployment remains, the endpoint's access must
 * be cut instead (after approval). Pure.
 */

export interface DeploymentInfo {
  readonly name: string;
  /** The model version the deployment serves (undefined when it cannot be told). */
  readonly modelVersion: string | undefined;
}

export interface TrafficPlan {
  /** The traffic before, by deployment name. */
  readonly before: Readonly<Record<string, number>>;
  /** The traffic to PUT (equal to `before` when nothing changes or when access must be cut). */
  readonly after: Readonly<Record<string, number>>;
  readonly changed: boolean;
  /** The deployment that takes the held deployments' share (null when none). */
  readonly receiver: string | null;
  /** The deployments held at 0%. */
  readonly held: readonly string[];
  /** No good deployment remains: serving can only stop by cutting access (gated by approval). */
  readonly needsAccessCut: boolean;
  readonly reason: string;
}

const lower = (s: string) => s.toLowerCase();

/**
 * Plans the traffic of one endpoint.
 *
 * @param traffic the endpoint's current traffic (deployment → percent)
 * @param deployments the endpoint's deployments and the model versions they serve
 * @param held model versions that must serve no traffic (quarantined or archived)
 * @param lastGood the version to fall back to (the quarantined row's `last_good_version`), if any
 */
export function planTraffic(
  traffic: Readonly<Record<string, number>>,
  deployments: readonly DeploymentInfo[],
  held: ReadonlySet<string>,
  lastGood: string | null,
): TrafficPlan {
  const before: Record<string, number> = {};
  for (const d of deployments) before[d.name] = traffic[d.name] ?? 0;
  // Traffic keys that are not deployments (should not exist) are kept out of the PUT: Azure rejects them.
  const isHeld = (d: DeploymentInfo) => d.modelVersion !== undefined && held.has(d.modelVersion);
  const heldDeps = deployments.filter(isHeld);
  const good = deployments.filter((d) => !isHeld(d) && d.modelVersion !== undefined);
  const moving = heldDeps.reduce((sum, d) => sum + (before[d.name] ?? 0), 0);
  const base = {
    before,
    held: heldDeps.map((d) => d.name),
  };
  if (moving === 0)
    return {
      ...base,
      after: { ...before },
      changed: false,
      receiver: null,
      needsAccessCut: false,
      reason: heldDeps.length > 0 ? 'held deployments already serve 0%' : 'no deployment serves a held version',
    };
  const receiver =
    (lastGood !== null ? good.find((d) => d.modelVersion === lastGood) : undefined) ??
    // Otherwise the good deployment already serving most, then by name (deterministic).
    [...good].sort(
      (a, b) => (before[b.name] ?? 0) - (before[a.name] ?? 0) || lower(a.name).localeCompare(lower(b.name)),
    )[0];
  if (!receiver)
    return {
      ...base,
      after: { ...before },
      changed: false,
      receiver: null,
      needsAccessCut: true,
      reason: 'no deployment of a good version remains: the endpoint must stop serving (access cut, after approval)',
    };
  const after: Record<string, number> = { ...before };
  for (const d of heldDeps) after[d.name] = 0;
  after[receiver.name] = (before[receiver.name] ?? 0) + moving;
  return {
    ...base,
    after,
    changed: true,
    receiver: receiver.name,
    needsAccessCut: false,
    reason: `${moving}% moved from ${heldDeps.map((d) => d.name).join(', ')} to ${receiver.name} (version ${receiver.modelVersion ?? '?'})`,
  };
}

/**
 * Release: the released version's deployment gets its share back. `restore` is the traffic recorded when it was
 * quarantined; the shares of deployments still held stay at 0% and anything the restore would give them goes to the
 * released deployment. Without a record, the released deployment takes all traffic of good deployments back.
 */
export function planRestore(
  traffic: Readonly<Record<string, number>>,
  deployments: readonly DeploymentInfo[],
  released: string,
  stillHeld: ReadonlySet<string>,
  restore: Readonly<Record<string, number>> | null,
): TrafficPlan {
  const before: Record<string, number> = {};
  for (const d of deployments) before[d.name] = traffic[d.name] ?? 0;
  const heldNames = deployments.filter((d) => d.modelVersion !== undefined && stillHeld.has(d.modelVersion));
  const target = deployments.find((d) => d.name === released);
  if (!target)
    return {
      before,
      after: { ...before },
      changed: false,
      receiver: null,
      held: heldNames.map((d) => d.name),
      needsAccessCut: false,
      reason: `deployment ${released} no longer exists on the endpoint`,
    };
  const after: Record<string, number> = {};
  const total = Object.values(before).reduce((a, b) => a + b, 0) || 100;
  if (restore && Object.values(restore).reduce((a, b) => a + b, 0) > 0) {
    for (const d of deployments) after[d.name] = restore[d.name] ?? 0;
    let spill = 0;
    for (const d of heldNames) {
      spill += after[d.name] ?? 0;
      after[d.name] = 0;
    }
    after[released] = (after[released] ?? 0) + spill;
    const sum = Object.values(after).reduce((a, b) => a + b, 0);
    if (sum !== total) after[released] = (after[released] ?? 0) + (total - sum);
  } else {
    for (const d of deployments) after[d.name] = 0;
    after[released] = total;
  }
  const changed = deployments.some((d) => (after[d.name] ?? 0) !== (before[d.name] ?? 0));
  return {
    before,
    after,
    changed,
    receiver: released,
    held: heldNames.map((d) => d.name),
    needsAccessCut: false,
    reason: changed ? `traffic restored to ${released}` : 'traffic already as restored',
  };
}

/** Traffic as the tag value recorded at quarantine (`blue=100,green=0`), and back. */
export function formatTraffic(traffic: Readonly<Record<string, number>>): string {
  return Object.keys(traffic)
    .sort()
    .map((k) => `${k}=${traffic[k] ?? 0}`)
    .join(',');
}

export function parseTraffic(text: string | undefined): Record<string, number> | null {
  if (!text) return null;
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^([A-Za-z][A-Za-z0-9-]{0,31})=(\d{1,3})$/.exec(part.trim());
    if (!m?.[1] || m[2] === undefined) return null;
    const v = Number(m[2]);
    if (v > 100) return null;
    out[m[1]] = v;
  }
  return out;
}
