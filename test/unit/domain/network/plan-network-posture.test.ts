import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { type NetworkPlanInput, planNetworkPosture } from '../../../../shared/domain/network/plan-network-posture';
import {
  exemption,
  LINKED_SERVICE,
  networkRule,
  NOW,
  RG,
  STORAGE,
  storagePosture,
  VAULT,
} from '../../../fixtures/access/access-fixtures';

const rawRule = networkRule({
  id: 'nr-stfraudraw',
  resource_id: STORAGE,
  public_network_access: 'Disabled',
  private_endpoint_required: true,
  consumers: [{ name: 'pipeline-fraud-feature-build', via: 'private-endpoint', privateEndpoint: 'pe-stfraudraw-blob' }],
});

const drifted = storagePosture({ publicNetworkAccess: 'Enabled', defaultAction: 'Allow', ipRules: ['203.0.113.0/24'] });

function input(over: Partial<NetworkPlanInput> = {}): NetworkPlanInput {
  return {
    now: NOW,
    rule: rawRule,
    posture: drifted,
    exemptions: [],
    wardenDependencies: [],
    reportOnly: false,
    killSwitch: false,
    ...over,
  };
}

describe('planNetworkPosture', () => {
  test('the demo drift: public access disabled again, firewall back to Deny with no ranges', () => {
    const plan = planNetworkPosture(input());
    assert.deepEqual(
      plan.steps.map((s) => [s.aspect, s.to, s.needsApproval]),
      [
        ['public-network-access', 'Disabled', false],
        ['firewall', { defaultAction: 'Deny', ipRules: [] }, false],
      ],
    );
    assert.equal(plan.steps[0]?.ruleId, 'nr-stfraudraw');
    assert.match(plan.steps[0]?.reason ?? '', /wants public network access Disabled; it is Enabled/);
    assert.equal(plan.apply, true);
  });

  test('a compliant resource plans nothing', () => {
    assert.deepEqual(planNetworkPosture(input({ posture: storagePosture() })).steps, []);
  });

  test('IP ranges compare in Azure’s form (single addresses without /32)', () => {
    const rule = networkRule({
      id: 'nr',
      resource_id: STORAGE,
      public_network_access: 'Enabled',
      allowed_ip_ranges: ['198.51.100.7/32', '203.0.113.0/24'],
    });
    const posture = storagePosture({ publicNetworkAccess: 'Enabled', ipRules: ['203.0.113.0/24', '198.51.100.7'] });
    assert.deepEqual(planNetworkPosture(input({ rule, posture })).steps, []);
    const missing = planNetworkPosture(
      input({ rule, posture: storagePosture({ publicNetworkAccess: 'Enabled', ipRules: ['203.0.113.0/24'] }) }),
    );
    assert.deepEqual(missing.steps[0]?.to, { defaultAction: 'Deny', ipRules: ['198.51.100.7', '203.0.113.0/24'] });
  });

  describe('impact pre-checks', () => {
    test('consumer private endpoint approved → no approval needed', () => {
      assert.equal(planNetworkPosture(input()).needsApproval, false);
    });
    test('consumer private endpoint pending → the disable step waits for approval, naming the consumer', () => {
      const posture = {
        ...drifted,
        privateEndpointConnections: [{ ...drifted.privateEndpointConnections[0]!, status: 'Pending' }],
      };
      const plan = planNetworkPosture(input({ posture }));
      const s = plan.steps.find((x) => x.aspect === 'public-network-access');
      assert.equal(s?.needsApproval, true);
      assert.equal(s?.gate, 'impact');
      assert.match(
        s?.approvalReason ?? '',
        /pipeline-fraud-feature-build \(private endpoint pe-stfraudraw-blob is Pending, not Approved\)/,
      );
      assert.equal(plan.steps.find((x) => x.aspect === 'firewall')?.needsApproval, false);
    });
    test('consumer private endpoint missing entirely', () => {
      const plan = planNetworkPosture(input({ posture: { ...drifted, privateEndpointConnections: [] } }));
      assert.match(plan.steps[0]?.approvalReason ?? '', /not connected to the resource/);
      assert.equal(plan.notes[0]?.kind, 'missing-private-endpoint');
    });
    test('consumers on the Azure integration runtime or on IP rules need approval; self-hosted runtimes do not', () => {
      const rule = (via: 'integration-runtime' | 'ip-rule', ir?: string) =>
        networkRule({
          id: 'nr',
          resource_id: STORAGE,
          public_network_access: 'Disabled',
          consumers: [{ name: 'c', via, ...(ir ? { integrationRuntime: ir } : {}) }],
        });
      assert.equal(planNetworkPosture(input({ rule: rule('integration-runtime', 'azure') })).steps[0]?.gate, 'impact');
      assert.equal(planNetworkPosture(input({ rule: rule('ip-rule') })).steps[0]?.gate, 'impact');
      assert.equal(
        planNetworkPosture(input({ rule: rule('integration-runtime', 'shir-onprem') })).steps[0]?.gate,
        null,
      );
    });
    test('an approved impact step applies', () => {
      const posture = { ...drifted, privateEndpointConnections: [] };
      const key = planNetworkPosture(input({ posture })).steps[0]?.key ?? '';
      const plan = planNetworkPosture(input({ posture, approvals: { approvedStepKeys: [key], pending: [] } }));
      assert.equal(plan.steps[0]?.needsApproval, false);
    });
    test('cutting Warden off from its vault is refused, not gated', () => {
      const rule = networkRule({ id: 'nr-kv', resource_id: VAULT, public_network_access: 'Disabled' });
      const posture = storagePosture({
        resourceId: VAULT,
        resourceType: 'Microsoft.KeyVault/vaults',
        publicNetworkAccess: 'Enabled',
        privateEndpointConnections: [],
        defaultAction: 'Deny',
      });
      const plan = planNetworkPosture(
        input({ rule, posture, wardenDependencies: [{ resourceId: VAULT, path: 'public-network' }] }),
      );
      assert.deepEqual(plan.steps, []);
      assert.match(plan.refused[0]?.reason ?? '', /cut Warden off from a resource it depends on/);
      const viaPe = planNetworkPosture(
        input({
          rule,
          posture,
          wardenDependencies: [{ resourceId: VAULT, path: 'private-endpoint', privateEndpoint: 'pe-kv' }],
        }),
      );
      assert.match(viaPe.refused[0]?.reason ?? '', /private endpoint pe-kv to it is not approved/);
    });
    test('an IP firewall on a resource Warden reaches publicly is refused', () => {
      const rule = networkRule({
        id: 'nr-kv',
        resource_id: VAULT,
        public_network_access: 'Enabled',
        allowed_ip_ranges: ['203.0.113.0/24'],
      });
      const posture = storagePosture({ resourceId: VAULT, publicNetworkAccess: 'Enabled', defaultAction: 'Allow' });
      const plan = planNetworkPosture(
        input({ rule, posture, wardenDependencies: [{ resourceId: VAULT, path: 'public-network' }] }),
      );
      assert.deepEqual(plan.steps, []);
      assert.equal(plan.refused.length, 1);
    });
  });

  describe('integration runtime', () => {
    const rule = networkRule({
      id: 'nr-ls',
      resource_id: LINKED_SERVICE,
      integration_runtime: 'self-hosted:shir-onprem',
      consumers: [{ name: 'p', via: 'integration-runtime', integrationRuntime: 'shir-onprem' }],
    });
    const ls = (name: string, kind: 'azure' | 'self-hosted') => ({
      ...storagePosture(),
      resourceId: LINKED_SERVICE,
      resourceType: 'Microsoft.DataFactory/factories/linkedservices',
      publicNetworkAccess: null,
      defaultAction: null,
      ipRules: null,
      privateEndpointConnections: [],
      integrationRuntime: { name, kind },
    });
    test('switched to the Azure IR → switched back to the pinned self-hosted one', () => {
      const plan = planNetworkPosture(input({ rule, posture: ls('AutoResolveIntegrationRuntime', 'azure') }));
      assert.equal(plan.steps.length, 1);
      assert.deepEqual(plan.steps[0]?.change, { integrationRuntime: 'self-hosted:shir-onprem' });
      assert.match(plan.steps[0]?.reason ?? '', /switched to the Azure one, so it is switched back/);
    });
    test('already on the pinned runtime: nothing', () => {
      assert.deepEqual(planNetworkPosture(input({ rule, posture: ls('shir-onprem', 'self-hosted') })).steps, []);
    });
    test('a runtime rule on a resource without one is reported as not supported', () => {
      const plan = planNetworkPosture(input({ rule: { ...rule, resource_id: STORAGE }, posture: storagePosture() }));
      assert.equal(plan.notes[0]?.kind, 'not-supported');
    });
  });

  test('disabled rule, missing resource, exemption: no steps, each reported', () => {
    assert.equal(planNetworkPosture(input({ rule: { ...rawRule, enabled: false } })).notes[0]?.kind, 'disabled');
    assert.equal(planNetworkPosture(input({ posture: undefined })).notes[0]?.kind, 'not-found');
    const ex = planNetworkPosture(input({ exemptions: [exemption({ id: 'ex-n', target: RG, kind: 'network' })] }));
    assert.deepEqual(ex.steps, []);
    assert.equal(ex.notes[0]?.kind, 'exempt');
    const lapsed = planNetworkPosture(
      input({ exemptions: [exemption({ id: 'ex-n', target: RG, kind: 'network', expires_at: NOW })] }),
    );
    assert.equal(lapsed.steps.length, 2);
  });

  test('report-only and the kill switch plan without applying', () => {
    assert.equal(planNetworkPosture(input({ reportOnly: true })).apply, false);
    const k = planNetworkPosture(input({ killSwitch: true }));
    assert.equal(k.apply, false);
    assert.equal(k.steps.length, 2);
  });

  test('fight-stopped aspects are skipped', () => {
    const plan = planNetworkPosture(
      input({ stoppedDrifts: { [`${STORAGE.toLowerCase()}|public-network-access`]: 'reverted 5 times in 60 s' } }),
    );
    assert.deepEqual(
      plan.steps.map((s) => s.aspect),
      ['firewall'],
    );
    assert.equal(plan.notes.find((n) => n.kind === 'fight-stopped')?.target, STORAGE);
  });
});
