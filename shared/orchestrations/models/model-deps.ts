import type { AlertRulesPort } from '../../cloud/ports/alert-rules.port';
import type { MetricsPort } from '../../cloud/ports/metrics.port';
import type { ModelRegistryPort } from '../../cloud/ports/model-registry.port';
import type { Notifier } from '../../cloud/ports/notifier';
import type { RoleAssignmentsPort } from '../../cloud/ports/role-assignments.port';
import type { Clock } from '../../domain/clock';
import type { BreakerSettings } from '../../domain/models/circuit-breaker';
import type { MetadataStore } from '../../metadata/metadata-store';

/** Settings of the model orchestrations (validated by shared/config, passed in by the composition root). */
export interface ModelSettings {
  /** The action group every synced Monitor rule notifies (WARDEN_ALERT_ACTION_GROUP_ID); undefined → sync refuses. */
  readonly actionGroupId: string | undefined;
  readonly breaker: BreakerSettings;
  /** How long an approval stays usable after its decision (ms). */
  readonly approvalValidityMs: number;
  /** How long after a failed re-check the next one is due (ms). */
  readonly recheckMs: number;
  /** The global kill switch: decisions are audited, nothing is changed. */
  readonly killSwitch: boolean;
}

export interface ModelDeps {
  readonly registry: ModelRegistryPort;
  /** Role assignments (the access-enforcement adapter): the access cut of AADToken endpoints and its restore. */
  readonly roleAssignments: RoleAssignmentsPort;
  readonly metrics: MetricsPort;
  readonly alertRules: AlertRulesPort;
  readonly store: MetadataStore;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly settings: ModelSettings;
}

/** The actor of Warden's own writes to `models` rows (the SQL trigger on models skips them: no feedback loop). */
export function wardenActor(what: string, onBehalfOf: string): string {
  return `warden (${what} for ${onBehalfOf})`.slice(0, 256);
}

export function isWardenActor(actor: string): boolean {
  return actor.startsWith('warden (');
}
