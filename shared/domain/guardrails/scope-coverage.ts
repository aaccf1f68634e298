/**
 * Whether `scope` is `ancestor` itself or lies below it in the ARM hierarchy (case-insensitive, on segment
 * boundaries: `/subscriptions/x/resourceGroups/rg` does not cover `/subscriptions/x/resourceGroups/rg2`).
 */
export function isWithinScope(scope: string, ancestor: string): boolean {
  const s = scope.toLowerCase();
  const a = ancestor.toLowerCase().replace(/\/+$/, '');
  return s === a || s.startsWith(`${a}/`);
}

/** The managed scope that governs `scope`: the nearest (longest) one equal to or above it, if any. */
export function governingScope<T extends { readonly scope: string }>(
  scope: string,
  managed: readonly T[],
): T | undefined {
  let best: T | undefined;
  for (const m of managed)
    if (isWithinScope(scope, m.scope) && (best === undefined || m.scope.length > best.scope.length)) best = m;
  return best;
}
