import { AuthError } from '../../shared/auth/auth-error';
import {
  ConflictError,
  type FieldIssue,
  NotFoundError,
  PreconditionFailedError,
  TransientCloudError,
  ValidationError,
  WardenError,
} from '../../shared/domain/errors';
import { GuardrailRefusedError } from '../../shared/domain/guardrails/guardrail-refused-error';
import { PayloadTooLargeError, PreconditionRequiredError, UnsupportedMediaTypeError } from './edge-errors';

/** The media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** The realm of the bearer challenge. */
export const AUTH_REALM = 'warden';

/** An RFC 9457 problem details body. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  /** Warden's stable error code (`VALIDATION_FAILED`, `missing_role`, …). */
  readonly code: string;
  readonly correlationId?: string;
  readonly errors?: readonly FieldIssue[];
}

/** A mapped error: status, headers and body. */
export interface Problem {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: ProblemBody;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  428: 'Precondition Required',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const typeUri = (code: string): string => `urn:warden:problem:${code.toLowerCase().replace(/_/g, '-')}`;

function statusOf(e: unknown): number {
  if (e instanceof AuthError) return e.status;
  if (e instanceof ValidationError) return 400;
  if (e instanceof GuardrailRefusedError) return 403;
  if (e instanceof NotFoundError) return 404;
  if (e instanceof PreconditionFailedError) return 412;
  if (e instanceof ConflictError) return 409;
  if (e instanceof PayloadTooLargeError) return 413;
  if (e instanceof UnsupportedMediaTypeError) return 415;
  if (e instanceof PreconditionRequiredError) return 428;
  if (e instanceof TransientCloudError) return 503;
  return 500;
}

/**
 * THE mapping of errors to `application/problem+json` (RFC 9457): type, title, status, detail, instance, Warden's
 * code, the correlation id and, for validation and guardrail failures, `errors: [{path, message}]`.
 *
 * @remarks
 * Only Warden's own errors contribute their message (they are written to be safe to show: they name fields and
 * received values, never secrets or tokens). Anything else becomes a 500 (or a 503 when the identity provider is
 * unreachable) with a generic detail: never a stack, never an internal message.
 */
export function toProblem(error: unknown, context: { instance?: string; correlationId?: string } = {}): Problem {
  const status = statusOf(error);
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' };
  let code: string;
  let detail: string;
  let errors: readonly FieldIssue[] | undefined;
  if (error instanceof AuthError) {
    code = error.code;
    detail = error.message;
    if (status === 401) headers['www-authenticate'] = error.wwwAuthenticate(AUTH_REALM);
  } else if (error instanceof WardenError && status !== 500) {
    code = error.code;
    detail = error.message;
    if (error instanceof ValidationError || error instanceof GuardrailRefusedError) errors = error.issues;
    if (error instanceof TransientCloudError && error.retryAfterMs !== undefined)
      headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  } else {
    code = 'INTERNAL';
    detail = 'An unexpected error occurred; quote the correlation id when reporting it.';
  }
  const body: ProblemBody = {
    type: typeUri(code),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(context.instance !== undefined ? { instance: context.instance } : {}),
    ...(context.correlationId !== undefined ? { correlationId: context.correlationId } : {}),
    ...(errors !== undefined ? { errors } : {}),
  };
  return { status, headers, body };
}
