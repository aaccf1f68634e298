import { createHash } from 'node:crypto';

/**
 * A credential's fingerprint: the first 16 hex digits of its SHA-256, prefixed `sha256:`. Audit entries, tags,
 * notifications and orchestration data carry this, never the value; equal fingerprints tell that two copies (the
 * staging secret and the published version) hold the same credential.
 */
export function fingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16)}`;
}
