/**
 * Reads the property paths each `resource` declaration of a Bicep file sets, without a Bicep compiler: enough for
 * infra-consistency.test.ts to check them against the resource types' schemas (test/fixtures/infra/bicep-type-paths.json,
 * extracted from Azure/bicep-types-az by extract-bicep-type-paths.ts). Written for this repository's templates: one
 * `key: value` per line, objects and arrays opened at the end of a line and closed at the start of one.
 */

/** One resource declaration: its `type@apiVersion`, whether it is `existing`, and the property paths its body sets. */
export interface BicepResource {
  readonly type: string;
  readonly existing: boolean;
  /** Dotted paths; array items as `name[]`, interpolated keys as `*` (e.g. `identity.userAssignedIdentities.*`). */
  readonly paths: readonly string[];
}

/** Keywords Bicep accepts on every resource body besides the type's own properties. */
export const BICEP_RESOURCE_KEYWORDS = ['parent', 'scope', 'dependsOn'] as const;

const RESOURCE = /^resource \w+ '([^']+)'( existing)? = (\[|\{)/;
const KEY = /^'?([A-Za-z_][\w-]*|\$\{[^}]+\})'?\s*:\s*(.*)$/;

export function bicepResources(text: string): BicepResource[] {
  const lines = text.split('\n');
  const out: BicepResource[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = RESOURCE.exec(lines[i] ?? '');
    if (!m) continue;
    let j = i + 1;
    if (m[3] === '[') {
      // `[for x in xs: {` or `[for x in xs: if (c) {`: the body starts after the line that opens the object.
      while (j < lines.length && !(lines[j - 1] ?? '').trimEnd().endsWith('{')) j++;
    }
    const path: string[] = [];
    const paths = new Set<string>();
    let depth = 1;
    for (; j < lines.length && depth > 0; j++) {
      const s = (lines[j] ?? '').replace(/\s+\/\/ .*$/, '').trim();
      if (s.startsWith('}') || s.startsWith(']')) {
        depth--;
        path.pop();
        continue;
      }
      const k = KEY.exec(s);
      if (k) {
        const key = k[1]!.startsWith('${') ? '*' : k[1]!;
        const value = k[2]!.trim();
        paths.add([...path, key].filter(Boolean).join('.'));
        if (value.endsWith('{') || value.endsWith('[')) {
          depth++;
          path.push(value.endsWith('[') ? `${key}[]` : key);
        }
      } else if (s.endsWith('{') || s.endsWith('[')) {
        depth++;
        path.push('');
      }
    }
    out.push({ type: m[1]!, existing: m[2] !== undefined, paths: [...paths].sort() });
    i = j - 1;
  }
  return out;
}
