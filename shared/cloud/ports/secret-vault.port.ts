/**
 * Key Vault secrets as Warden's rotation uses them: the properties of versions (never values), setting a new version
 * with its attributes and tags, updating a version's properties, reading a value only where a step needs it, and
 * removing the staging secret.
 *
 * @remarks
 * Vaults are addressed by their real base URI as metadata holds it (`https://kv-fraud-ml.vault.azure.net/`); the
 * adapter maps the host to the emulator's origin locally (WARDEN_HOST_OVERRIDES). Failures are typed: 403 →
 * `CloudAuthorizationError` (permanent), 408/429/5xx and socket errors → `TransientCloudError`, other 4xx →
 * `ValidationError`. Values are returned as plain strings to the caller and never appear in errors or logs.
 */
export interface SecretVersionProperties {
  readonly vaultUri: string;
  readonly name: string;
  /** 32 hex digits. */
  readonly version: string;
  readonly enabled: boolean;
  /** ISO instants, or null when the attribute is not set. */
  readonly expiresOn: string | null;
  readonly notBefore: string | null;
  readonly createdOn: string | null;
  readonly updatedOn: string | null;
  readonly contentType: string | null;
  readonly tags: Readonly<Record<string, string>>;
}

/** Attributes of a new version. */
export interface SetSecretOptions {
  readonly contentType?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly expiresOn?: string | null;
  readonly notBefore?: string | null;
}

/** A change to one version's properties (unset fields are left as they are). */
export interface SecretPropertiesPatch {
  readonly enabled?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
  readonly expiresOn?: string | null;
  readonly contentType?: string;
}

export interface SecretVault {
  /**
   * The properties of one version, or of the latest version (the one a reader without a version gets) when
   * `version` is omitted; undefined when the secret (or version) does not exist.
   */
  getProperties(vaultUri: string, name: string, version?: string): Promise<SecretVersionProperties | undefined>;

  /** Every version's properties, newest first (by creation time). Empty when the secret does not exist. */
  listVersions(vaultUri: string, name: string): Promise<SecretVersionProperties[]>;

  /** The value of one version (latest when omitted), or undefined when it does not exist. Only for steps that need it. */
  getValue(vaultUri: string, name: string, version?: string): Promise<string | undefined>;

  /** Sets a new version (a soft-deleted secret of that name is purged or recovered first). */
  setSecret(vaultUri: string, name: string, value: string, options: SetSecretOptions): Promise<SecretVersionProperties>;

  updateProperties(
    vaultUri: string,
    name: string,
    version: string,
    patch: SecretPropertiesPatch,
  ): Promise<SecretVersionProperties>;

  /** Deletes the secret (all versions) and purges it where the vault allows; no-op when it does not exist. */
  removeSecret(vaultUri: string, name: string): Promise<void>;
}
