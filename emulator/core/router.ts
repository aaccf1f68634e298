/** Method + path-pattern routing (see the `Router` contract in module.ts). */
import type { Handler, RouteOptions, Router } from './module';

interface Segment {
  kind: 'literal' | 'param' | 'wild' | 'rest';
  /** Lower-case literal, or the parameter name. */
  value: string;
}

export interface Route {
  methods: ReadonlySet<string>;
  pattern: string;
  segments: Segment[];
  handler: Handler;
  options: RouteOptions;
  hasWildcard: boolean;
  order: number;
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' };

function parsePattern(pattern: string): Segment[] {
  const parts = pattern.split('/').filter((p) => p !== '');
  let wilds = 0;
  const segs = parts.map((p, i): Segment => {
    const m = /^\{(\*\*|\*)?([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(p);
    if (!m) return { kind: 'literal', value: p.toLowerCase() };
    if (m[1] === '**') {
      if (i !== parts.length - 1) throw new Error(`Route ${pattern}: {**${m[2]}} must be the last segment`);
      return { kind: 'rest', value: m[2]! };
    }
    if (m[1] === '*') {
      wilds += 1;
      return { kind: 'wild', value: m[2]! };
    }
    return { kind: 'param', value: m[2]! };
  });
  if (wilds > 1) throw new Error(`Route ${pattern}: at most one {*wildcard}`);
  return segs;
}

function matchSegments(pattern: Segment[], path: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const go = (pi: number, si: number): boolean => {
    if (pi === pattern.length) return si === path.length;
    const seg = pattern[pi]!;
    switch (seg.kind) {
      case 'literal':
        if (si < path.length && path[si]!.toLowerCase() === seg.value) return go(pi + 1, si + 1);
        return false;
      case 'param':
        if (si < path.length) {
          params[seg.value] = path[si]!;
          return go(pi + 1, si + 1);
        }
        return false;
      case 'rest':
        params[seg.value] = path.slice(si).length ? '/' + path.slice(si).join('/') : '';
        return true;
      case 'wild':
        // one or more segments; shortest first so a later literal (`providers`) anchors the match
        for (let end = si + 1; end <= path.length; end++) {
          if (go(pi + 1, end)) {
            params[seg.value] = '/' + path.slice(si, end).join('/');
            return true;
          }
        }
        return false;
    }
  };
  return go(0, 0) ? params : undefined;
}

export class EmulatorRouter implements Router {
  private readonly routes: Route[] = [];

  add(method: string | string[], pattern: string, handler: Handler, options: RouteOptions = {}): void {
    const methods = new Set((Array.isArray(method) ? method : [method]).map((m) => m.toUpperCase()));
    const segments = parsePattern(pattern);
    const admin = options.admin ?? (segments[0]?.kind === 'literal' && segments[0].value === 'admin');
    this.routes.push({
      methods,
      pattern,
      segments,
      handler,
      options: { ...options, admin },
      hasWildcard: segments.some((s) => s.kind === 'wild' || s.kind === 'rest'),
      order: this.routes.length,
    });
    this.routes.sort((a, b) => Number(a.hasWildcard) - Number(b.hasWildcard) || a.order - b.order);
  }
  get(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add('GET', pattern, handler, options);
  }
  put(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add('PUT', pattern, handler, options);
  }
  patch(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add('PATCH', pattern, handler, options);
  }
  post(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add('POST', pattern, handler, options);
  }
  delete(pattern: string, handler: Handler, options?: RouteOptions): void {
    this.add('DELETE', pattern, handler, options);
  }

  match(method: string, segments: readonly string[]): RouteMatch {
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.methods.has(method) || route.methods.has('*')) return { kind: 'found', route, params };
      for (const m of route.methods) allowed.add(m);
    }
    return allowed.size ? { kind: 'method', allowed: [...allowed] } : { kind: 'none' };
  }

  list(): readonly Route[] {
    return this.routes;
  }
}
