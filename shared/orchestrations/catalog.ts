/**
 * The catalogue of Warden's enforcement orchestrations and activities: names, input schemas, output types and the
 * Azure permissions each needs — no handlers, so orchestrators can import it without pulling in cloud or metadata
 * code (CONVENTIONS 2, 6). The composition root pairs each name with its handler (`createAccessActivities`,
 * `createNetworkActivities`, the orchestrator functions) and registers it.
 */
import { z } from 'zod';

import type { AccessPlan, AccessPlanStep } from '../domain/access/plan-role-assignments';
import { fnv1a } from '../domain/fnv1a';
import type { NetworkPlan, NetworkPlanStep } from '../domain/network/plan-network-posture';
import { ArmResourceIdSchema } from '../domain/primitives/fields';
import { type CatalogEntry, checkCatalog } from './catalog-registry';

const CorrelationIdSchema = z.string().min(1).max(128);
const ActorSchema = z.string().min(1).max(256);
const IsoSchema = z.iso.datetime({ offset: true });

/** What starts a remediation run (every trigger, through the start use cases). */
export const RemediationTriggerSchema = z.strictObject({
  correlationId: CorrelationIdSchema,
  /** Who asked: the metadata row's actor, the event's caller, the HTTP caller, or `warden (sweep)`. */
  requestedBy: ActorSchema,
  /** Why the run was started (human text: "access_policies/ap-x updated", "event <id>", "sweep"). */
  reason: z.string().min(1).max(1000),
  /** Plan and return the plan; change nothing, record nothing. */
  dryRun: z.boolean().default(false),
});

export const ReconcileAccessInputSchema = RemediationTriggerSchema.extend({ scope: ArmResourceIdSchema });
export type ReconcileAccessInput = z.output<typeof ReconcileAccessInputSchema>;

export const EnforceNetworkInputSchema = RemediationTriggerSchema.extend({ resourceId: ArmResourceIdSchema });
export type EnforceNetworkInput = z.output<typeof EnforceNetworkInputSchema>;

const StepSchema = z.looseObject({ key: z.string().min(1), driftKey: z.string().min(1) });

export const PlanAccessInputSchema = z.strictObject({
  scope: ArmResourceIdSchema,
  now: IsoSchema,
  correlationId: CorrelationIdSchema,
});
export type PlanAccessInput = z.output<typeof PlanAccessInputSchema>;

export const ApplyAccessStepInputSchema = z.strictObject({
  scope: ArmResourceIdSchema,
  step: StepSchema,
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
});
export type ApplyAccessStepInput = Omit<z.output<typeof ApplyAccessStepInputSchema>, 'step'> & {
  step: AccessPlanStep;
};

export const VerifyAccessInputSchema = z.strictObject({
  scope: ArmResourceIdSchema,
  steps: z.array(StepSchema),
});
export type VerifyAccessInput = { scope: string; steps: AccessPlanStep[] };

export const PlanNetworkInputSchema = z.strictObject({
  resourceId: ArmResourceIdSchema,
  now: IsoSchema,
  correlationId: CorrelationIdSchema,
});
export type PlanNetworkInput = z.output<typeof PlanNetworkInputSchema>;

export const ApplyNetworkInputSchema = z.strictObject({
  resourceId: ArmResourceIdSchema,
  steps: z.array(StepSchema).min(1),
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
});
export type ApplyNetworkInput = { resourceId: string; steps: NetworkPlanStep[]; correlationId: string; actor: string };

export const VerifyNetworkInputSchema = z.strictObject({
  resourceId: ArmResourceIdSchema,
  steps: z.array(StepSchema),
});
export type VerifyNetworkInput = { resourceId: string; steps: NetworkPlanStep[] };

export const AuditPlanInputSchema = z.strictObject({
  plan: z.looseObject({ kind: z.enum(['access', 'network']), target: z.string().min(1) }),
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
  /** `planned` (before anything is applied) or `report-only` (the run stops here). */
  phase: z.enum(['planned', 'report-only']),
});
export type AuditPlanInput = {
  plan: AccessPlan | NetworkPlan;
  correlationId: string;
  actor: string;
  phase: 'planned' | 'report-only';
};

