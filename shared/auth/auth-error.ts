/**
 * An authentication (401) or authorisation (403) failure. The message is safe to return to the caller: it never
 * contains the token or any claim value beyond what the caller sent.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly status: 401 | 403,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The RFC 6750 challenge for a 401 response. */
  wwwAuthenticate(realm: string): string {
    const error =
      this.code === 'missing_token'
        ? ''
        : `, error="invalid_token", error_description="${this.message.replace(/"/g, "'")}"`;
    return `Bearer realm="${realm}"${error}`;
  }
}
