import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { readLocalSettingsValues, withLocalSettings } from '../../../shared/config/local-settings-file';

test('local.settings.json wins over the sample; set variables win over both', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-local-settings-'));
  try {
    writeFileSync(
      path.join(dir, 'local.settings.sample.json'),
      JSON.stringify({ Values: { A: 'sample', B: 'sample' } }),
    );
    assert.deepEqual(readLocalSettingsValues(dir).values, { A: 'sample', B: 'sample' });
    writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ Values: { A: 'local', N: 1 } }));
    const { file, values } = readLocalSettingsValues(dir);
    assert.equal(path.basename(file), 'local.settings.json');
    assert.deepEqual(values, { A: 'local' }, 'non-string values are ignored');
    assert.deepEqual(withLocalSettings({ A: 'env', C: undefined }, values), { A: 'env' });
    assert.deepEqual(readLocalSettingsValues(path.join(dir, 'nowhere')), { file: '', values: {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
