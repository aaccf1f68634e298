/**
 * Network planning: a `network_rules` row (desired) against a resource's network posture (actual) → a plan of
 * patches, each carrying the rule that justifies it, after impact pre-checks against the rule's consumers and
 * Warden's own dependencies. Pure; the plan IS the dry-run output.
 */
import { type ApprovalContext, type ApprovalGate, NO_APPROVALS } from '../access/blast-radius';
import type { PlannedExemption as Exemption, PlannedNetworkRule as NetworkRule } from '../access/planned-rows';
import { isWithinScope } from '../guardrails/scope-coverage';
import { parseCidr } from '../primitives/cidr';
import { AZURE_INTEGRATION_RUNTIME, type NetworkChange, type NetworkPosture } from './network-posture';

/** A resource Warden itself needs (its vault, its database) and how it reaches it. */
export interface WardenDependency {
  readonly resourceId: string;
  /** `public-network`: over the internet (an IP firewall or disabled public access cuts it off). */
  readonly path: 'public-network' | 'private-endpoint' | 'trusted-service';
  /** For `private-endpoint`: the private endpoint's name. */
  readonly privateEndpoint?: string;
}

export interface NetworkPlanInput {
  readonly now: string;
  readonly rule: NetworkRule;
  /** `ResourceNetworkPort.read(rule.resource_id)`; undefined when the resource does not exist. */
  readonly posture: NetworkPosture | undefined;
  readonly exemptions: readonly Exemption[];
  readonly wardenDependencies: readonly WardenDependency[];
  /** The governing managed scope is report-only. */
  readonly reportOnly: boolean;
  readonly killSwitch: boolean;
  readonly approvals?: ApprovalContext;
  /** Drift keys the fight detector stopped, with the reason. */
  readonly stoppedDrifts?: Readonly<Record<string, string>>;
}

export type NetworkAspect = 'public-network-access' | 'firewall' | 'integration-runtime';

export interface NetworkPlanStep {
  readonly key: string;
  /** `resourceId|aspect`: what fight detection counts. */
  readonly driftKey: string;
  readonly aspect: NetworkAspect;
  readonly resourceId: string;
  readonly from: unknown;
  readonly to: unknown;
  /** The part of the change this step makes. */
  readonly change: NetworkChange;
  readonly ruleId: string;
  readonly justifiedBy: string;
  readonly reason: string;
  readonly needsApproval: boolean;
  readonly gate: ApprovalGate | null;
  readonly approvalReason: string | null;
  readonly approvalId: string | null;
}

export type NetworkNoteKind =
  'disabled' | 'not-found' | 'exempt' | 'not-supported' | 'missing-private-endpoint' | 'refused' | 'fight-stopped';

export interface NetworkPlanNote {
  readonly kind: NetworkNoteKind;
  readonly target: string;
  readonly reason: string;
}

export interface NetworkPlan {
  readonly kind: 'network';
  readonly target: string;
  readonly ruleId: string;
  readonly plannedAt: string;
  readonly apply: boolean;
  readonly notApplyingReason: string | null;
  readonly steps: readonly NetworkPlanStep[];
  readonly notes: readonly NetworkPlanNote[];
  /** Changes refused outright (they would cut Warden off): never applied, even when approved. */
  readonly refused: readonly NetworkPlanNote[];
  readonly needsApproval: boolean;
}

const lower = (s: string): string => s.toLowerCase();

/** An IP range in the form Azure stores (`a.b.c.d` for a single IPv4 address). */
function canonicalRange(text: string): string {
  const p = parseCidr(text);
  const cidr = p.ok ? p.cidr : text;
  return cidr.endsWith('/32') && !cidr.includes(':')
    ? cidr.slice(0, -3)
    : cidr.endsWith('/128')
      ? cidr.slice(0, -4)
      : cidr;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a.map(canonicalRange));
  const y = new Set(b.map(canonicalRange));
  return x.size === y.size && [...x].every((v) => y.has(v));
}

function endpointName(c: { name: string; privateEndpointId: string | null }): string[] {
  const names = [lower(c.name), lower(c.name.split('.')[0] ?? c.name)];
  if (c.privateEndpointId) names.push(lower(c.privateEndpointId.split('/').pop() ?? ''));
  return names;
}

/** Whether the resource reports an approved private endpoint connection for `pe` (name, name prefix or PE id). */
export function hasApprovedEndpoint(posture: NetworkPosture, pe: string): boolean {
  const want = lower(pe.split('/').pop() ?? pe);
  return posture.privateEndpointConnections.some(
    (c) => lower(c.status) === 'approved' && endpointName(c).includes(want),
  );
}

/** The rule's `integration_runtime` as a reference name (`azure` → the Azure IR). */
function runtimeName(rule: string): string {
  return rule === 'azure' ? AZURE_INTEGRATION_RUNTIME : rule.slice('self-hosted:'.length);
}

