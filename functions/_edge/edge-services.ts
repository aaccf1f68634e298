import type { DurableClient } from 'durable-functions';

import type { ApiServices } from '../../shared/api/api-services';
import type { RemediationStarter } from '../../shared/api/remediation-starter';
import type { Principal } from '../../shared/auth/principal';

/** What authenticates a bearer header (the EntraTokenValidator). */
export interface BearerAuthenticator {
  authenticate(authorization: string | null | undefined): Promise<Principal>;
}

/** What the HTTP edge needs: the authenticator, the use cases' services and its limits. */
export interface EdgeServices {
  readonly authenticator: BearerAuthenticator;
  readonly api: ApiServices;
  /**
   * Builds the remediation starter over the invocation's durable client (routes declaring `durableClient`); when
   * absent, `api.remediations` is used as composed.
   */
  readonly remediationsFor?: (client: DurableClient) => RemediationStarter;
  /**
   * Adds an area's commands over the invocation's durable client to the API services (routes declaring
   * `durableClient`): the enforcement, model and rotation commands.
   */
  readonly apiFor?: (api: ApiServices, client: DurableClient) => ApiServices;
  /** Largest JSON body accepted, bytes (413 beyond). */
  readonly bodyLimitBytes: number;
}

/** Resolves the edge services (built once, lazily, by the composition root). */
export type EdgeServicesProvider = () => Promise<EdgeServices>;

/** Default JSON body limit: metadata rows are small; 256 KiB leaves room for long consumer lists. */
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
