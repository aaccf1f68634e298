/**
 * Errors a handler throws to answer with Azure's error bodies. The server turns an {@link EmulatorHttpError} into
 * its status, headers and body; anything else becomes a 500 `InternalServerError` (a bug, logged).
 */
import { randomUUID } from 'node:crypto';

export class EmulatorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(describe(status, body));
    this.name = 'EmulatorHttpError';
  }
}

function describe(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { error?: unknown; error_description?: unknown };
    if (b.error && typeof b.error === 'object') {
      const e = b.error as { code?: unknown; message?: unknown };
      return `${status} ${String(e.code)}: ${String(e.message)}`;
    }
    if (typeof b.error === 'string') return `${status} ${b.error}: ${String(b.error_description)}`;
  }
  return `HTTP ${status}`;
}

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** ARM's error: `{"error":{"code","message","target"?,"details"?}}` (also used by Event Grid and Monitor). */
export function armError(
  status: number,
  code: string,
  message: string,
  extra: { target?: string; details?: ArmErrorDetail[]; headers?: Record<string, string> } = {},
): EmulatorHttpError {
  const error: Record<string, unknown> = { code, message };
  if (extra.target !== undefined) error.target = extra.target;
  if (extra.details !== undefined) error.details = extra.details;
  return new EmulatorHttpError(status, { error }, extra.headers);
}

/**
 * Entra ID's OAuth error body (`{"error","error_description","error_codes",...}`), as the v1/v2 token endpoints send
 * it. `aadsts` is the AADSTS number, e.g. 7000215 (invalid client secret), 700016 (unknown app), 90002 (tenant).
 */
export function entraError(
  status: number,
  error: string,
  aadsts: number,
  description: string,
  timestamp: string,
): EmulatorHttpError {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return new EmulatorHttpError(status, {
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp: timestamp.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    trace_id: traceId,
    correlation_id: correlationId,
  });
}

/**
 * 501 for an operation the emulator knows exists in Azure but does not implement (never a fake success, never a
 * 500, which the SDK pipelines would retry). The message names the operation.
 */
export function notImplemented(operation: string, why?: string): EmulatorHttpError {
  return armError(
    501,
    'EmulatorNotImplemented',
    `The local Azure emulator does not implement ${operation}${why ? `: ${why}` : ''}.`,
  );
}

/** 400 for a request the emulator refuses because it lies outside the supported surface (a filter, a field). */
export function unsupported(what: string): EmulatorHttpError {
  return armError(400, 'EmulatorUnsupported', `The local Azure emulator does not support ${what}.`);
}
