import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { loadSettings } from '../../../shared/config/load-settings';
import { APP_SETTINGS, HOST_SETTINGS, SECRET_SETTINGS } from '../../../shared/config/settings';
import { clockFromSettings } from '../../../shared/config/settings-clock';
import { SettingsError } from '../../../shared/config/settings-error';

const root = findRepoRoot(__dirname);
const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8')) as {
  IsEncrypted: boolean;
  Values: Record<string, string>;
};

const minimal = {
  WARDEN_METADATA_DB: '.warden/metadata.db',
  WARDEN_TENANT_ID: '45286771-0821-4e88-a404-d87ec2f39f1a',
  WARDEN_PRINCIPAL_IDS: '6872bbc9-1627-441e-a611-7ce540632cfe',
  WARDEN_API_AUDIENCES: 'api://warden',
};

function settingsError(env: Record<string, string | undefined>): SettingsError {
  try {
    loadSettings(env, '/app');
  } catch (e) {
    assert.ok(e instanceof SettingsError, String(e));
    return e;
  }
  assert.fail('expected a SettingsError');
}

test('the sample settings load, with production-safe defaults filled in', () => {
  const s = loadSettings(sample.Values, '/app');
  assert.deepEqual(s.metadata, {
    dialect: 'sqlite',
    file: '/app/.warden/metadata.db',
    connectionSetting: 'WARDEN_METADATA_DB',
  });
  assert.equal(s.identity.tenantId, '45286771-0821-4e88-a404-d87ec2f39f1a');
  assert.equal(s.identity.managedIdentityClientId, undefined, 'an empty value is unset');
  assert.deepEqual(s.identity.wardenPrincipalIds, ['6872bbc9-1627-441e-a611-7ce540632cfe']);
  assert.deepEqual(s.api.audiences, ['api://warden', 'e1b0cd8b-2bb2-47e1-9cfa-9bc7e16af6de']);
  assert.equal(s.safety.killSwitch, false);
  assert.deepEqual(s.safety.blastRadius, { maxDeletes: 10, maxDeleteShare: 0.5, maxResourcesChanged: 20 });
  assert.deepEqual(s.notifier, { kind: 'none' });
  assert.deepEqual(s.clock, { file: '/app/.warden/clock.json', mode: 'real' });
  const d = loadSettings(minimal, '/app');
  assert.equal(d.azure.armEndpoint, 'https://management.azure.com');
  assert.equal(d.azure.keyVaultDnsSuffix, 'vault.azure.net');
  assert.equal(d.identity.authorityHost, 'https://login.microsoftonline.com');
});

test('local.settings.sample.json lists every setting the app and the host read, with no secret values', () => {
  assert.equal(sample.IsEncrypted, false);
  for (const name of [...APP_SETTINGS, ...HOST_SETTINGS]) assert.ok(name in sample.Values, `${name} is in the sample`);
  for (const name of Object.keys(sample.Values))
    assert.ok(
      (APP_SETTINGS as string[]).includes(name) || (HOST_SETTINGS as readonly string[]).includes(name),
      `${name} is read by someone`,
    );
  for (const name of SECRET_SETTINGS) assert.equal(sample.Values[name], '', `${name} carries no value`);
  assert.equal(sample.Values.FUNCTIONS_WORKER_RUNTIME, 'node');
});

test('a missing setting stops start-up naming the setting', () => {
  const e = settingsError({ ...minimal, WARDEN_TENANT_ID: undefined, WARDEN_METADATA_DB: '' });
  assert.deepEqual(
    e.issues.map((i) => [i.path, i.message]),
    [
      ['WARDEN_METADATA_DB', 'is required'],
      ['WARDEN_TENANT_ID', 'is required'],
    ],
  );
  assert.match(
    e.message,
    /^Warden cannot start: the app settings are invalid\.\n {2}WARDEN_METADATA_DB: is required\n {2}WARDEN_TENANT_ID: is required$/,
  );
});

