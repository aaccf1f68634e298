/**
 * The OAuth 2.0 device authorization grant (RFC 8628) as the Microsoft identity platform serves it
 * (`POST /{tenant}/oauth2/v2.0/devicecode`, then `grant_type=urn:ietf:params:oauth:grant-type:device_code` on the v2
 * token endpoint). There is no sign-in page: a person "types the code in a browser" through the admin API
 * (`POST /admin/entra/devicecode/complete`), which approves or declines the pending code for a seeded user.
 *
 * Codes live in memory (a restarted emulator forgets pending sign-ins, as a client would see a lost code). Expiry is on
 * the emulator clock; polling pace is not enforced (Entra documents no `slow_down` for this flow).
 */
import { randomBytes, randomInt } from 'node:crypto';

import type { EmulatorClock } from '../core/module';
import type { ResolvedResource } from './token-service';

/** The grant type of RFC 8628 and Entra's documentation; MSAL sends the short form `device_code`, also accepted. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const DEVICE_CODE_GRANTS: readonly string[] = [DEVICE_CODE_GRANT, 'device_code'];
/** Entra's defaults: 15 minutes to sign in, poll every 5 seconds. */
export const DEVICE_CODE_LIFETIME_SECONDS = 900;
export const DEVICE_CODE_INTERVAL_SECONDS = 5;
/** How long a finished or expired code is still answered with its own error before it is forgotten. */
const RETAIN_MS = 60 * 60 * 1000;
/** At most this many live codes (a runaway client gets 429, as Entra throttles). */
export const MAX_DEVICE_CODES = 1000;

/** User codes: 9 characters without look-alikes (0/O, 1/I/L), as Entra's `user_code`. */
const USER_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const USER_CODE_LENGTH = 9;

export type DeviceCodeState = 'pending' | 'approved' | 'declined' | 'redeemed';

export interface DeviceCodeFlow {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  /** The requested resource (the scope minus `/.default` or its permission name). */
  readonly resourceName: string;
  readonly resource: ResolvedResource;
  /** OpenID Connect scopes asked for (`openid`, `profile`, `email`); `openid` gets an id_token. */
  readonly oidcScopes: readonly string[];
  /** Emulator-clock milliseconds. */
  readonly createdAt: number;
  readonly expiresAt: number;
  state: DeviceCodeState;
  /** The user who approved (or declined) the code. */
  userId?: string;
  finishedAt?: number;
}

/** Normalises what a person types: case, spaces and dashes do not matter. */
export function normalizeUserCode(code: string): string {
  return code.replace(/[\s-]+/g, '').toUpperCase();
}

export class DeviceCodes {
  private readonly byDeviceCode = new Map<string, DeviceCodeFlow>();
  private readonly byUserCode = new Map<string, DeviceCodeFlow>();

  constructor(private readonly clock: EmulatorClock) {}

  /** Starts a sign-in; undefined when too many codes are live. */
  start(input: {
    clientId: string;
    resourceName: string;
    resource: ResolvedResource;
    oidcScopes: readonly string[];
  }): DeviceCodeFlow | undefined {
    this.prune();
    if (this.byDeviceCode.size >= MAX_DEVICE_CODES) return undefined;
    const now = this.clock.now();
    let userCode: string;
    do {
      userCode = Array.from(
        { length: USER_CODE_LENGTH },
        () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)],
      ).join('');
    } while (this.byUserCode.has(userCode));
    const flow: DeviceCodeFlow = {
      deviceCode: randomBytes(96).toString('base64url'),
      userCode,
      clientId: input.clientId,
      resourceName: input.resourceName,
      resource: input.resource,
      oidcScopes: input.oidcScopes,
      createdAt: now,
      expiresAt: now + DEVICE_CODE_LIFETIME_SECONDS * 1000,
      state: 'pending',
    };
    this.byDeviceCode.set(flow.deviceCode, flow);
    this.byUserCode.set(flow.userCode, flow);
    return flow;
  }

  byDevice(deviceCode: string): DeviceCodeFlow | undefined {
    return this.byDeviceCode.get(deviceCode);
  }

  byUser(userCode: string): DeviceCodeFlow | undefined {
    return this.byUserCode.get(normalizeUserCode(userCode));
  }

  expired(flow: DeviceCodeFlow): boolean {
    return this.clock.now() >= flow.expiresAt;
  }

  finish(flow: DeviceCodeFlow, state: Exclude<DeviceCodeState, 'pending'>, userId?: string): void {
    flow.state = state;
    if (userId) flow.userId = userId;
    flow.finishedAt = this.clock.now();
  }

  /** Forgets codes that expired or finished more than an hour ago. */
  private prune(): void {
    const now = this.clock.now();
    for (const flow of this.byDeviceCode.values()) {
      const end = Math.min(flow.expiresAt, flow.finishedAt ?? Infinity);
      if (now - end > RETAIN_MS) {
        this.byDeviceCode.delete(flow.deviceCode);
        this.byUserCode.delete(flow.userCode);
      }
    }
  }
}
