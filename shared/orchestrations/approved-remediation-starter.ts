import type { ApprovedRequest, RemediationStart, RemediationStarter } from '../api/remediation-starter';
import { governingScope } from '../domain/guardrails/scope-coverage';
import type { MetadataStore } from '../metadata/metadata-store';
import { startReconcileAccess } from './access/start-reconcile-access';
import { startApprovedModelDecision } from './models/model-triggers';
import { startEnforceNetwork } from './network/start-enforce-network';
import type { OrchestrationClient } from './orchestration-client';

/**
 * The front door's {@link RemediationStarter} for access, network and model approvals: an approval starts (or
 * requeues) a fresh run for its target, which plans again and applies what was approved (the approved step keys, or —
 * for a privileged policy — the policy's `approved_by`, recorded by the decision). A model approval (retire, access
 * cut, breaker reset) starts its model orchestration at once; the models sweep only picks up what this missed.
 */
export function createEnforcementRemediationStarter(
  client: OrchestrationClient,
  store: MetadataStore,
): RemediationStarter {
  return {
    async start(request: ApprovedRequest): Promise<RemediationStart> {
      const { approval, actor, correlationId } = request;
      const reason = `approval ${approval.id} approved`;
      if (approval.kind === 'network') {
        const r = await startEnforceNetwork(client, {
          resourceId: approval.target,
          correlationId,
          requestedBy: actor,
          reason,
        });
        return { started: true, instanceId: r.instanceId };
      }
      if (approval.kind === 'model') {
        const r = await startApprovedModelDecision(store, client, approval, actor, correlationId);
        return r.started.length > 0
          ? { started: true, instanceId: r.started[0]!.instanceId }
          : { started: false, reason: r.reason };
      }
      if (approval.kind !== 'access')
        return { started: false, reason: `'${approval.kind}' approvals are not enforcement's` };
      let scope = approval.target;
      const plan = approval.plan;
      if (plan.table === 'access_policies' && typeof plan.id === 'string') {
        const policy = await store.accessPolicies.get(plan.id);
        const managed = policy ? governingScope(policy.scope, await store.managedScopes.list()) : undefined;
        if (!managed) return { started: false, reason: `policy ${plan.id} is gone or outside every managed scope` };
        scope = managed.scope;
      }
      const r = await startReconcileAccess(client, { scope, correlationId, requestedBy: actor, reason });
      return { started: true, instanceId: r.instanceId };
    },
  };
}
