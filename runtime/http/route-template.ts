/**
 * ASP.NET Core route templates as the Functions host matches them for HTTP triggers: literal segments
 * (case-insensitive), `{name}`, constrained `{id:int}` / `{id:int:min(1)}`, optional `{name?}`, defaults `{name=x}`,
 * catch-all `{*rest}` / `{**rest}`, and complex segments such as `{file}.{ext}`.
 */

export interface RouteParameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue: string | undefined;
  constraints: RouteConstraint[];
}

export interface RouteConstraint {
  name: string;
  argument: string | undefined;
  test(value: string): boolean;
}

export interface CompiledRoute {
  template: string;
  parameters: RouteParameter[];
  /** Precedence key: lower sorts first (more specific), as ASP.NET orders endpoints. */
  precedence: number[];
  match(path: string): Record<string, string> | undefined;
}

const CONSTRAINTS: Record<string, (arg: string | undefined) => (v: string) => boolean> = {
  int: () => (v) => /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) && Math.abs(Number(v)) <= 2147483648,
  long: () => (v) => /^-?\d+$/.test(v) && BigInt(v) <= 9223372036854775807n && BigInt(v) >= -9223372036854775808n,
  bool: () => (v) => /^(true|false)$/i.test(v),
  datetime: () => (v) => !Number.isNaN(Date.parse(v)),
  decimal: () => (v) => /^-?(\d+\.?\d*|\.\d+)$/.test(v),
  double: () => (v) => /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v),
  float: () => (v) => /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v),
  alpha: () => (v) => /^[a-z]+$/i.test(v),
  minlength: (a) => {
    const n = num(a, 'minlength');
    return (v) => v.length >= n;
  },
  maxlength: (a) => {
    const n = num(a, 'maxlength');
    return (v) => v.length <= n;
  },
  length: (a) => {
    const [lo, hi] = String(a ?? '')
      .split(',')
      .map((s) => num(s.trim(), 'length'));
    return hi === undefined ? (v) => v.length === lo : (v) => v.length >= (lo as number) && v.length <= hi;
  },
  min: (a) => {
    const n = num(a, 'min');
    return (v) => /^-?\d+$/.test(v) && Number(v) >= n;
  },
  max: (a) => {
    const n = num(a, 'max');
    return (v) => /^-?\d+$/.test(v) && Number(v) <= n;
  },
  range: (a) => {
    const [lo, hi] = String(a ?? '')
      .split(',')
      .map((s) => num(s.trim(), 'range'));
    return (v) => /^-?\d+$/.test(v) && Number(v) >= (lo as number) && Number(v) <= (hi as number);
  },
  regex: (a) => {
    const re = new RegExp(`^(?:${a ?? ''})$`, 'i');
    return (v) => re.test(v);
  },
  required: () => (v) => v.length > 0,
};

