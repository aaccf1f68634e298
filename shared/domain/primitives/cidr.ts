/** The outcome of parsing an IP range: the normalised text, or the reason it does not parse. */
export type CidrParse =
  | { readonly ok: true; readonly family: 4 | 6; readonly cidr: string }
  | { readonly ok: false; readonly reason: string };

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** Parses an IPv6 address into 16 bytes (`::` compression and a dotted IPv4 tail are allowed). */
function parseIpv6(text: string): number[] | undefined {
  if (text.length === 0 || text.includes('%')) return undefined;
  const doubleColon = text.indexOf('::');
  if (doubleColon !== text.lastIndexOf('::')) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s.length === 0) return [];
    const groups: number[] = [];
    const pieces = s.split(':');
    for (let k = 0; k < pieces.length; k++) {
      const piece = pieces[k] ?? '';
      if (k === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      groups.push(parseInt(piece, 16));
    }
    return groups;
  };
  let groups: number[];
  if (doubleColon >= 0) {
    const head = toGroups(text.slice(0, doubleColon));
    const tail = toGroups(text.slice(doubleColon + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = toGroups(text);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  }
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function hostBitsSet(bytes: readonly number[], prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

function maskedText(bytes: readonly number[], prefix: number, family: 4 | 6): string {
  const masked = bytes.map((b, k) => {
    const start = k * 8;
    if (start >= prefix) return 0;
    if (start + 8 <= prefix) return b;
    return b & ((0xff << (8 - (prefix - start))) & 0xff);
  });
  if (family === 4) return `${masked.join('.')}/${prefix}`;
  const groups: string[] = [];
  for (let k = 0; k < 16; k += 2) groups.push((((masked[k] ?? 0) << 8) | (masked[k + 1] ?? 0)).toString(16));
  return `${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${prefix}`;
}

/**
 * Parses an IPv4 or IPv6 range in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`) or a single address (taken as
 * /32 or /128). Host bits must be zero, so a typo like `10.0.0.1/8` is caught rather than silently widened.
 */
export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const prefixText = slash >= 0 ? text.slice(slash + 1) : undefined;
  const v4 = parseIpv4(addr);
  const v6 = v4 ? undefined : parseIpv6(addr);
  if (!v4 && !v6) return { ok: false, reason: `'${text}' is not an IPv4 or IPv6 address or CIDR range` };
  const family: 4 | 6 = v4 ? 4 : 6;
  const bytes = v4 ?? v6 ?? [];
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max)
      return { ok: false, reason: `'${text}' has prefix length '${prefixText}'; IPv${family} allows 0 to ${max}` };
    prefix = Number(prefixText);
  }
  if (hostBitsSet(bytes, prefix))
    return { ok: false, reason: `'${text}' has host bits set; did you mean ${maskedText(bytes, prefix, family)}?` };
  return { ok: true, family, cidr: prefixText === undefined ? `${addr}/${max}` : text };
}
