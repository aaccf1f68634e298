/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * A JSON member whose name ends in a secret-ish word (`password`, `clientSecret`, `access_token`, `apiKey`,
 * `AccountKey`, `connectionString`, `credential`, …) and whose value is a string. Names that merely start with such a
 * word (`secretName`, `tokenType`, `keyId`) are identifiers and are kept.
 */
const SECRET_MEMBER =
  /("[A-Za-z0-9_.$-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|account[_-]?key|access[_-]?key|shared[_-]?access[_-]?key|primary[_-]?key|secondary[_-]?key|private[_-]?key|connection[_-]?string|credentials?|authorization|signature)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

/**
 * `Authorization: Bearer …` / `Basic …` values anywhere in the text: 8 or more token characters, at least one of them
 * a digit or symbol, so prose ("Basic validation") is left alone.
 */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}/g;

/** A JWT (three base64url parts, the first two starting with `{"`). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** Key-bearing parts of connection strings and SAS URLs (`AccountKey=…`, `SharedAccessKey=…`, `sig=…`). */
const CONNECTION_PART = /\b(AccountKey|SharedAccessKey|Password|Pwd|sig)=([^;&\s"']+)/gi;

/** A Databricks personal access token. */
const DATABRICKS_PAT = /\bdapi[0-9a-f]{32}(?:-\d+)?\b/g;

/**
 * The text with credential-looking values replaced by {@link REDACTED}.
 *
 * @remarks
 * Used where Warden keeps text it received and could not accept (the poison-message record): such text comes from
 * whoever could send it, so it may carry a token or key by mistake, and the record is readable over the API.
 * Identifiers (secret names, versions, key ids) are kept so the record still explains itself. Pure; the result is
 * never longer than the input by more than the markers.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(SECRET_MEMBER, (_m, name: string) => `${name}"${REDACTED}"`)
    .replace(JWT, REDACTED)
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(CONNECTION_PART, (_m, name: string) => `${name}=${REDACTED}`)
    .replace(DATABRICKS_PAT, REDACTED);
}
