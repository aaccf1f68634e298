/** Event Grid shared access signatures (`aeg-sas-token`), as `generateSharedAccessSignature` in @azure/eventgrid makes them. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Parses `M/D/YYYY h:mm:ss AM|PM` (UTC), the SDK's expiry format. */
export function parseSasDate(s: string): number | undefined {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/.exec(s.trim());
  if (!m) return undefined;
  let h = Number(m[4]) % 12;
  if (m[7] === 'PM') h += 12;
  return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), h, Number(m[5]), Number(m[6]));
}

export type SasCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks `token` against the topic keys: the signature is HMAC-SHA256 (key = base64-decoded topic key) over the
 * `r=...&e=...` prefix; `r` must name this topic's endpoint (path compared, host spelling ignored); `e` in the future.
 */
export function checkSasToken(token: string, keys: string[], topicPath: string, nowMs: number): SasCheck {
  const i = token.lastIndexOf('&s=');
  if (i < 0) return { ok: false, reason: 'The SAS token is malformed.' };
  const signed = token.slice(0, i);
  const sig = decodeURIComponent(token.slice(i + 3));
  const fields = new URLSearchParams(signed);
  const r = fields.get('r');
  const e = fields.get('e');
  if (!r || !e) return { ok: false, reason: 'The SAS token is malformed.' };
  let resourcePath: string;
  try {
    resourcePath = new URL(r).pathname;
  } catch {
    return { ok: false, reason: 'The SAS token resource is malformed.' };
  }
  if (resourcePath.replace(/\/+$/, '').toLowerCase() !== topicPath.replace(/\/+$/, '').toLowerCase()) {
    return { ok: false, reason: `The SAS token resource '${r}' does not match this topic.` };
  }
  const exp = parseSasDate(e);
  if (exp === undefined) return { ok: false, reason: 'The SAS token expiry is malformed.' };
  if (exp <= nowMs) return { ok: false, reason: 'The SAS token has expired.' };
  const given = Buffer.from(sig, 'base64');
  for (const key of keys) {
    const expected = createHmac('sha256', Buffer.from(key, 'base64')).update(signed).digest();
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { ok: true };
  }
  return { ok: false, reason: 'The SAS token signature is invalid.' };
}
