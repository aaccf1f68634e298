/**
 * The tenant's token-signing key: an RSA key and a self-signed certificate (node-forge) kept under the state dir,
 * published in the JWKS with `kid` = `x5t` = base64url(SHA-1 of the certificate), as Entra ID publishes its keys.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import forge from 'node-forge';

export interface Jwk {
  kty: 'RSA';
  use: 'sig';
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer?: string;
}

export class SigningKey {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
    readonly kid: string,
    private readonly certDerB64: string,
  ) {}

  static loadOrCreate(dir: string, now: Date = new Date()): SigningKey {
    mkdirSync(dir, { recursive: true });
    const keyPath = path.join(dir, 'token-signing-key.pem');
    const certPath = path.join(dir, 'token-signing-cert.pem');
    if (!existsSync(keyPath) || !existsSync(certPath)) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const fkey = forge.pki.privateKeyFromPem(pem);
      const cert = forge.pki.createCertificate();
      cert.publicKey = forge.pki.rsa.setPublicKey(fkey.n, fkey.e);
      cert.serialNumber = '01' + createHash('sha256').update(pem).digest('hex').slice(0, 30);
      cert.validity.notBefore = new Date(now.getTime() - 24 * 3600_000);
      cert.validity.notAfter = new Date(now.getTime() + 5 * 365 * 24 * 3600_000);
      const attrs = [{ name: 'commonName', value: 'accounts.accesscontrol.windows.net (Warden emulator)' }];
      cert.setSubject(attrs);
      cert.setIssuer(attrs);
      cert.sign(fkey, forge.md.sha256.create());
      writeFileSync(keyPath, pem, { mode: 0o600 });
      writeFileSync(certPath, forge.pki.certificateToPem(cert));
    }
    const privateKey = createPrivateKey(readFileSync(keyPath, 'utf8'));
    const certPem = readFileSync(certPath, 'utf8');
    const der = forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(certPem))).getBytes();
    const derBuf = Buffer.from(der, 'binary');
    const kid = createHash('sha1').update(derBuf).digest('base64url');
    return new SigningKey(privateKey, createPublicKey(privateKey), kid, derBuf.toString('base64'));
  }

  jwk(issuer?: string): Jwk {
    const j = this.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    const out: Jwk = { kty: 'RSA', use: 'sig', kid: this.kid, x5t: this.kid, n: j.n, e: j.e, x5c: [this.certDerB64] };
    if (issuer) out.issuer = issuer;
    return out;
  }

  /** A compact RS256 JWS over `claims` (header: typ, alg, x5t, kid). */
  sign(claims: Record<string, unknown>): string {
    const header = { typ: 'JWT', alg: 'RS256', x5t: this.kid, kid: this.kid };
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(this.privateKey).toString('base64url');
    return `${input}.${sig}`;
  }

  /** Verifies the signature and returns header and claims, or undefined when malformed or not signed by this key. */
  verify(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (header.alg !== 'RS256') return undefined;
      const ok = createVerify('RSA-SHA256')
        .update(`${parts[0]}.${parts[1]}`)
        .verify(this.publicKey, Buffer.from(parts[2]!, 'base64url'));
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
      if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
      return { header, claims: claims as Record<string, unknown> };
    } catch {
      return undefined;
    }
  }
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
