/**
 * FNV-1a (32-bit) over a string, as 8 hex digits. Deterministic and free of Node builtins, so orchestrators may use
 * it (instance ids derived from their target) as well as activities (approval ids derived from their content).
 */
export function fnv1a(text: string, seed = 0x811c9dc5): string {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