// .NET Guid.TryParse formats D, N, B and P.
CONSTRAINTS.guid = () => (v) =>
  /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v) ||
  /^[{(][0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[})]$/i.test(v);

function num(arg: string | undefined, constraint: string): number {
  const n = Number(arg);
  if (arg === undefined || arg === '' || !Number.isFinite(n)) {
    throw new Error(`Route constraint "${constraint}" needs a numeric argument, got ${JSON.stringify(arg)}.`);
  }
  return n;
}

/** Thrown for a template the host would refuse at indexing time. */
export class RouteTemplateError extends Error {
  constructor(template: string, reason: string) {
    super(`Invalid route template "${template}": ${reason}`);
    this.name = 'RouteTemplateError';
  }
}

function parseConstraints(template: string, specs: string[]): RouteConstraint[] {
  return specs.map((spec) => {
    const m = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(spec);
    if (!m) throw new RouteTemplateError(template, `bad constraint "${spec}"`);
    const name = (m[1] as string).toLowerCase();
    const factory = CONSTRAINTS[name];
    if (!factory) throw new RouteTemplateError(template, `unknown constraint "${name}"`);
    // Braces in an argument are escaped by doubling them, as in ASP.NET route templates.
    const argument = m[2]?.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
    return { name, argument, test: factory(argument) };
  });
}

/** Splits `name:c1:c2(arg)=default?` respecting parentheses (regex arguments may contain `:`). */
function parseParameter(template: string, body: string): RouteParameter {
  let catchAll = false;
  let text = body;
  if (text.startsWith('**')) {
    catchAll = true;
    text = text.slice(2);
  } else if (text.startsWith('*')) {
    catchAll = true;
    text = text.slice(1);
  }
  let optional = false;
  if (text.endsWith('?')) {
    optional = true;
    text = text.slice(0, -1);
  }
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  let name = parts.shift() ?? '';
  let defaultValue: string | undefined;
  const last = parts.length > 0 ? parts[parts.length - 1] : undefined;
  const eq = (last ?? name).lastIndexOf('=');
  if (eq >= 0 && !(last ?? name).slice(eq).includes(')')) {
    if (last === undefined) {
      defaultValue = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else {
      defaultValue = last.slice(eq + 1);
      parts[parts.length - 1] = last.slice(0, eq);
    }
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RouteTemplateError(template, `bad parameter name "${name}"`);
  return {
    name,
    optional: optional || catchAll || defaultValue !== undefined,
    catchAll,
    defaultValue,
    constraints: parseConstraints(template, parts),
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles a route template (without the route prefix) into a matcher over a decoded-per-segment path
 * (no leading or trailing slash).
 */
export function compileRoute(template: string): CompiledRoute {
  const clean = template.replace(/^~?\/+/, '').replace(/\/+$/, '');
  const segments = clean === '' ? [] : clean.split('/');
  const parameters: RouteParameter[] = [];
  const precedence: number[] = [];
  let pattern = '^';
  segments.forEach((segment, index) => {
    if (segment === '') throw new RouteTemplateError(template, 'empty segment');
    const pieces: { literal?: string; param?: RouteParameter }[] = [];
    let rest = segment;
    while (rest.length > 0) {
      const open = rest.indexOf('{');
      if (open < 0) {
        pieces.push({ literal: rest });
        break;
      }
      if (open > 0) pieces.push({ literal: rest.slice(0, open) });
      let depth = 0;
      let close = -1;
      for (let i = open; i < rest.length; i++) {
        if (rest[i] === '{') depth++;
        if (rest[i] === '}') depth--;
        if (depth === 0) {
          close = i;
          break;
        }
      }
      if (close < 0) throw new RouteTemplateError(template, `unclosed "{" in "${segment}"`);
      const param = parseParameter(template, rest.slice(open + 1, close));
      if (parameters.some((p) => p.name.toLowerCase() === param.name.toLowerCase())) {
        throw new RouteTemplateError(template, `parameter "${param.name}" appears twice`);
      }
      parameters.push(param);
      pieces.push({ param });
      rest = rest.slice(close + 1);
    }
    const single = pieces.length === 1 ? pieces[0]?.param : undefined;
    if (single?.catchAll && index !== segments.length - 1) {
      throw new RouteTemplateError(template, 'a catch-all parameter must be the last segment');
    }
    if (single) {
      const group = single.catchAll ? '(.*)' : '([^/]+)';
      const body = `/${group}`;
      pattern += single.optional ? `(?:${body})?` : body;
      precedence.push(single.catchAll ? 5 : single.optional ? 4 : single.constraints.length > 0 ? 2 : 3);
    } else {
      let body = '/';
      for (const piece of pieces) {
        if (piece.literal !== undefined) body += escapeRegex(piece.literal);
        else if (piece.param) {
          if (piece.param.catchAll) throw new RouteTemplateError(template, 'a catch-all cannot share a segment');
          body += piece.param.optional ? '([^/]*?)' : '([^/]+?)';
        }
      }
      pattern += body;
      precedence.push(pieces.every((p) => p.literal !== undefined) ? 1 : 2.5);
    }
  });
  pattern += '/?$';
  const regex = new RegExp(pattern, 'i');
  // A path that is "/" for the empty template
  return {
    template: clean,
    parameters,
    precedence,
    match(path: string): Record<string, string> | undefined {
      const m = regex.exec(path === '' ? '' : `/${path}`);
      if (!m) return undefined;
      const params: Record<string, string> = {};
      for (let i = 0; i < parameters.length; i++) {
        const p = parameters[i] as RouteParameter;
        const raw = m[i + 1];
        let value: string | undefined;
        if (raw === undefined || raw === '') value = p.defaultValue;
        else {
          try {
            value = p.catchAll ? raw.split('/').map(decodeURIComponent).join('/') : decodeURIComponent(raw);
          } catch {
            return undefined;
          }
        }
        if (value === undefined) {
          if (!p.optional) return undefined;
          continue;
        }
        if (!p.constraints.every((c) => c.test(value))) return undefined;
        params[p.name] = value;
      }
      return params;
    },
  };
}

/** Orders routes most-specific first (literal before constrained before plain before optional before catch-all). */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? 0;
    const y = b.precedence[i] ?? 0;
    if (x !== y) return x - y;
  }
  return b.precedence.length - a.precedence.length;
}
