import { WardenError } from '../../domain/errors';

/**
 * Azure refused a call because Warden's identity lacks the right (ARM 403 `AuthorizationFailed`, or a custom role
 * not assignable at the scope). Permanent until someone changes Warden's grants in `infra/`: activities audit it and
 * report it; durable retry must not loop on it.
 */
export class CloudAuthorizationError extends WardenError {
  readonly code = 'CLOUD_AUTHORIZATION_FAILED';
  constructor(
    /** The ARM action that was refused, when ARM named it (e.g. `Microsoft.Authorization/roleAssignments/write`). */
    readonly action: string | undefined,
    /** The scope it was refused on. */
    readonly scope: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
