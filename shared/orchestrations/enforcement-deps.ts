import type { Notifier } from '../cloud/ports/notifier';
import type { ResourceNetworkPort } from '../cloud/ports/resource-network.port';
import type { RoleAssignmentsPort } from '../cloud/ports/role-assignments.port';
import type { BlastRadiusLimits } from '../domain/access/blast-radius';
import type { FightSettings } from '../domain/access/detect-fight';
import type { Clock } from '../domain/clock';
import type { WardenDependency } from '../domain/network/plan-network-posture';
import type { MetadataStore } from '../metadata/metadata-store';

/** Settings of the enforcement remediations (validated by `shared/config/`, passed in by the composition root). */
export interface EnforcementSettings {
  /** Warden's own principal ids (managed identity, API service principal): never touched. */
  readonly wardenPrincipalIds: readonly string[];
  /** The global kill switch: every remediation plans and audits only. */
  readonly killSwitch: boolean;
  readonly limits: BlastRadiusLimits;
  /** Resource ids of raw-data stores (inference-only principals get no data-plane read on them). */
  readonly rawDataStores: readonly string[];
  /** The resources Warden depends on (its vault, its database) and how it reaches them. */
  readonly wardenDependencies: readonly WardenDependency[];
  readonly fight: FightSettings;
  /** How long an approval of a plan stays usable after its decision (ms). */
  readonly approvalValidityMs: number;
  /** Steps applied at once by one run. */
  readonly parallelism: number;
}

export const DEFAULT_ENFORCEMENT_SETTINGS: Omit<
  EnforcementSettings,
  'wardenPrincipalIds' | 'rawDataStores' | 'wardenDependencies'
> = {
  killSwitch: false,
  limits: { maxDeletes: 10, maxDeleteShare: 0.5, shareAppliesFrom: 10, maxResourcesChanged: 20 },
  fight: { threshold: 5, windowMs: 60_000 },
  approvalValidityMs: 24 * 3_600_000,
  parallelism: 4,
};

/** The ports and stores the enforcement activities run against (built once by the composition root). */
export interface EnforcementDeps {
  readonly roleAssignments: RoleAssignmentsPort;
  readonly network: ResourceNetworkPort;
  readonly store: MetadataStore;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly settings: EnforcementSettings;
}
