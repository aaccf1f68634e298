/** Finding and reading the demo world file (demo/world.json) without importing anything of the app. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { findRepoRoot } from '../../lib/find-repo-root';
import type { DemoWorld } from '../core/module';

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
