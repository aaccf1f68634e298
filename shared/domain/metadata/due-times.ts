/** Rotation is scheduled this long before the current version's vault expiry, so consumers never see it lapse. */
export const ROTATION_LEAD_BEFORE_EXPIRY_MS = 24 * 3600_000;
/** A quarantined version is re-checked this long after quarantine unless the quarantine set its own time. */
export const QUARANTINE_RECHECK_MS = 3600_000;

const DAY_MS = 24 * 3600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

export interface RotationInputs {
  readonly interval_days: number;
  /** When Warden last rotated it; null if never. */
  readonly last_rotated_at: string | null;
  /** When the reference was first recorded (the anchor for a never-rotated secret). */
  readonly created_at: string;
  /** The current version's expiry in the vault, if any. */
  readonly current_expires_at: string | null;
  readonly status: string;
}

/**
 * When the secret is next due for rotation: `interval_days` after the last rotation (or after it was recorded), or
 * {@link ROTATION_LEAD_BEFORE_EXPIRY_MS} before the vault expiry of the current version if that is earlier.
 * A disabled reference is never due.
 */
export function nextRotationAt(ref: RotationInputs): string | null {
  if (ref.status === 'disabled') return null;
  const anchor = Date.parse(ref.last_rotated_at ?? ref.created_at);
  let due = anchor + ref.interval_days * DAY_MS;
  if (ref.current_expires_at !== null)
    due = Math.min(due, Date.parse(ref.current_expires_at) - ROTATION_LEAD_BEFORE_EXPIRY_MS);
  return iso(due);
}

/**
 * When owners are told that a rotation is coming: `notify_before_days` before the rotation. Key Vault's own
 * near-expiry event fires only 30 days ahead, so every reference keeps its own notice time. None when
 * `notify_before_days` is 0 or no rotation is due.
 */
export function nextNoticeAt(nextRotation: string | null, notifyBeforeDays: number): string | null {
  if (nextRotation === null || notifyBeforeDays <= 0) return null;
  return iso(Date.parse(nextRotation) - notifyBeforeDays * DAY_MS);
}

/**
 * When the sweep re-checks a model version: only quarantined versions are re-checked; an explicit time (set by the
 * quarantine from its rule's windows) is kept, otherwise {@link QUARANTINE_RECHECK_MS} from now.
 */
export function nextCheckAt(stage: string, requested: string | null, now: Date): string | null {
  if (stage !== 'Quarantined') return null;
  return requested ?? iso(now.getTime() + QUARANTINE_RECHECK_MS);
}
