import type { DeploymentInfo } from '../../domain/models/traffic-plan';

export interface ModelVersionRef {
  /** The Azure ML workspace's ARM id. */
  readonly workspaceId: string;
  readonly name: string;
  readonly version: string;
}

export interface OnlineEndpointState {
  readonly id: string;
  readonly location: string;
  /** `Key`, `AMLToken` or `AADToken`. */
  readonly authMode: string;
  readonly traffic: Readonly<Record<string, number>>;
  readonly deployments: readonly DeploymentInfo[];
}

/**
 * Azure ML model versions (Warden's stage lives in `properties.tags`, `warden.stage`; API 2022-10-01 has no stage
 * field) and online endpoints (traffic per deployment; changed only by a full PUT of the endpoint read just before).
 * Failures are typed like the ARM adapters'.
 */
export interface ModelRegistryPort {
  /** The version's tags; undefined when the version does not exist. */
  getVersionTags(ref: ModelVersionRef): Promise<Readonly<Record<string, string>> | undefined>;
  /** Merges tags into the version (null removes a tag): GET, then PUT of the whole version. Returns the new tags. */
  setVersionTags(ref: ModelVersionRef, tags: Readonly<Record<string, string | null>>): Promise<Record<string, string>>;
  /** The endpoint with its deployments (and the versions they serve); undefined when it does not exist. */
  getEndpoint(endpointId: string): Promise<OnlineEndpointState | undefined>;
  /** Sets the endpoint's traffic by a full PUT of the endpoint as just read; returns the traffic Azure reports. */
  setTraffic(endpointId: string, traffic: Readonly<Record<string, number>>): Promise<Record<string, number>>;
  /** Regenerates both keys of a key-auth endpoint (cuts every caller holding a key). */
  regenerateKeys(endpointId: string): Promise<void>;
}

/** The workspace id of an online endpoint id. */
export function workspaceOf(endpointId: string): string {
  const i = endpointId.toLowerCase().indexOf('/onlineendpoints/');
  return i < 0 ? endpointId : endpointId.slice(0, i);
}
