/**
 * The `warden` CLI's exit codes (documented in docs/cli.md) and the one error type every command throws: a message
 * for people and the exit code scripts branch on.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** Anything else: the API failed (5xx), an unexpected answer, a local I/O error. */
  failure: 1,
  /** Usage: unknown command or flag, a missing argument, a malformed file; the API refused the input (400/413/415). */
  usage: 2,
  /** Authentication: not logged in, the session expired, the token was refused (401), a missing app role (403). */
  auth: 3,
  /** Not found (404). */
  notFound: 4,
  /** Conflict: the row changed since it was read (412), exists already or was decided already (409), 428. */
  conflict: 5,
  /** Refused by a guardrail or the four-eyes rule (403 with a guardrail code). */
  refused: 6,
  /** The command's route is not in this Warden deployment's OpenAPI document. */
  notAvailable: 7,
  /** A followed remediation ended Failed, Terminated or Canceled, or the wait timed out. */
  remediationFailed: 8,
  /** `audit verify`: the hash chain does not hold. */
  auditBroken: 9,
  /** The API (or the emulator) could not be reached. */
  unreachable: 10,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one message (never a stack) with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Extra lines (field issues, hints) printed under the message. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, details: readonly string[] = []): CliError =>
  new CliError(message, EXIT.usage, details);

/** A problem+json body as Warden returns it (RFC 9457 plus Warden's `code`, `correlationId` and `errors`). */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly correlationId?: string;
  readonly errors?: readonly { path: string; message: string }[];
}

export function asProblem(body: unknown): Problem | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const p = body as Record<string, unknown>;
  if (typeof p.status !== 'number' && typeof p.title !== 'string' && typeof p.detail !== 'string') return undefined;
  return p;
}

/** The app role a 403 `missing_role` problem names (`Warden.Auditor`, …). */
export function missingRoleOf(problem: Problem | undefined): string | undefined {
  if (!problem || problem.code !== 'missing_role') return undefined;
  return /\b(Warden\.[A-Za-z]+|ActionGroupsSecureWebhook)\b/.exec(problem.detail ?? '')?.[1];
}

/** What a failed HTTP answer means for the person at the terminal, and its exit code. */
export function errorFromResponse(
  what: string,
  status: number,
  body: unknown,
  context: { who?: string; wwwAuthenticate?: string | null } = {},
): CliError {
  const problem = asProblem(body);
  const detail = problem?.detail ?? (typeof body === 'string' && body.length < 500 ? body : undefined);
  const details: string[] = (problem?.errors ?? []).map((e) => `${e.path || '(body)'}: ${e.message}`);
  if (problem?.correlationId) details.push(`correlation id: ${problem.correlationId}`);
  const because = detail ? `: ${detail}` : '';
  switch (status) {
    case 400:
    case 413:
    case 415:
      // The field issues are listed under the message; the detail repeats them.
      return new CliError(
        `${what} was refused as invalid (${status})${problem?.errors?.length ? ':' : because}`,
        EXIT.usage,
        details,
      );
    case 401: {
      const reason = /error_description="([^"]*)"/.exec(context.wwwAuthenticate ?? '')?.[1] ?? detail;
      return new CliError(
        `${what}: the API did not accept your session${reason ? ` (${reason})` : ''}. Run \`warden login\` again.`,
        EXIT.auth,
        details,
      );
    }
    case 403: {
      const role = missingRoleOf(problem);
      if (role)
        return new CliError(
          `${what} needs the app role ${role}, which ${context.who ?? 'your identity'} does not hold. Ask a Warden administrator to assign it (an app role assignment on Warden's API app registration), then log in again.`,
          EXIT.auth,
          details,
        );
      return new CliError(
        `${what} was refused${problem?.code ? ` (${problem.code})` : ''}${because}`,
        EXIT.refused,
        details,
      );
    }
    case 404:
      return new CliError(`${what}: not found${because}`, EXIT.notFound, details);
    case 409:
      return new CliError(`${what}: conflict${because}`, EXIT.conflict, details);
    case 412:
      return new CliError(
        `${what}: it changed since you read it${because}. Read it again (\`get\`), re-apply your change and retry.`,
        EXIT.conflict,
        details,
      );
    case 428:
      return new CliError(`${what}: the API needs the version you read (If-Match)${because}`, EXIT.conflict, details);
    default:
      return new CliError(`${what} failed (HTTP ${status})${because}`, EXIT.failure, details);
  }
}
