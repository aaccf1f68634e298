/** Finding and reading the demo world file (demo/world.json) without importing anything of the app. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
