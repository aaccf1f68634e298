/**
 * Regenerates test/fixtures/infra/bicep-type-paths.json: for every `type@apiVersion` the templates in infra/ declare,
 * the property paths its Bicep type allows, read from a checkout of https://github.com/Azure/bicep-types-az (the type
 * data the Bicep compiler itself uses, generated from the Azure REST specs). Run after changing a resource type or API
 * version in infra/:
 *
 *     npx tsc -p . --outDir .build/infra && node .build/infra/test/unit/infra/extract-bicep-type-paths.js <bicep-types-az>
 *
 * `<bicep-types-az>` is a clone (or bare mirror) of that repository; files are read with `git show HEAD:<path>`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { bicepResources } from './bicep-text';

interface Ref {
  $ref: string;
}
type TypeEntry =
  | { $type: 'ResourceType'; name: string; body: Ref }
  | { $type: 'ObjectType'; properties?: Record<string, { type: Ref }>; additionalProperties?: Ref }
  | { $type: 'ArrayType'; itemType: Ref }
  | {
      $type: 'DiscriminatedObjectType';
      discriminator: string;
      baseProperties?: Record<string, { type: Ref }>;
      elements: Record<string, Ref>;
    }
  | { $type: 'UnionType'; elements: Ref[] }
  | { $type: string };

const MAX_DEPTH = 10;

function flatten(types: TypeEntry[], ref: Ref, prefix: string, depth: number, out: Set<string>): void {
  if (depth > MAX_DEPTH) return;
  const t = types[Number(ref.$ref.split('/').pop())];
  if (!t) return;
  const props = (p: Record<string, { type: Ref }> | undefined): void => {
    for (const [name, prop] of Object.entries(p ?? {})) {
      out.add(prefix + name);
      flatten(types, prop.type, `${prefix}${name}.`, depth + 1, out);
    }
  };
  if (t.$type === 'ObjectType' && 'properties' in t) {
    props(t.properties);
  } else if (t.$type === 'ObjectType') {
    props(undefined);
  }
  if (t.$type === 'ObjectType' && 'additionalProperties' in t && t.additionalProperties) {
    out.add(`${prefix}*`);
    flatten(types, t.additionalProperties, `${prefix}*.`, depth + 1, out);
  } else if (t.$type === 'ArrayType' && 'itemType' in t && prefix) {
    flatten(types, t.itemType, `${prefix.replace(/\.$/, '')}[].`, depth + 1, out);
  } else if (t.$type === 'DiscriminatedObjectType' && 'discriminator' in t) {
    props(t.baseProperties);
    out.add(prefix + t.discriminator);
    for (const e of Object.values(t.elements)) flatten(types, e, prefix, depth + 1, out);
  } else if (t.$type === 'UnionType' && 'elements' in t && Array.isArray(t.elements)) {
    for (const e of t.elements) flatten(types, e, prefix, depth + 1, out);
  }
}

function main(typesRepo: string): void {
  const root = findRepoRoot(__dirname);
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', typesRepo, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const typeFiles = git('ls-tree', '-r', '--name-only', 'HEAD', 'generated')
    .split('\n')
    .filter((f) => f.endsWith('/types.json'));
  const bicepFiles = [
    path.join(root, 'infra', 'main.bicep'),
    ...readdirSync(path.join(root, 'infra', 'modules'))
      .filter((f) => f.endsWith('.bicep'))
      .map((f) => path.join(root, 'infra', 'modules', f)),
  ];
  const wanted = [
    ...new Set(bicepFiles.flatMap((f) => bicepResources(readFileSync(f, 'utf8')).map((r) => r.type))),
  ].sort();
  const result: Record<string, string[]> = {};
  for (const typeAndVersion of wanted) {
    const [type = '', version = ''] = typeAndVersion.split('@');
    const namespace = type.split('/')[0]!.toLowerCase();
    let found = false;
    for (const file of typeFiles.filter((f) => f.includes(`/${namespace}/${version}/`))) {
      const types = JSON.parse(git('show', `HEAD:${file}`)) as TypeEntry[];
      const resource = types.find(
        (t): t is Extract<TypeEntry, { $type: 'ResourceType' }> =>
          t.$type === 'ResourceType' && 'name' in t && t.name.toLowerCase() === typeAndVersion.toLowerCase(),
      );
      if (!resource) continue;
      const paths = new Set<string>();
      flatten(types, resource.body, '', 0, paths);
      result[typeAndVersion] = [...paths].sort();
      found = true;
      break;
    }
    if (!found) throw new Error(`${typeAndVersion}: no Bicep type in ${typesRepo}`);
  }
  const head = git('rev-parse', 'HEAD').trim();
  const fixture = {
    $comment: `Property paths per resource type@apiVersion, from Azure/bicep-types-az ${head} (generated/**/types.json), for the types infra/ declares. Regenerate with test/unit/infra/extract-bicep-type-paths.ts.`,
    types: result,
  };
  const target = path.join(root, 'test', 'fixtures', 'infra', 'bicep-type-paths.json');
  writeFileSync(target, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`${Object.keys(result).length} resource types → ${path.relative(root, target)}`);
}

const repo = process.argv[2];
if (!repo) {
  console.error('usage: extract-bicep-type-paths <bicep-types-az checkout>');
  process.exit(2);
}
main(repo);
