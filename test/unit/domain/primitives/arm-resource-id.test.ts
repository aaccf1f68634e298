import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isArmResourceOfType, parseArmResourceId } from '../../../../shared/domain/primitives/arm-resource-id';

const SUB = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336';

test('parses subscription, resource group, resource and child resource ids', () => {
  const sub = parseArmResourceId(SUB);
  assert.ok(typeof sub !== 'string');
  assert.equal(sub.subscriptionId, '748dc4e8-efe6-46bb-9fdb-8b4a39e61336');
  assert.equal(sub.resourceType, undefined);
  const child = parseArmResourceId(
    `${SUB}/resourceGroups/rg-fraud-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud/onlineEndpoints/fraud-scoring`,
  );
  assert.ok(typeof child !== 'string');
  assert.equal(child.resourceGroup, 'rg-fraud-ml');
  assert.equal(child.resourceType, 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints');
  assert.equal(child.name, 'fraud-scoring');
  assert.ok(
    isArmResourceOfType(
      `${SUB}/resourcegroups/rg/providers/microsoft.storage/storageAccounts/st1`,
      'Microsoft.Storage/storageAccounts',
    ),
  );
});

test('names the problem of ids that are not ARM ids', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['subscriptions/x', /must start with '\/'/],
    [`${SUB}/`, /must not end/],
    ['/subscriptions/1234', /not a GUID/],
    [`${SUB}//resourceGroups/x`, /empty segment/],
    [`${SUB}/resourceGroups/rg./providers/Microsoft.Storage/storageAccounts/x`, /resource group/],
    [`${SUB}/resourceGroups/rg/Microsoft.Storage/storageAccounts/x`, /'providers' belongs/],
    [`${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts`, /type\/name pairs/],
    [`${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storage Accounts/x`, /resource type segment/],
    [`/tenants/x`, /must start with/],
  ];
  for (const [id, problem] of cases) {
    const parsed = parseArmResourceId(id);
    assert.equal(typeof parsed, 'string', id);
    assert.match(parsed as string, problem, id);
  }
});
