import type { Notifier } from '../cloud/ports/notifier';
import type { Clock } from '../domain/clock';
import type { MetadataStore } from '../metadata/metadata-store';
import type { EnforcementCommands } from './enforcement/enforcement-commands';
import type { OrchestrationQuery } from './orchestrations/orchestration-query';
import type { RemediationStarter } from './remediation-starter';

/** Settings the API's use cases read (validated at composition). */
export interface ApiSettings {
  /** Warden's own principal ids (its managed identity, its API's service principal): never the subject of a policy. */
  readonly wardenPrincipalIds: readonly string[];
  /** The global kill switch: every remediation runs report-only while it is engaged. */
  readonly killSwitch: boolean;
  /** The app's version (package.json). */
  readonly appVersion: string;
}

/** The dependencies of the API's use cases (built once by the composition root). */
export interface ApiServices {
  readonly store: MetadataStore;
  readonly notifier: Notifier;
  readonly remediations: RemediationStarter;
  readonly clock: Clock;
  readonly settings: ApiSettings;
  /** A new unique id (approval ids, event ids). */
  readonly newId: () => string;
  /** The durable engine's view of orchestrations (per invocation, from the durable client binding). */
  readonly orchestrations?: OrchestrationQuery;
  /** Dry-run plans and start-or-requeue of the enforcement remediations (per invocation, over its durable client). */
  readonly enforcement?: EnforcementCommands;
  /** Reports a failure that must not fail the request (a notification that could not be sent). */
  readonly reportError?: (event: string, error: unknown, fields?: Record<string, unknown>) => void;
}
