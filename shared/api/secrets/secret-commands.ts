import type { RotationStartOutcome } from '../../orchestrations/secrets/start-rotate-secret';
import type { RotationCheckSettings } from '../../rotation/check-reference';
import type { ApiServices } from '../api-services';

/** What `POST /api/secrets/{id}/rotate` needs besides the store (per invocation, over its durable client). */
export interface SecretCommands {
  readonly settings: RotationCheckSettings;
  startRotation(request: {
    readonly referenceId: string;
    readonly correlationId: string;
    readonly requestedBy: string;
    readonly reason: string;
  }): Promise<RotationStartOutcome>;
}

/** The API services with rotation's commands (added by `functions/secrets` for its routes). */
export type SecretApiServices = ApiServices & { readonly secrets?: SecretCommands };

/** Key Vault's public-cloud DNS suffix: the dry run's vault check when no settings are composed. */
export const DEFAULT_ROTATION_CHECK_SETTINGS: RotationCheckSettings = { keyVaultDnsSuffix: 'vault.azure.net' };
