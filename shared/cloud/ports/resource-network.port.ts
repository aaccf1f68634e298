import type { NetworkChange, NetworkPosture } from '../../domain/network/network-posture';

export type {
  IntegrationRuntimeRef,
  NetworkChange,
  NetworkPosture,
  PrivateEndpointConnection,
} from '../../domain/network/network-posture';

/**
 * The network posture of governed resources: public network access, firewall default action and IP rules, private
 * endpoint connections (as the target resource reports them — no separate network client), and the integration
 * runtime a Data Factory linked service connects via.
 *
 * @remarks
 * Each resource type is changed the way its API allows: storage accounts by PATCH (`@azure/arm-storage`), Key Vault,
 * Azure ML workspaces and SQL servers by a generic PATCH, Databricks workspaces (PATCH carries tags only) and Data
 * Factory linked services (no PATCH at all) by a PUT of the whole resource read just before. A change the type
 * cannot express (IP rules on a SQL server, a runtime on a storage account) is a `ValidationError`, never a silent
 * no-op. Failures are typed as for `RoleAssignmentsPort`.
 */
export interface ResourceNetworkPort {
  /** Reads the posture; undefined when the resource does not exist (404). */
  read(resourceId: string): Promise<NetworkPosture | undefined>;

  /** Applies the change (re-reading the resource first where a PUT needs the whole body) and returns the new posture. */
  apply(resourceId: string, change: NetworkChange): Promise<NetworkPosture>;
}
