import type { Notifier } from '../../cloud/ports/notifier';
import type { SecretVault } from '../../cloud/ports/secret-vault.port';
import type { Clock } from '../../domain/clock';
import type { RotatorName } from '../../domain/metadata/secret-reference.schema';
import type { MetadataStore } from '../../metadata/metadata-store';
import type { RotationCheckSettings } from '../../rotation/check-reference';
import type { ConsumerCheckPort } from '../../rotation/rotation-ports';
import type { Rotator } from '../../rotation/rotators';

/** The ports and stores rotation runs against (built once by the composition root, `functions/secrets`). */
export interface RotationDeps {
  readonly store: MetadataStore;
  readonly vault: SecretVault;
  readonly rotators: Readonly<Record<RotatorName, Rotator>>;
  readonly consumers: ConsumerCheckPort;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly settings: RotationCheckSettings & {
    /** A failed reference is retried by the sweep this long after its last change (ms). */
    readonly failedRetryMs: number;
  };
}

/** Notification types of rotation. */
export const SECRET_NOTIFICATIONS = {
  step: 'Warden.Secret.Rotation',
  rotated: 'Warden.Secret.Rotated',
  failed: 'Warden.Secret.RotationFailed',
  notice: 'Warden.Secret.RotationDue',
  drift: 'Warden.Secret.OutOfBandVersion',
} as const;