/** Plans one network rule. See docs/enforcement.md for the rules. */
export function planNetworkPosture(input: NetworkPlanInput): NetworkPlan {
  const now = new Date(input.now);
  if (Number.isNaN(now.getTime())) throw new RangeError(`now must be an ISO date-time, got '${input.now}'`);
  const { rule, posture } = input;
  const id = rule.resource_id;
  const notes: NetworkPlanNote[] = [];
  const refused: NetworkPlanNote[] = [];
  const approvals = input.approvals ?? NO_APPROVALS;
  const stopped = input.stoppedDrifts ?? {};
  const base = {
    kind: 'network' as const,
    target: id,
    ruleId: rule.id,
    plannedAt: now.toISOString(),
    apply: !input.killSwitch && !input.reportOnly,
    notApplyingReason: input.killSwitch
      ? 'the global kill switch is engaged: every remediation is report-only'
      : input.reportOnly
        ? `the managed scope governing ${id} is report-only`
        : null,
  };
  const done = (steps: NetworkPlanStep[]): NetworkPlan => ({
    ...base,
    steps,
    notes,
    refused,
    needsApproval: steps.some((s) => s.needsApproval),
  });

  if (!rule.enabled) {
    notes.push({ kind: 'disabled', target: rule.id, reason: `network rule ${rule.id} is disabled` });
    return done([]);
  }
  if (!posture) {
    notes.push({
      kind: 'not-found',
      target: id,
      reason: `${id} does not exist (or Warden cannot see it); nothing to enforce`,
    });
    return done([]);
  }
  const exemption = input.exemptions.find(
    (e) => e.kind === 'network' && Date.parse(e.expires_at) > now.getTime() && isWithinScope(id, e.target),
  );
  if (exemption) {
    notes.push({
      kind: 'exempt',
      target: id,
      reason: `exemption ${exemption.id} (${exemption.reason}) until ${exemption.expires_at}`,
    });
    return done([]);
  }

  const dependency = input.wardenDependencies.find((d) => lower(d.resourceId) === lower(id));
  const raw: Omit<NetworkPlanStep, 'needsApproval' | 'gate' | 'approvalReason' | 'approvalId'>[] = [];
  const gates = new Map<string, { gate: ApprovalGate; reason: string; approvalId: string | null }>();
  const step = (
    aspect: NetworkAspect,
    from: unknown,
    to: unknown,
    change: NetworkChange,
    reason: string,
  ): (typeof raw)[number] => ({
    key: `${aspect}:${lower(id)}:${JSON.stringify(to)}`,
    driftKey: `${lower(id)}|${aspect}`,
    aspect,
    resourceId: id,
    from,
    to,
    change,
    ruleId: rule.id,
    justifiedBy: `network rule ${rule.id}`,
    reason,
  });

  const approvedPe = posture.privateEndpointConnections.some((c) => lower(c.status) === 'approved');
  if (rule.private_endpoint_required && !approvedPe)
    notes.push({
      kind: 'missing-private-endpoint',
      target: id,
      reason: `rule ${rule.id} requires a private endpoint, but ${id} has no approved private endpoint connection; Warden does not create endpoints — a person must`,
    });

  // public network access
  const wantPublic = rule.public_network_access;
  if (wantPublic !== null) {
    if (posture.publicNetworkAccess === null) {
      notes.push({
        kind: 'not-supported',
        target: id,
        reason: `${posture.resourceType} has no public network access setting`,
      });
    } else if (posture.publicNetworkAccess !== wantPublic) {
      const s = step(
        'public-network-access',
        posture.publicNetworkAccess,
        wantPublic,
        { publicNetworkAccess: wantPublic },
        `rule ${rule.id} wants public network access ${wantPublic}; it is ${posture.publicNetworkAccess}`,
      );
      if (wantPublic === 'Disabled') {
        const cutOff =
          dependency?.path === 'public-network'
            ? 'Warden reaches it over the public network'
            : dependency?.path === 'private-endpoint' &&
                !(dependency.privateEndpoint && hasApprovedEndpoint(posture, dependency.privateEndpoint))
              ? `Warden's private endpoint ${dependency.privateEndpoint ?? '(unnamed)'} to it is not approved`
              : undefined;
        if (cutOff) {
          refused.push({
            kind: 'refused',
            target: id,
            reason: `disabling public network access on ${id} is refused: ${cutOff}, so the change would cut Warden off from a resource it depends on`,
          });
        } else {
          raw.push(s);
          const blocked = consumersWithoutPrivatePath(rule, posture);
          if (blocked.length > 0)
            gates.set(s.key, {
              gate: 'impact',
              reason: `disabling public access would cut off ${blocked.join('; ')}: approve only once they have a private path`,
              approvalId: null,
            });
        }
      } else {
        raw.push(s);
      }
    }
  }

  // firewall: default Deny with exactly the allowed ranges, when the resource is (or stays) publicly reachable or
  // when it has a firewall at all (a Deny firewall is the zero-trust default under disabled public access too).
  if (
    posture.defaultAction !== null &&
    posture.ipRules !== null &&
    (wantPublic !== null || rule.allowed_ip_ranges.length > 0)
  ) {
    const wantRanges = rule.allowed_ip_ranges.map(canonicalRange);
    if (posture.defaultAction !== 'Deny' || !sameSet(posture.ipRules, wantRanges)) {
      const s = step(
        'firewall',
        { defaultAction: posture.defaultAction, ipRules: posture.ipRules },
        { defaultAction: 'Deny', ipRules: wantRanges },
        { defaultAction: 'Deny', ipRules: wantRanges },
        `rule ${rule.id} allows ${wantRanges.length ? wantRanges.join(', ') : 'no IP ranges'} with default Deny; the firewall is ${posture.defaultAction} with [${posture.ipRules.join(', ')}]`,
      );
      if (
        dependency?.path === 'public-network' &&
        (posture.publicNetworkAccess ?? 'Enabled') !== 'Disabled' &&
        wantPublic !== 'Disabled'
      )
        refused.push({
          kind: 'refused',
          target: id,
          reason: `an IP firewall on ${id} is refused: Warden reaches it over the public network and its address is not among the allowed ranges`,
        });
      else raw.push(s);
    }
  } else if (rule.allowed_ip_ranges.length > 0 && posture.ipRules === null) {
    notes.push({
      kind: 'not-supported',
      target: id,
      reason: `${posture.resourceType} has no IP rules Warden can change`,
    });
  }

  // integration runtime
  if (rule.integration_runtime !== null) {
    if (posture.integrationRuntime === null) {
      notes.push({
        kind: 'not-supported',
        target: id,
        reason: `${posture.resourceType} connects via no integration runtime`,
      });
    } else {
      const want = runtimeName(rule.integration_runtime);
      if (lower(posture.integrationRuntime.name) !== lower(want)) {
        raw.push(
          step(
            'integration-runtime',
            posture.integrationRuntime.name,
            want,
            { integrationRuntime: rule.integration_runtime },
            rule.integration_runtime === 'azure'
              ? `rule ${rule.id} wants the Azure integration runtime; it connects via ${posture.integrationRuntime.name}`
              : `rule ${rule.id} pins it to self-hosted integration runtime ${want}; it was switched to ${posture.integrationRuntime.kind === 'azure' ? 'the Azure one' : posture.integrationRuntime.name}, so it is switched back`,
          ),
        );
      }
    }
  }

  const approved = new Set(approvals.approvedStepKeys);
  const steps: NetworkPlanStep[] = [];
  for (const s of raw) {
    const fight = stopped[s.driftKey];
    if (fight !== undefined) {
      notes.push({ kind: 'fight-stopped', target: id, reason: `${s.aspect} on ${id} stopped: ${fight}` });
      continue;
    }
    let g = gates.get(s.key);
    if (approved.has(s.key)) g = undefined;
    else {
      const pending = approvals.pending.find((p) => p.stepKeys.includes(s.key));
      if (pending)
        g = {
          gate: 'awaiting-approval',
          reason: `waits for approval ${pending.approvalId}`,
          approvalId: pending.approvalId,
        };
    }
    steps.push({
      ...s,
      needsApproval: g !== undefined,
      gate: g?.gate ?? null,
      approvalReason: g?.reason ?? null,
      approvalId: g?.approvalId ?? null,
    });
  }
  return done(steps);
}

