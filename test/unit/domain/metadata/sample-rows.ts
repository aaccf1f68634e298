import type { InputOf, MetadataTableName } from '../../../../shared/domain/metadata/metadata-tables';

/** Valid rows for every metadata table (the demo world's shapes), for tests to start from and break. */
export const SUB = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
export const RG = `${SUB}/resourceGroups/rg-fraud-ml`;
export const ENDPOINT = `${RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud/onlineEndpoints/fraud-scoring`;
export const STORAGE = `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
export const DATABRICKS = `${RG}/providers/Microsoft.Databricks/workspaces/dbw-fraud`;
export const GROUP = '95d764b4-de42-46a3-bb72-8b382714c04a';
export const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';

export const SAMPLE_ROWS: { [T in MetadataTableName]: InputOf<T> } = {
  access_policies: {
    id: 'ap-ds-fraud-inference',
    principal_id: GROUP,
    principal_type: 'Group',
    role: 'AzureML Online Endpoint Scorer',
    scope: ENDPOINT,
    data_access: 'inference-only',
    expires_at: null,
    justification: 'Fraud data scientists score the production endpoint',
    approved_by: GRACE,
    enabled: true,
  },
  managed_scopes: {
    scope: RG,
    mode: 'exclusive',
    enforcement: 'enforce',
    allowed_roles: ['Reader', 'AzureML Online Endpoint Scorer'],
    break_glass: ['384bd70d-4052-490d-ac25-1c57e9f8dc5b'],
  },
  secret_references: {
    id: 'sr-databricks-training-token',
    name: 'Databricks token of the training pipeline',
    vault_uri: 'https://kv-fraud-ml.vault.azure.net/',
    secret_name: 'databricks-training-token',
    current_version: null,
    rotator: 'databricks-pat',
    rotator_config: {
      workspaceResourceId: DATABRICKS,
      servicePrincipalAppId: 'c1668f6c-5b42-4098-a44a-b87b56c1e998',
      lifetimeDays: 45,
    },
    interval_days: 30,
    notify_before_days: 7,
    grace_hours: 24,
    consumers: [{ kind: 'databricks-job', name: 'pipeline-fraud-nightly-training', target: DATABRICKS }],
  },
  network_rules: {
    id: 'nr-stfraudraw',
    resource_id: STORAGE,
    public_network_access: 'Disabled',
    private_endpoint_required: true,
    allowed_ip_ranges: [],
    integration_runtime: null,
    consumers: [
      { name: 'pipeline-fraud-feature-build', via: 'private-endpoint', privateEndpoint: 'pe-stfraudraw-blob' },
    ],
    enabled: true,
  },
  alert_rules: {
    id: 'ar-fraud-accuracy',
    model_id: 'm-fraud-detector-3',
    target: ENDPOINT,
    source: { kind: 'metrics', namespace: 'azureml.custom/model-quality', metric: 'accuracy', aggregation: 'Average' },
    operator: 'LessThan',
    threshold: 0.9,
    window: 'PT5M',
    frequency: 'PT1M',
    failing_periods: { min_failing: 2, of_last: 2 },
    action: 'quarantine',
    auto_release: false,
    recovery_windows: 3,
    monitor_name: 'fraud-detector-monitor',
    severity: 2,
  },
  models: {
    id: 'm-fraud-detector-3',
    name: 'fraud-detector',
    model_version: '3',
    endpoint: ENDPOINT,
    deployment: 'blue',
    stage: 'Production',
    last_good_version: '2',
    next_check_at: null,
    owner: GROUP,
  },
  exemptions: {
    id: 'ex-stfraudraw-migration',
    target: STORAGE,
    kind: 'network',
    reason: 'Storage migration window',
    expires_at: '2099-01-01T00:00:00Z',
    approved_by: GRACE,
  },
  approvals: {
    id: 'apr-1',
    kind: 'access',
    target: RG,
    plan: { remove: 1 },
    requested_by: 'warden',
    requested_at: '2026-01-01T00:00:00Z',
  },
};

/** A changed but still valid version of each sample row (for update tests). */
export const SAMPLE_CHANGES: { [T in MetadataTableName]: Partial<InputOf<T>> } = {
  access_policies: { justification: 'changed' },
  managed_scopes: { enforcement: 'report-only' },
  secret_references: { interval_days: 60 },
  network_rules: { enabled: false },
  alert_rules: { threshold: 0.85 },
  models: { stage: 'Staging' },
  exemptions: { reason: 'extended' },
  approvals: { comment: 'please' },
};

/** The key of each sample row. */
export function sampleKey(table: MetadataTableName): string {
  const row = SAMPLE_ROWS[table] as Record<string, unknown>;
  return String(table === 'managed_scopes' ? row.scope : row.id);
}
