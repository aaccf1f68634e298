import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { fixedClock } from '../../../shared/domain/clock';
import { MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';

/** A fresh SQLite store in a temp directory, with a hand-driven clock; `raw()` opens a side connection. */
export function tempStore(prefix = 'warden-store-'): {
  store: MetadataStore;
  file: string;
  clock: ReturnType<typeof fixedClock>;
  open: () => MetadataStore;
  raw: () => DatabaseSync;
  count: (table: string) => number;
  cleanup: () => Promise<void>;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, 'metadata.db');
  const clock = fixedClock('2026-06-01T12:00:00Z');
  const store = openSqliteMetadataStore({ file, clock });
  const opened: MetadataStore[] = [store];
  const raws: DatabaseSync[] = [];
  const raw = () => {
    const db = new DatabaseSync(file);
    raws.push(db);
    return db;
  };
  let side: DatabaseSync | undefined;
  return {
    store,
    file,
    clock,
    open: () => {
      const s = openSqliteMetadataStore({ file, clock });
      opened.push(s);
      return s;
    },
    raw,
    count: (table) => {
      side ??= raw();
      return Number((side.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      for (const r of raws) if (r.isOpen) r.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