/** The rule's consumers that would lose access if public network access were disabled, each with why. */
export function consumersWithoutPrivatePath(rule: NetworkRule, posture: NetworkPosture): string[] {
  const out: string[] = [];
  for (const c of rule.consumers) {
    switch (c.via) {
      case 'private-endpoint':
        if (!c.privateEndpoint || !hasApprovedEndpoint(posture, c.privateEndpoint)) {
          const conn = posture.privateEndpointConnections.find((x) =>
            endpointName(x).includes(lower((c.privateEndpoint ?? '').split('/').pop() ?? '')),
          );
          out.push(
            `${c.name} (private endpoint ${c.privateEndpoint ?? '?'} is ${conn ? `${conn.status}, not Approved` : 'not connected to the resource'})`,
          );
        }
        break;
      case 'integration-runtime':
        if (
          !c.integrationRuntime ||
          c.integrationRuntime === 'azure' ||
          lower(c.integrationRuntime) === lower(AZURE_INTEGRATION_RUNTIME)
        )
          out.push(`${c.name} (the Azure integration runtime reaches it over the public network)`);
        break;
      case 'ip-rule':
        out.push(`${c.name} (reaches it from an allowed IP range over the public network)`);
        break;
      case 'trusted-service':
        break;
    }
  }
  return out;
}
