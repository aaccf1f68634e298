/** Finding and reading the demo world file (demo/world.json) without importing anything of the app. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { DemoWorld } from '../core/module';

/** The repository root: the nearest ancestor of `from` whose package.json is named "warden". */
export function findRepoRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'warden') return dir;
      } catch {
        // not a readable package.json: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json named "warden" above ${from}`);
    dir = parent;
  }
}

/** `demo/world.json` of this repository. */
export function defaultWorldPath(): string {
  return path.join(findRepoRoot(), 'demo', 'world.json');
}

/** The world as given, or read from a JSON file (which must name tenantId and subscriptionId). */
export function loadWorld(world: DemoWorld | string | undefined): DemoWorld | undefined {
  if (world === undefined) return undefined;
  if (typeof world !== 'string') return world;
  const parsed = JSON.parse(readFileSync(world, 'utf8')) as DemoWorld;
  if (typeof parsed.tenantId !== 'string' || typeof parsed.subscriptionId !== 'string') {
    throw new Error(`${world}: a world file needs tenantId and subscriptionId`);
  }
  return parsed;
}
