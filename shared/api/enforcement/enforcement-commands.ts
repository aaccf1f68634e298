import type { AccessPlan } from '../../domain/access/plan-role-assignments';
import type { NetworkPlan } from '../../domain/network/plan-network-posture';
import type { StartOutcome } from '../../orchestrations/start-remediation';

/** Who asked and why (the start use cases' input without the target). */
export interface EnforcementRequest {
  readonly correlationId: string;
  readonly requestedBy: string;
  readonly reason: string;
}

/**
 * What the enforcement routes need (per invocation, over its durable client): the dry-run plans, which start and
 * change nothing, and start-or-requeue of `reconcileAccess` / `enforceNetwork`.
 */
export interface EnforcementCommands {
  planAccess(scope: string, now: Date): Promise<{ readonly plan: AccessPlan }>;
  planNetwork(resourceId: string, now: Date): Promise<{ readonly plan: NetworkPlan }>;
  startAccess(request: EnforcementRequest & { readonly scope: string }): Promise<StartOutcome>;
  startNetwork(request: EnforcementRequest & { readonly resourceId: string }): Promise<StartOutcome>;
}
