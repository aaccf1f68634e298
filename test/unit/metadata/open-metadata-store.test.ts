import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import type { AccessToken, TokenCredential } from '@azure/identity';

import { fixedClock } from '../../../shared/domain/clock';
import { openMetadataStore } from '../../../shared/metadata/open-metadata-store';

const identity = {
  tenantId: '45286771-0821-4e88-a404-d87ec2f39f1a',
  authorityHost: 'https://login.microsoftonline.com',
  managedIdentityClientId: undefined,
  wardenPrincipalIds: [],
};

test('settings choose the backend: SQLite file locally, Azure SQL with a managed identity on Azure', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-open-'));
  try {
    const clock = fixedClock('2026-06-01T00:00:00Z');
    const local = openMetadataStore(
      {
        metadata: { dialect: 'sqlite', file: path.join(dir, 'm.db'), connectionSetting: 'WARDEN_METADATA_DB' },
        identity,
      },
      clock,
    );
    assert.equal(local.backend.kind, 'sqlite');
    assert.equal(await local.accessPolicies.count(), 0);
    await local.close();

    let asked = 0;
    const credential: TokenCredential = {
      getToken: (): Promise<AccessToken | null> => {
        asked += 1;
        return Promise.resolve(null);
      },
    };
    const azure = openMetadataStore(
      {
        metadata: {
          dialect: 'mssql',
          server: 'warden-sql.database.windows.net',
          database: 'warden',
          port: 1433,
          connectionSetting: 'WARDEN_METADATA_DB',
        },
        identity,
      },
      clock,
      credential,
    );
    assert.equal(azure.backend.kind, 'mssql');
    await assert.rejects(
      azure.accessPolicies.get('x'),
      /No Entra ID token for Azure SQL/,
      'a connection asks the managed identity for a token first',
    );
    assert.equal(asked, 1);
    await azure.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
