/**
 * Warden's view of a resource's network posture, free of SDK types: what the `ResourceNetwork` port reads and
 * changes, and what the network planner compares with a `network_rules` row.
 */

/** A private endpoint connection as the target resource reports it. */
export interface PrivateEndpointConnection {
  /** The connection's name on the resource (e.g. `pe-stfraudraw-blob.c3f1`). */
  readonly name: string;
  /** The private endpoint's ARM id (null if the resource does not say). */
  readonly privateEndpointId: string | null;
  /** `Approved` | `Pending` | `Rejected` | `Disconnected` (as reported). */
  readonly status: string;
}

/** The integration runtime a Data Factory linked service connects via. */
export interface IntegrationRuntimeRef {
  /** `azure` (AutoResolveIntegrationRuntime, or no `connectVia`) or `self-hosted`. */
  readonly kind: 'azure' | 'self-hosted';
  /** The runtime's reference name (`AutoResolveIntegrationRuntime` for the Azure one). */
  readonly name: string;
}

/** What Warden governs of a resource's network posture. `null` marks a setting the resource type does not have. */
export interface NetworkPosture {
  readonly resourceId: string;
  readonly resourceType: string;
  readonly publicNetworkAccess: 'Enabled' | 'Disabled' | 'SecuredByPerimeter' | null;
  /** Firewall default action (`networkAcls.defaultAction`), null when the type has no firewall. */
  readonly defaultAction: 'Allow' | 'Deny' | null;
  /** Allowed IP ranges, null when the type has no IP rules Warden can change. */
  readonly ipRules: readonly string[] | null;
  readonly privateEndpointConnections: readonly PrivateEndpointConnection[];
  /** Data Factory linked services only. */
  readonly integrationRuntime: IntegrationRuntimeRef | null;
  /** Resource tags (for classification such as `data-classification: raw-*`). */
  readonly tags: Readonly<Record<string, string>>;
}

/** A change to a resource's network posture; absent fields are left as they are. */
export interface NetworkChange {
  readonly publicNetworkAccess?: 'Enabled' | 'Disabled';
  readonly defaultAction?: 'Allow' | 'Deny';
  readonly ipRules?: readonly string[];
  /** `azure` or `self-hosted:<name>` (the `network_rules.integration_runtime` form). */
  readonly integrationRuntime?: string;
}

/** The name of Data Factory's Azure integration runtime. */
export const AZURE_INTEGRATION_RUNTIME = 'AutoResolveIntegrationRuntime';
