// A child process that appends audit entries to the store named by argv, for the concurrent-appends test.
import { openSqliteMetadataStore } from '../../../../shared/metadata/metadata-store';

async function main(): Promise<void> {
  const [file, name, count] = process.argv.slice(2);
  if (!file || !name || !count) throw new Error('usage: append-worker <file> <name> <count>');
  const store = openSqliteMetadataStore({ file, lockTimeoutMs: 60_000 });
  for (let i = 0; i < Number(count); i++) {
    await store.audit.append({ actor: name, action: 'test.append', target: `worker/${name}`, after: { i } });
  }
  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