export const RecordApprovalInputSchema = z.strictObject({
  kind: z.enum(['access', 'network']),
  target: z.string().min(1).max(1024),
  /** The steps asked for (keys), with their human summary. */
  steps: z.array(z.strictObject({ key: z.string().min(1), summary: z.string(), gate: z.string() })).min(1),
  /** Drift keys the fight detector stopped (an approval resumes enforcement on them). */
  fights: z.array(z.string()).default([]),
  requestedBy: ActorSchema,
  correlationId: CorrelationIdSchema,
});
export type RecordApprovalInput = z.input<typeof RecordApprovalInputSchema>;

export const NotifyInputSchema = z.strictObject({
  type: z.string().min(1),
  subject: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
  correlationId: CorrelationIdSchema,
});
export type NotifyInput = z.output<typeof NotifyInputSchema>;

export const AuditOutcomeInputSchema = z.strictObject({
  kind: z.enum(['access', 'network']),
  target: z.string().min(1),
  outcome: z.record(z.string(), z.unknown()),
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
});
export type AuditOutcomeInput = {
  kind: 'access' | 'network';
  target: string;
  outcome: RemediationOutcome;
  correlationId: string;
  actor: string;
};

// ------------------------------------------------------------------ outputs

/** What happened to one step. `refused`: Azure denied Warden the right (audited, permanent, not retried). */
export interface StepOutcome {
  readonly key: string;
  readonly status: 'applied' | 'unchanged' | 'refused' | 'failed';
  readonly detail: string;
}

export interface VerifyResult {
  readonly verified: readonly string[];
  readonly mismatched: readonly { readonly key: string; readonly detail: string }[];
}

export interface ApprovalRecorded {
  readonly approvalId: string;
  /** False when the same request (same steps) was already pending. */
  readonly created: boolean;
}

export interface RemediationOutcome {
  readonly status: 'dry-run' | 'report-only' | 'applied' | 'nothing-to-do' | 'waiting-for-approval' | 'partial';
  readonly steps: readonly StepOutcome[];
  readonly verify: VerifyResult | null;
  /** The approval recorded for the gated steps in this run, if any. */
  readonly approvalId: string | null;
}

export interface RemediationResult<P> {
  readonly plan: P;
  readonly outcome: RemediationOutcome;
  /** Another trigger arrived while this run was busy: the run continues as new. */
  readonly rerun: boolean;
}

// ------------------------------------------------------------------ the catalogue

const AUTH = 'Microsoft.Authorization';

/** ARM actions of the network posture reads and writes (see `shared/cloud/azure/resource-network.ts`). */
export const NETWORK_READ_PERMISSIONS = [
  'Microsoft.Storage/storageAccounts/read',
  'Microsoft.Storage/storageAccounts/privateEndpointConnections/read',
  'Microsoft.KeyVault/vaults/read',
  'Microsoft.MachineLearningServices/workspaces/read',
  'Microsoft.Sql/servers/read',
  'Microsoft.Databricks/workspaces/read',
  'Microsoft.DataFactory/factories/linkedservices/read',
] as const;
export const NETWORK_WRITE_PERMISSIONS = [
  'Microsoft.Storage/storageAccounts/write',
  'Microsoft.KeyVault/vaults/write',
  'Microsoft.MachineLearningServices/workspaces/write',
  'Microsoft.Sql/servers/write',
  'Microsoft.Databricks/workspaces/write',
  'Microsoft.DataFactory/factories/linkedservices/write',
] as const;

function entry<I extends z.ZodType>(e: CatalogEntry<I>): CatalogEntry<I> {
  return e;
}

export const ORCHESTRATIONS = {
  reconcileAccess: entry({
    name: 'reconcileAccess',
    kind: 'orchestration',
    input: ReconcileAccessInputSchema,
    permissions: [],
    supportsDryRun: true,
    description: 'Access policies → Azure RBAC role assignments on one managed scope.',
  }),
  enforceNetwork: entry({
    name: 'enforceNetwork',
    kind: 'orchestration',
    input: EnforceNetworkInputSchema,
    permissions: [],
    supportsDryRun: true,
    description: 'A network rule → the network posture of one resource.',
  }),
} as const;

