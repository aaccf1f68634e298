/**
 * Warden's error vocabulary. Every error has a stable `code` (for problem+json `type`, logs and tests) and a
 * message that names what was wrong. Messages never carry secret values.
 *
 * @remarks
 * Imitates `azure-functions-nodejs-library` `src/errors.ts`: a short class family plus {@link ensureError} for
 * anything caught. The HTTP edge maps: ValidationError → 400, NotFoundError → 404, ConflictError → 409,
 * PreconditionFailedError → 412, TransientCloudError → 503 (and activities rethrow it so durable retry sees it).
 */
export abstract class WardenError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem with one field of an input. `path` is dotted (`rotator_config.workspaceResourceId`). */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** An input failed validation; `issues` name each field and what was wrong with it. */
export class ValidationError extends WardenError {
  readonly code = 'VALIDATION_FAILED';
  readonly issues: readonly FieldIssue[];
  constructor(subject: string, issues: readonly FieldIssue[]) {
    super(`${subject} is invalid: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
    this.issues = issues;
  }
}

/** The addressed thing does not exist. */
export class NotFoundError extends WardenError {
  readonly code: string = 'NOT_FOUND';
  constructor(
    readonly kind: string,
    readonly key: string,
  ) {
    super(`${kind} '${key}' does not exist`);
  }
}

/** The write conflicts with the current state (e.g. creating a row that already exists). */
export class ConflictError extends WardenError {
  readonly code: string = 'CONFLICT';
}

/**
 * A version check failed: the caller's `version` (HTTP `If-Match`) is not the stored one. A conflict too, so
 * `instanceof ConflictError` holds; the code tells them apart.
 */
export class PreconditionFailedError extends ConflictError {
  override readonly code: string = 'PRECONDITION_FAILED';
  constructor(
    readonly kind: string,
    readonly key: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      actualVersion === undefined
        ? `${kind} '${key}' was expected at version ${expectedVersion} but no longer exists`
        : `${kind} '${key}' is at version ${actualVersion}, not ${expectedVersion}: re-read and retry`,
    );
  }
}

/** A cloud or database call failed in a way that may succeed when retried (throttling, 5xx, busy lock). */
export class TransientCloudError extends WardenError {
  readonly code = 'TRANSIENT';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Anything caught, as an Error (non-errors are wrapped with their string form). */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return new Error(`Non-error thrown: ${text}`);
}