test('malformed settings are named with the problem, never the value', () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ WARDEN_TENANT_ID: 'contoso' }, 'WARDEN_TENANT_ID', /must be a GUID/],
    [{ WARDEN_PRINCIPAL_IDS: '6872bbc9-1627-441e-a611-7ce540632cfe,warden' }, 'WARDEN_PRINCIPAL_IDS', /GUID/],
    [{ WARDEN_KILL_SWITCH: 'maybe' }, 'WARDEN_KILL_SWITCH', /true or false/],
    [{ WARDEN_BLAST_MAX_DELETES: 'ten' }, 'WARDEN_BLAST_MAX_DELETES', /whole number/],
    [{ WARDEN_BLAST_MAX_DELETE_SHARE: '1.5' }, 'WARDEN_BLAST_MAX_DELETE_SHARE', /from 0 to 1/],
    [{ WARDEN_BREAKER_WINDOW_MINUTES: '0' }, 'WARDEN_BREAKER_WINDOW_MINUTES', /at least 1/],
    [{ WARDEN_ARM_ENDPOINT: 'management.azure.com' }, 'WARDEN_ARM_ENDPOINT', /URL/],
    [{ WARDEN_METADATA_DIALECT: 'postgres' }, 'WARDEN_METADATA_DIALECT', /sqlite or mssql/],
    [
      { WARDEN_NOTIFIER: 'eventgrid' },
      'WARDEN_NOTIFY_EVENTGRID_ENDPOINT',
      /required when WARDEN_NOTIFIER is eventgrid/,
    ],
    [{ WARDEN_CLOCK_MODE: 'test' }, 'WARDEN_CLOCK_FILE', /required when WARDEN_CLOCK_MODE is test/],
    [{ WARDEN_KEYVAULT_DNS_SUFFIX: 'not a suffix' }, 'WARDEN_KEYVAULT_DNS_SUFFIX', /DNS suffix/],
  ];
  for (const [patch, setting, problem] of cases) {
    const e = settingsError({ ...minimal, ...patch });
    const issue = e.issues.find((i) => i.path === setting);
    assert.ok(issue, `${setting}: ${e.message}`);
    assert.match(issue.message, problem);
    for (const value of Object.values(patch))
      if (value.length > 4 && !e.message.includes(`is ${value}`))
        assert.ok(!e.message.includes(value), `the value of ${setting} is not echoed`);
  }
});

test('the metadata connection: SQLite paths, Azure SQL with managed identity only', () => {
  assert.deepEqual(loadSettings({ ...minimal, WARDEN_METADATA_DB: 'Data Source=/var/warden/m.db' }, '/app').metadata, {
    dialect: 'sqlite',
    file: '/var/warden/m.db',
    connectionSetting: 'WARDEN_METADATA_DB',
  });
  const azure = loadSettings(
    {
      ...minimal,
      WARDEN_METADATA_DB:
        'Server=tcp:warden-sql.database.windows.net,1433;Database=warden;Authentication=Active Directory Managed Identity;Encrypt=True',
    },
    '/app',
  );
  assert.deepEqual(azure.metadata, {
    dialect: 'mssql',
    server: 'warden-sql.database.windows.net',
    database: 'warden',
    port: 1433,
    connectionSetting: 'WARDEN_METADATA_DB',
  });
  const secret = 'Server=tcp:warden-sql.database.windows.net;Database=warden;User ID=sa;Password=hunter22';
  const e = settingsError({ ...minimal, WARDEN_METADATA_DB: secret });
  assert.match(e.message, /WARDEN_METADATA_DB: must not carry a password/);
  assert.ok(!e.message.includes('hunter22'));
  assert.match(
    settingsError({
      ...minimal,
      WARDEN_METADATA_DB: 'Server=tcp:x.database.windows.net;Authentication=Active Directory Default',
    }).message,
    /names no database/,
  );
  assert.match(
    settingsError({ ...minimal, WARDEN_METADATA_DB: 'Server=tcp:x.database.windows.net;Database=w' }).message,
    /Active Directory Managed Identity/,
  );
  assert.match(
    settingsError({ ...minimal, WARDEN_METADATA_DIALECT: 'sqlite', WARDEN_METADATA_DB: 'Server=tcp:x;Database=w' })
      .message,
    /SQL Server connection string but WARDEN_METADATA_DIALECT is sqlite/,
  );
});

test('the clock follows the shared clock file when one is configured', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-clock-'));
  try {
    const file = path.join(dir, 'clock.json');
    const clock = clockFromSettings({ clock: { file, mode: 'test' } });
    const real = Date.now();
    assert.ok(Math.abs(clock.now().getTime() - real) < 5_000, 'a missing file means offset 0');
    writeFileSync(file, JSON.stringify({ offsetMs: 86_400_000 }));
    const deadline = Date.now() + 2_000;
    let seen = clock.now().getTime() - Date.now();
    while (seen < 86_000_000 && Date.now() < deadline) seen = clock.now().getTime() - Date.now();
    assert.ok(seen >= 86_000_000, `offset picked up (${seen})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
