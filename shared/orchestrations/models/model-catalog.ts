/**
 * The catalogue of the model orchestrations (issue 9): quarantineModel, releaseModel, retireModel, syncAlertRules and
 * their activities — names, input schemas, outputs and the Azure permissions each needs. No handlers (orchestrators
 * import it); `functions/models/model-composition.ts` pairs names with handlers.
 */
import { z } from 'zod';

import { fnv1a } from '../../domain/fnv1a';
import type { BreachEvidence } from '../../domain/models/breach';
import type { TrafficPlan } from '../../domain/models/traffic-plan';
import { RowIdSchema } from '../../domain/primitives/fields';
import { type CatalogEntry, checkCatalog } from '../catalog-registry';

const CorrelationIdSchema = z.string().min(1).max(128);
const ActorSchema = z.string().min(1).max(256);
const IsoSchema = z.iso.datetime({ offset: true });

/** What set a quarantine run off. `hold`: re-assert 0% on held versions (endpoint write, row edit, approval). */
export const QuarantineSignalSchema = z.strictObject({
  kind: z.enum(['alert', 'monitor-run', 'dataset-drift', 'operator', 'row-edit', 'hold']),
  /** The alert id, event id or approval id the signal came with. */
  ref: z.string().max(1024).nullable().default(null),
  /** The alert's metric value, when it carried one (evidence only; Warden re-reads the metric). */
  metricValue: z.number().nullable().default(null),
});
export type QuarantineSignal = z.output<typeof QuarantineSignalSchema>;

const TriggerSchema = z.strictObject({
  correlationId: CorrelationIdSchema,
  requestedBy: ActorSchema,
  reason: z.string().min(1).max(1000),
});

export const QuarantineModelInputSchema = TriggerSchema.extend({
  modelId: RowIdSchema,
  /** The `alert_rules` row the signal maps to (null: the model's quarantine rule is looked up). */
  ruleId: RowIdSchema.nullable().default(null),
  signal: QuarantineSignalSchema,
  dryRun: z.boolean().default(false),
});
export type QuarantineModelInput = z.output<typeof QuarantineModelInputSchema>;

export const ReleaseModelInputSchema = TriggerSchema.extend({
  modelId: RowIdSchema,
  /** `auto`: the sweep's re-check (released only where the rule allows and the metric recovered). */
  mode: z.enum(['operator', 'auto', 'row-edit']),
});
export type ReleaseModelInput = z.output<typeof ReleaseModelInputSchema>;

export const RetireModelInputSchema = TriggerSchema.extend({
  modelId: RowIdSchema,
  /** The approval that decided it (null when a PolicyAdmin set the row to Archived). */
  approvalId: RowIdSchema.nullable().default(null),
});
export type RetireModelInput = z.output<typeof RetireModelInputSchema>;

export const SyncAlertRulesInputSchema = TriggerSchema.extend({ ruleId: RowIdSchema });
export type SyncAlertRulesInput = z.output<typeof SyncAlertRulesInputSchema>;

export const AssessInputSchema = z.strictObject({
  modelId: RowIdSchema,
  ruleId: RowIdSchema.nullable(),
  signal: QuarantineSignalSchema,
  now: IsoSchema,
  correlationId: CorrelationIdSchema,
});
export type AssessInput = z.input<typeof AssessInputSchema>;

export const ApplyStageInputSchema = z.strictObject({
  modelId: RowIdSchema,
  stage: z.enum(['Quarantined', 'Production', 'Archived']),
  /** Evidence tags (`warden.quarantine.*`) to set; null removes one. */
  tags: z.record(z.string(), z.string().max(256).nullable()).default({}),
  now: IsoSchema,
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
  reason: z.string().min(1).max(1000),
});
export type ApplyStageInput = z.input<typeof ApplyStageInputSchema>;

export const MoveTrafficInputSchema = z.strictObject({
  modelId: RowIdSchema,
  mode: z.enum(['hold', 'restore']),
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
});
export type MoveTrafficInput = z.input<typeof MoveTrafficInputSchema>;

export const CutAccessInputSchema = z.strictObject({
  modelId: RowIdSchema,
  approvalId: RowIdSchema,
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
});
export type CutAccessInput = z.input<typeof CutAccessInputSchema>;

/** Release: recreate the score role assignments an access cut removed from the model's endpoint. */
export const RestoreAccessInputSchema = z.strictObject({
  modelId: RowIdSchema,
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
});
export type RestoreAccessInput = z.input<typeof RestoreAccessInputSchema>;

/** What the restore did: `none` (nothing recorded as removed), `restored`, `partial` (some refused), `report-only`. */
export interface RestoreAccessOutcome {
  readonly status: 'none' | 'restored' | 'partial' | 'report-only' | 'endpoint-missing';
  readonly detail: string;
}

