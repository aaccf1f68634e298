import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { describeMetadata } from '../../../shared/metadata/metadata-summary';
import { prepareLocalMetadata } from '../../../shared/metadata/seed/prepare-local-metadata';

test('prepare migrates and seeds once; the summary names counts, intent and the audit chain', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-summary-'));
  try {
    const file = path.join(dir, 'state', 'metadata.db');
    const root = findRepoRoot(__dirname);
    const first = await prepareLocalMetadata({ file, root });
    assert.ok(first.seed.seeded);
    const text = await describeMetadata(
      first.store,
      new Map([['95d764b4-de42-46a3-bb72-8b382714c04a', 'grp-fraud-data-scientists']]),
    );
    await first.store.close();
    assert.match(text, /access_policies +2/);
    assert.match(text, /metadata_changes +9/);
    assert.match(
      text,
      /ap-ds-fraud-inference: Group grp-fraud-data-scientists → AzureML Online Endpoint Scorer at onlineEndpoints\/fraud-scoring \(inference-only\), standing/,
    );
    assert.match(
      text,
      /sr-databricks-training-token: kv-fraud-ml\.vault\.azure\.net\/databricks-training-token via databricks-pat, every 30 d/,
    );
    assert.match(text, /nr-ls-onprem-transactions: .*runtime self-hosted:shir-onprem/);
    assert.match(text, /ar-fraud-accuracy: Average accuracy LessThan 0\.9 over PT5M, 2 of 2 windows → quarantine/);
    assert.match(text, /m-fraud-detector-3: fraud-detector v3 Production on deployment blue/);
    assert.match(text, /Audit chain: 9 entries, intact/);

    const second = await prepareLocalMetadata({ file, root });
    try {
      assert.deepEqual(second.seed, { seeded: false, reason: 'the metadata store is not empty' });
      assert.equal((await second.store.counts()).audit_log, 9);
    } finally {
      await second.store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
