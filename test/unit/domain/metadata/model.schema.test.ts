import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RG } from './sample-rows';
import { accepts, rejects } from './schema-assert';

test('model: the production version is accepted', () => {
  const row = accepts('models');
  assert.equal(row.model_version, '3');
});

test('model: each field rule rejects', () => {
  rejects('models', { name: '-fraud' }, 'name', /model name/);
  rejects('models', { model_version: 'v 3' }, 'model_version', /model version/);
  rejects('models', { endpoint: RG }, 'endpoint', /online endpoint.*got a scope id/);
  rejects('models', { deployment: 'bl' }, 'deployment', /deployment name/);
  rejects('models', { stage: 'Live' }, 'stage', /model stage/);
  rejects('models', { last_good_version: '3' }, 'last_good_version', /cannot be the version itself/);
  rejects('models', { next_check_at: 'later' }, 'next_check_at', /ISO 8601/);
  rejects('models', { owner: 'fraud-team' }, 'owner', /GUID/);
  rejects('models', { version: '3' }, '', /Unrecognized key/);
});
