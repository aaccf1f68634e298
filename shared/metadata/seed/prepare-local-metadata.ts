import type { Clock } from '../../domain/clock';
import { type MetadataStore, openSqliteMetadataStore } from '../metadata-store';
import { readDemoWorld, seedDemoWorld, type SeedResult } from './seed-demo-world';

export interface LocalMetadata {
  readonly store: MetadataStore;
  readonly file: string;
  readonly seed: SeedResult;
}

/**
 * Opens the local SQLite metadata store (creating the file and applying migrations), and seeds the demo world into
 * it if it is empty. The caller closes the store.
 */
export async function prepareLocalMetadata(options: {
  file: string;
  root: string;
  clock?: Clock;
}): Promise<LocalMetadata> {
  const store = openSqliteMetadataStore({ file: options.file, ...(options.clock ? { clock: options.clock } : {}) });
  try {
    const seed = await seedDemoWorld(store, readDemoWorld(options.root));
    return { store, file: options.file, seed };
  } catch (error) {
    await store.close();
    throw error;
  }
}
