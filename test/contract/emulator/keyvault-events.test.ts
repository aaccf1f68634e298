/**
 * Key Vault system-topic events (emulator-api-surface.md §4.3) delivered through the emulator's Event Grid to a
 * subscription whose topic is the vault's resource id, created the way the launcher creates the entries of
 * infra/event-subscriptions.json: SecretNewVersionCreated on every set, SecretNearExpiry at exp − 30 days and
 * SecretExpired at exp on the emulator clock, once per version, disabled versions included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SecretClient } from '@azure/keyvault-secrets';

import { createKeyVaultModule } from '../../../emulator/keyvault/index';
import type { ReceivedEvent } from './arm-helpers';
import { type DataPlaneBed, startDataPlaneBed, WARDEN_MI } from './keyvault-testbed';

const HOST = 'kv-fraud-ml.vault.azure.net';
const TYPES = [
  'Microsoft.KeyVault.SecretNewVersionCreated',
  'Microsoft.KeyVault.SecretNearExpiry',
  'Microsoft.KeyVault.SecretExpired',
];

describe('Key Vault events through Event Grid', () => {
  let bed: DataPlaneBed;
  let kvId: string;
  let client: SecretClient;
  const kvEvents = () => bed.events.received.filter((e) => e.eventType.startsWith('Microsoft.KeyVault.'));
  const of = (type: string, version: string) =>
    kvEvents().filter((e) => e.eventType === `Microsoft.KeyVault.${type}` && e.data.Version === version);
  const advanceDays = async (days: number) => {
    const r = await bed.admin('POST', '/admin/clock/advance', { days });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  const waitFor = (pred: (e: ReceivedEvent) => boolean, what: string) => bed.events.waitFor(pred, what);
  const unixNow = async () => {
    const r = await bed.admin('GET', '/admin/clock');
    const b = r.body as { now?: string; nowMs?: number };
    return Math.floor((b.nowMs ?? Date.parse(b.now!)) / 1000);
  };

  before(async () => {
    bed = await startDataPlaneBed(() => [createKeyVaultModule()]);
    kvId = `${bed.rg}/providers/Microsoft.KeyVault/vaults/kv-fraud-ml`;
    // what launcher/local-stack.ts sends for an infra/event-subscriptions.json entry (validate: false: the sink does
    // not answer the handshake; the runtime's endpoint does)
    const sub = await bed.admin('PUT', '/admin/eventgrid/subscriptions/warden-key-vault-secret-events', {
      topic: kvId,
      endpointUrl: bed.events.url,
      includedEventTypes: TYPES,
      validate: false,
    });
    assert.ok(sub.status < 300, JSON.stringify(sub.body));
    client = new SecretClient(bed.emu.endpoints.origins[HOST]!, bed.minted(WARDEN_MI), {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
  });
  after(async () => {
    await bed?.stop();
  });

  test('SecretNewVersionCreated on every set, in the Key Vault system-topic shape', async () => {
    const a = await client.setSecret('events-pw', 'one');
    const b = await client.setSecret('events-pw', 'two', { expiresOn: new Date(Date.now() + 90 * 86400_000) });
    const ea = await waitFor(
      (e) => e.eventType === TYPES[0] && e.data.Version === a.properties.version,
      'new version a',
    );
    const eb = await waitFor(
      (e) => e.eventType === TYPES[0] && e.data.Version === b.properties.version,
      'new version b',
    );
    assert.equal(ea.topic, kvId);
    assert.equal(ea.subject, 'events-pw');
    assert.equal(ea.dataVersion, '1');
    assert.equal(ea.metadataVersion, '1');
    assert.deepEqual(ea.data, {
      Id: `https://${HOST}/secrets/events-pw/${a.properties.version}`,
      VaultName: 'kv-fraud-ml',
      ObjectType: 'Secret',
      ObjectName: 'events-pw',
      Version: a.properties.version,
      NBF: null,
      EXP: null,
    });
    assert.equal(eb.data.EXP, Math.floor(b.properties.expiresOn!.getTime() / 1000));
    const json = JSON.stringify(kvEvents());
    assert.ok(!json.includes('"one"') && !json.includes('"two"'), 'no value in any event');
  });

  test('near-expiry at exp − 30 days and expiry at exp on the emulator clock, once per version, disabled too', async () => {
    const now = await unixNow();
    const enabled = await client.setSecret('events-exp', 'v1', { expiresOn: new Date((now + 32 * 86400) * 1000) });
    const disabled = await client.setSecret('events-exp', 'v2', {
      enabled: false,
      expiresOn: new Date((now + 35 * 86400) * 1000),
    });
    const v1 = enabled.properties.version!;
    const v2 = disabled.properties.version!;
    await waitFor((e) => e.data.Version === v2 && e.eventType === TYPES[0], 'new version v2');
    assert.equal(of('SecretNearExpiry', v1).length, 0, 'not yet: 32 days to go');

    await advanceDays(3); // 29 days to v1's exp, 32 to v2's
    const near1 = await waitFor((e) => e.data.Version === v1 && e.eventType === TYPES[1], 'near-expiry v1');
    assert.equal(near1.subject, 'events-exp');
    assert.equal(near1.data.EXP, now + 32 * 86400);
    assert.equal(of('SecretNearExpiry', v2).length, 0, "v2's near-expiry is 2 days later");

    await advanceDays(3); // v2 within 30 days now
    await waitFor((e) => e.data.Version === v2 && e.eventType === TYPES[1], 'near-expiry v2 (disabled)');

    await advanceDays(27); // past v1's exp, not v2's
    await waitFor((e) => e.data.Version === v1 && e.eventType === TYPES[2], 'expired v1');
    assert.equal(of('SecretExpired', v2).length, 0);
    await advanceDays(3);
    await waitFor((e) => e.data.Version === v2 && e.eventType === TYPES[2], 'expired v2');

    await advanceDays(1);
    const scan = await bed.admin('POST', '/admin/keyvault/scan');
    assert.equal((scan.body as { published: number }).published, 0, 'nothing left to publish');
    await bed.admin('POST', '/admin/eventgrid/flush');
    for (const v of [v1, v2]) {
      assert.equal(of('SecretNearExpiry', v).length, 1, `one near-expiry for ${v}`);
      assert.equal(of('SecretExpired', v).length, 1, `one expiry for ${v}`);
    }
  });

  test('boundary: SecretNearExpiry fires when the clock reaches exp − 30 days exactly, not a second before', async () => {
    const now = await unixNow();
    const exp = now + 30 * 86400 + 120;
    const s = await client.setSecret('events-boundary', 'x', { expiresOn: new Date(exp * 1000) });
    const v = s.properties.version!;
    await waitFor((e) => e.data.Version === v && e.eventType === TYPES[0], 'new version');
    const clockNow = await unixNow();
    await bed.admin('POST', '/admin/clock/advance', { seconds: exp - 30 * 86400 - clockNow - 2 });
    const early = await bed.admin('POST', '/admin/keyvault/scan');
    assert.equal((early.body as { published: number }).published, 0, 'nothing due two seconds before');
    assert.equal(of('SecretNearExpiry', v).length, 0);
    await bed.admin('POST', '/admin/clock/advance', { seconds: 3 });
    const near = await waitFor((e) => e.data.Version === v && e.eventType === TYPES[1], 'near-expiry at the boundary');
    assert.ok(Date.parse(near.eventTime) / 1000 >= exp - 30 * 86400, near.eventTime);
  });

  test('extending exp re-arms the version: a new near-expiry at the new time', async () => {
    const now = await unixNow();
    const s = await client.setSecret('events-extend', 'x', { expiresOn: new Date((now + 10 * 86400) * 1000) });
    const v = s.properties.version!;
    await waitFor((e) => e.data.Version === v && e.eventType === TYPES[1], 'near-expiry within 30 days at once');
    await client.updateSecretProperties('events-extend', v, { expiresOn: new Date((now + 60 * 86400) * 1000) });
    await advanceDays(31);
    await bed.events.waitFor(
      (e) => e.data.Version === v && e.eventType === TYPES[1] && e.data.EXP === now + 60 * 86400,
      'near-expiry for the new exp',
    );
    assert.equal(of('SecretNearExpiry', v).length, 2);
  });
});
