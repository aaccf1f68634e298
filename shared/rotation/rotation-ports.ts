/**
 * The services the rotators and consumer tests call besides Key Vault (ports; Azure adapters in
 * `shared/cloud/azure/`, fakes for unit tests only). Credential values cross these interfaces as plain strings and
 * never appear in their errors.
 */

/** A storage account's two access keys (ARM `listKeys` / `regenerateKey`). */
export interface StorageAccountKeysPort {
  listKeys(accountResourceId: string): Promise<readonly { readonly keyName: string; readonly value: string }[]>;
  /** Regenerates one key and returns its new value. */
  regenerateKey(accountResourceId: string, keyName: 'key1' | 'key2'): Promise<string>;
}

/** A Databricks personal access token as issued (the value only at creation). */
export interface IssuedToken {
  readonly tokenId: string;
  readonly value: string;
  /** ISO; null when it never expires. */
  readonly expiresAt: string | null;
}

/** Databricks token management on a workspace's data plane (Warden's identity is a workspace admin). */
export interface DatabricksTokensPort {
  /** Issues a token on behalf of a service principal (token-management on-behalf-of). */
  createOnBehalfOf(
    workspaceResourceId: string,
    applicationId: string,
    lifetimeSeconds: number,
    comment: string,
  ): Promise<IssuedToken>;
  /** Revokes a token by id; no-op when it is already gone. */
  deleteToken(workspaceResourceId: string, tokenId: string): Promise<void>;
}

/** A credential issuer endpoint (the `http` rotator): issues and revokes credentials. */
export interface CredentialIssuerPort {
  issue(
    baseUrl: string,
    audience: string,
    request: { readonly comment: string; readonly lifetimeSeconds: number | undefined },
  ): Promise<{ readonly id: string; readonly value: string; readonly expiresAt: string | null }>;
  /** Revokes by id; no-op when it is already gone. */
  revoke(baseUrl: string, audience: string, id: string): Promise<void>;
}

/** The result of testing a credential against one consumer. */
export interface ConsumerCheck {
  readonly ok: boolean;
  /** Status and reason, never the credential. */
  readonly detail: string;
  /** What the consumer reported as the version it uses (vault readers). */
  readonly version?: string | null;
}

/** Does this credential work against this consumer now (per consumer kind). */
export interface ConsumerCheckPort {
  /** `value` undefined for kinds that read the vault themselves (`vault-reader`). */
  check(
    consumer: Readonly<Record<string, unknown>> & { kind: string },
    value: string | undefined,
  ): Promise<ConsumerCheck>;
}