export const RecordModelApprovalInputSchema = z.strictObject({
  /** `models/<id>` or `models/circuit-breaker`. */
  target: z.string().min(1).max(1024),
  action: z.enum(['access-cut', 'retire', 'breaker-reset']),
  summary: z.string().min(1).max(2000),
  modelId: RowIdSchema.nullable(),
  requestedBy: ActorSchema,
  correlationId: CorrelationIdSchema,
});
export type RecordModelApprovalInput = z.input<typeof RecordModelApprovalInputSchema>;

export const ModelAuditInputSchema = z.strictObject({
  action: z.string().min(1).max(128),
  target: z.string().min(1).max(1024),
  after: z.record(z.string(), z.unknown()).nullable().default(null),
  reason: z.string().min(1).max(2000),
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
});
export type ModelAuditInput = z.input<typeof ModelAuditInputSchema>;

export const ModelNotifyInputSchema = z.strictObject({
  type: z.string().min(1),
  subject: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
  correlationId: CorrelationIdSchema,
});
export type ModelNotifyInput = z.output<typeof ModelNotifyInputSchema>;

export const RecheckInputSchema = z.strictObject({
  modelId: RowIdSchema,
  now: IsoSchema,
  correlationId: CorrelationIdSchema,
});
export type RecheckInput = z.input<typeof RecheckInputSchema>;

export const SyncRuleInputSchema = z.strictObject({
  ruleId: RowIdSchema,
  correlationId: CorrelationIdSchema,
  actor: ActorSchema,
});
export type SyncRuleInput = z.input<typeof SyncRuleInputSchema>;

// ------------------------------------------------------------------ outputs

export type QuarantineDecision =
  /** Confirmed (or decided by an operator / a row edit): quarantine. */
  | 'quarantine'
  /** The version is already quarantined: this signal joins it (re-asserting 0%). */
  | 'joined'
  /** Re-assert held versions at 0% (an endpoint write, a row edit). */
  | 'hold'
  /** Not confirmed, flapping, no data, a notify-only rule, or nothing to act on. */
  | 'drop'
  /** Too many quarantines in the window: stop and ask. */
  | 'breaker';

export interface QuarantineAssessment {
  readonly decision: QuarantineDecision;
  readonly reason: string;
  readonly modelId: string;
  readonly ruleId: string | null;
  /** The rule's action (notify-only rules never quarantine). */
  readonly ruleAction: 'quarantine' | 'notify' | null;
  readonly evidence: BreachEvidence | null;
  /** The traffic plan as it would be applied now (dry run and evidence). */
  readonly traffic: TrafficPlan | null;
  /** An approved access cut for this model (decided within the validity window), if any. */
  readonly accessCutApprovalId: string | null;
}

export interface TrafficOutcome {
  readonly status: 'applied' | 'unchanged' | 'needs-access-cut' | 'endpoint-missing';
  readonly plan: TrafficPlan | null;
  /** The traffic Azure reports after the PUT. */
  readonly traffic: Readonly<Record<string, number>> | null;
}

export interface RecheckResult {
  readonly release: boolean;
  readonly reason: string;
  readonly nextCheckAt: string | null;
}

export interface ModelRunResult {
  readonly modelId: string;
  readonly status: string;
  readonly reason: string;
  readonly assessment?: QuarantineAssessment;
  readonly traffic?: TrafficOutcome | null;
  readonly approvalId?: string | null;
  readonly rerun?: boolean;
}

// ------------------------------------------------------------------ the catalogue

const ML = 'Microsoft.MachineLearningServices/workspaces';
const INSIGHTS = 'Microsoft.Insights';
const AUTHZ = 'Microsoft.Authorization';

export const MODEL_READ_PERMISSIONS = [
  `${ML}/models/versions/read`,
  `${ML}/onlineEndpoints/read`,
  `${ML}/onlineEndpoints/deployments/read`,
] as const;

function entry<I extends z.ZodType>(e: CatalogEntry<I>): CatalogEntry<I> {
  return e;
}

export const MODEL_ORCHESTRATIONS = {
  quarantineModel: entry({
    name: 'quarantineModel',
    kind: 'orchestration',
    input: QuarantineModelInputSchema,
    permissions: [],
    supportsDryRun: true,
    description:
      'Confirm a breach (N of M windows), tag the version Quarantined, move its traffic to the last good deployment.',
  }),
  releaseModel: entry({
    name: 'releaseModel',
    kind: 'orchestration',
    input: ReleaseModelInputSchema,
    permissions: [],
    supportsDryRun: false,
    description:
      'Release a quarantined version (operator, row edit, or the sweep once recovered): tag Production, restore traffic.',
  }),
  retireModel: entry({
    name: 'retireModel',
    kind: 'orchestration',
    input: RetireModelInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'Retire a version (approved): tag Archived and remove its deployment’s traffic for good.',
  }),
  syncAlertRules: entry({
    name: 'syncAlertRules',
    kind: 'orchestration',
    input: SyncAlertRulesInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'An alert_rules row → its Azure Monitor alert rule (create, update, delete).',
  }),
} as const;