export const ACTIVITIES = {
  planAccess: entry({
    name: 'access-plan',
    kind: 'activity',
    input: PlanAccessInputSchema,
    permissions: [
      `${AUTH}/roleAssignments/read`,
      `${AUTH}/roleDefinitions/read`,
      `${AUTH}/roleAssignmentScheduleInstances/read`,
    ],
    supportsDryRun: true,
    description: 'Loads policies, scope, exemptions, approvals, recent reverts and the actual assignments; plans.',
  }),
  applyAccessStep: entry({
    name: 'access-apply-step',
    kind: 'activity',
    input: ApplyAccessStepInputSchema,
    permissions: [`${AUTH}/roleAssignments/read`, `${AUTH}/roleAssignments/write`, `${AUTH}/roleAssignments/delete`],
    supportsDryRun: false,
    description: 'Re-reads, then creates or deletes one role assignment; audits it.',
  }),
  verifyAccess: entry({
    name: 'access-verify',
    kind: 'activity',
    input: VerifyAccessInputSchema,
    permissions: [`${AUTH}/roleAssignments/read`],
    supportsDryRun: false,
    description: 'Re-reads the scope and checks each applied step holds.',
  }),
  planNetwork: entry({
    name: 'network-plan',
    kind: 'activity',
    input: PlanNetworkInputSchema,
    permissions: [...NETWORK_READ_PERMISSIONS],
    supportsDryRun: true,
    description: 'Loads the network rule, exemptions, approvals, recent reverts and the posture; plans.',
  }),
  applyNetwork: entry({
    name: 'network-apply',
    kind: 'activity',
    input: ApplyNetworkInputSchema,
    permissions: [...NETWORK_READ_PERMISSIONS, ...NETWORK_WRITE_PERMISSIONS],
    supportsDryRun: false,
    description: 'Re-reads, then applies the still-needed part of the steps to one resource; audits each step.',
  }),
  verifyNetwork: entry({
    name: 'network-verify',
    kind: 'activity',
    input: VerifyNetworkInputSchema,
    permissions: [...NETWORK_READ_PERMISSIONS],
    supportsDryRun: false,
    description: 'Re-reads the resource and checks each applied step holds.',
  }),
  auditPlan: entry({
    name: 'remediation-audit-plan',
    kind: 'activity',
    input: AuditPlanInputSchema,
    permissions: [],
    supportsDryRun: true,
    description: 'Audits a plan (and its notes) with the correlation id.',
  }),
  auditOutcome: entry({
    name: 'remediation-audit-outcome',
    kind: 'activity',
    input: AuditOutcomeInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'Audits the outcome of a run.',
  }),
  recordApproval: entry({
    name: 'remediation-record-approval',
    kind: 'activity',
    input: RecordApprovalInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'Records gated steps in `approvals` (idempotent: the same pending request is not recorded twice).',
  }),
  notify: entry({
    name: 'remediation-notify',
    kind: 'activity',
    input: NotifyInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'Publishes a notification (approval requested, outcome, fight detected).',
  }),
} as const;

/** Every entry, checked (empty or duplicate names throw at import, i.e. at startup). */
export const ENFORCEMENT_CATALOG: ReadonlyMap<string, CatalogEntry> = checkCatalog([
  ...Object.values(ORCHESTRATIONS),
  ...Object.values(ACTIVITIES),
]);

/** The external event a busy run listens for: another trigger asked for the same target meanwhile. */
export const RERUN_EVENT = 'rerun';

function instanceId(prefix: string, armId: string): string {
  const key = armId.replace(/\/+$/, '').toLowerCase();
  const tail = (key.split('/').pop() ?? '').replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  return `${prefix}-${tail}-${fnv1a(key)}${fnv1a(key, 0x01000193)}`;
}

/** The one instance id per managed scope: a second trigger finds the running one instead of racing it. */
export function reconcileAccessInstanceId(scope: string): string {
  return instanceId('reconcileAccess', scope);
}

/** The one instance id per governed resource. */
export function enforceNetworkInstanceId(resourceId: string): string {
  return instanceId('enforceNetwork', resourceId);
}