export const MODEL_ACTIVITIES = {
  assess: entry({
    name: 'model-assess',
    kind: 'activity',
    input: AssessInputSchema,
    permissions: [
      ...MODEL_READ_PERMISSIONS,
      `${INSIGHTS}/Metrics/Read`,
      'Microsoft.OperationalInsights/workspaces/query/read',
    ],
    supportsDryRun: true,
    description: 'Loads model, rule, breaker and approvals; confirms the breach against the metric; plans traffic.',
  }),
  applyStage: entry({
    name: 'model-apply-stage',
    kind: 'activity',
    input: ApplyStageInputSchema,
    permissions: [`${ML}/models/versions/read`, `${ML}/models/versions/write`],
    supportsDryRun: false,
    description: 'Tags the version warden.stage (with evidence) and records the stage on the models row; audited.',
  }),
  moveTraffic: entry({
    name: 'model-move-traffic',
    kind: 'activity',
    input: MoveTrafficInputSchema,
    permissions: [...MODEL_READ_PERMISSIONS, `${ML}/onlineEndpoints/write`],
    supportsDryRun: false,
    description:
      'Re-reads the endpoint, holds quarantined versions at 0% (or restores a release) by a full PUT; audited.',
  }),
  cutAccess: entry({
    name: 'model-cut-access',
    kind: 'activity',
    input: CutAccessInputSchema,
    permissions: [
      `${ML}/onlineEndpoints/read`,
      `${ML}/onlineEndpoints/write`,
      `${ML}/onlineEndpoints/regenerateKeys/action`,
      `${AUTHZ}/roleAssignments/read`,
      `${AUTHZ}/roleDefinitions/read`,
      `${AUTHZ}/roleAssignments/delete`,
    ],
    supportsDryRun: false,
    description:
      'Approved: the endpoint stops serving (all traffic 0%; keys regenerated for key-auth endpoints, score role assignments at the endpoint removed for AADToken ones); audited.',
  }),
  restoreAccess: entry({
    name: 'model-restore-access',
    kind: 'activity',
    input: RestoreAccessInputSchema,
    permissions: [`${AUTHZ}/roleAssignments/read`, `${AUTHZ}/roleAssignments/write`],
    supportsDryRun: false,
    description:
      'Release: recreates the score role assignments an access cut removed from the endpoint (same principal, role, scope and name); audited.',
  }),
  recordApproval: entry({
    name: 'model-record-approval',
    kind: 'activity',
    input: RecordModelApprovalInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'Records an access cut, retire or breaker reset in approvals (idempotent).',
  }),
  audit: entry({
    name: 'model-audit',
    kind: 'activity',
    input: ModelAuditInputSchema,
    permissions: [],
    supportsDryRun: false,
    description: 'Appends an audit entry (decisions that change nothing: dropped, joined, breaker).',
  }),
  notify: entry({
    name: 'model-notify',
    kind: 'activity',
    input: ModelNotifyInputSchema,
    permissions: [],
    supportsDryRun: false,
    description:
      'Publishes a model notification (quarantined, released, retired, breaker tripped, approval requested).',
  }),
  recheck: entry({
    name: 'model-recheck',
    kind: 'activity',
    input: RecheckInputSchema,
    permissions: [`${INSIGHTS}/Metrics/Read`, 'Microsoft.OperationalInsights/workspaces/query/read'],
    supportsDryRun: false,
    description:
      'Sweep re-check: may the version be auto-released (rule allows, metric recovered)? Else the next check time.',
  }),
  syncRule: entry({
    name: 'alerts-sync-rule',
    kind: 'activity',
    input: SyncRuleInputSchema,
    permissions: [
      `${INSIGHTS}/metricAlerts/read`,
      `${INSIGHTS}/metricAlerts/write`,
      `${INSIGHTS}/metricAlerts/delete`,
      `${INSIGHTS}/scheduledQueryRules/read`,
      `${INSIGHTS}/scheduledQueryRules/write`,
      `${INSIGHTS}/scheduledQueryRules/delete`,
      `${INSIGHTS}/actionGroups/read`,
    ],
    supportsDryRun: false,
    description: 'Creates, updates or deletes the Monitor rule of one alert_rules row (idempotent); audited.',
  }),
} as const;

export const MODEL_CATALOG: ReadonlyMap<string, CatalogEntry> = checkCatalog([
  ...Object.values(MODEL_ORCHESTRATIONS),
  ...Object.values(MODEL_ACTIVITIES),
]);

/** One instance per model version (row id) and orchestration: a second signal finds the running one. */
export function modelInstanceId(orchestration: string, id: string): string {
  const key = id.toLowerCase();
  return `${orchestration}-${key.replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-${fnv1a(key)}`;
}
