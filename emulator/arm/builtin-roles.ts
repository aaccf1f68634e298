/**
 * Azure built-in role definitions the emulator serves, with their real well-known GUIDs and permissions.
 *
 * @remarks
 * Copied from Microsoft's generated built-in role reference (learn.microsoft.com, "Azure built-in roles" per
 * category: Privileged, General, Storage, Security, AI + machine learning, Monitor; the JSON blocks as published in
 * mid-2026). Role definitions change over time in Azure; this is a snapshot. Add roles here (one entry each) when a
 * later feature needs them.
 */
import type { Permission } from './rbac';

export interface BuiltInRole {
  name: string;
  roleName: string;
  description: string;
  permissions: Permission[];
}

const p = (
  actions: string[],
  notActions: string[] = [],
  dataActions: string[] = [],
  notDataActions: string[] = [],
): Permission => ({ actions, notActions, dataActions, notDataActions });

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    name: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
    roleName: 'Owner',
    description: 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.',
    permissions: [p(['*'])],
  },
  {
    name: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    roleName: 'Contributor',
    description:
      'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    permissions: [
      p(
        ['*'],
        [
          'Microsoft.Authorization/*/Delete',
          'Microsoft.Authorization/*/Write',
          'Microsoft.Authorization/elevateAccess/Action',
          'Microsoft.Blueprint/blueprintAssignments/write',
          'Microsoft.Blueprint/blueprintAssignments/delete',
          'Microsoft.Compute/galleries/share/action',
          'Microsoft.Purview/consents/write',
          'Microsoft.Purview/consents/delete',
          'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
          'Microsoft.Subscription/cancel/action',
          'Microsoft.Subscription/enable/action',
        ],
      ),
    ],
  },
  {
    name: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    roleName: 'Reader',
    description: 'View all resources, but does not allow you to make any changes.',
    permissions: [p(['*/read'])],
  },
  {
    name: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
    roleName: 'User Access Administrator',
    description: 'Lets you manage user access to Azure resources.',
    permissions: [p(['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'])],
  },
  {
    name: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
    roleName: 'Role Based Access Control Administrator',
    description:
      'Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.',
    permissions: [
      p([
        'Microsoft.Authorization/roleAssignments/write',
        'Microsoft.Authorization/roleAssignments/delete',
        '*/read',
        'Microsoft.Support/*',
      ]),
    ],
  },
  {
    name: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
    roleName: 'Storage Blob Data Reader',
    description: 'Allows for read access to Azure Storage blob containers and data',
    permissions: [
      p(
        [
          'Microsoft.Storage/storageAccounts/blobServices/containers/read',
          'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
        ],
        [],
        ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
      ),
    ],
  },
  {
    name: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    roleName: 'Storage Blob Data Contributor',
    description: 'Allows for read, write and delete access to Azure Storage blob containers and data',
    permissions: [
      p(
        [
          'Microsoft.Storage/storageAccounts/blobServices/containers/delete',
          'Microsoft.Storage/storageAccounts/blobServices/containers/read',
          'Microsoft.Storage/storageAccounts/blobServices/containers/write',
          'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
        ],
        [],
        [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action',
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
        ],
      ),
    ],
  },
  {
    name: '81a9662b-bebf-436f-a333-f67b29880f12',
    roleName: 'Storage Account Key Operator Service Role',
    description: 'Storage Account Key Operators are allowed to list and regenerate keys on Storage Accounts',
    permissions: [
      p([
        'Microsoft.Storage/storageAccounts/listkeys/action',
        'Microsoft.Storage/storageAccounts/regeneratekey/action',
      ]),
    ],
  },
  {
    name: '4633458b-17de-408a-b874-0445c86b69e6',
    roleName: 'Key Vault Secrets User',
    description:
      "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    permissions: [
      p(
        [],
        [],
        ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
      ),
    ],
  },
  {
    name: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    roleName: 'Key Vault Secrets Officer',
    description:
      "Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    permissions: [
      p(
        [
          'Microsoft.Authorization/*/read',
          'Microsoft.Insights/alertRules/*',
          'Microsoft.Resources/deployments/*',
          'Microsoft.Resources/subscriptions/resourceGroups/read',
          'Microsoft.Support/*',
          'Microsoft.KeyVault/checkNameAvailability/read',
          'Microsoft.KeyVault/deletedVaults/read',
          'Microsoft.KeyVault/locations/*/read',
          'Microsoft.KeyVault/vaults/*/read',
          'Microsoft.KeyVault/operations/read',
        ],
        [],
        ['Microsoft.KeyVault/vaults/secrets/*'],
      ),
    ],
  },
  {
    name: '21090545-7ca7-4776-b22c-e363652d74d2',
    roleName: 'Key Vault Reader',
    description:
      "Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    permissions: [
      p(
        [
          'Microsoft.Authorization/*/read',
          'Microsoft.Insights/alertRules/*',
          'Microsoft.Resources/deployments/*',
          'Microsoft.Resources/subscriptions/resourceGroups/read',
          'Microsoft.Support/*',
          'Microsoft.KeyVault/checkNameAvailability/read',
          'Microsoft.KeyVault/deletedVaults/read',
          'Microsoft.KeyVault/locations/*/read',
          'Microsoft.KeyVault/vaults/*/read',
          'Microsoft.KeyVault/operations/read',
        ],
        [],
        ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
      ),
    ],
  },
  {
    name: '00482a5a-887f-4fb3-b363-3b7fe8e74483',
    roleName: 'Key Vault Administrator',
    description:
      "Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    permissions: [
      p(
        [
          'Microsoft.Authorization/*/read',
          'Microsoft.Insights/alertRules/*',
          'Microsoft.Resources/deployments/*',
          'Microsoft.Resources/subscriptions/resourceGroups/read',
          'Microsoft.Support/*',
          'Microsoft.KeyVault/checkNameAvailability/read',
          'Microsoft.KeyVault/deletedVaults/read',
          'Microsoft.KeyVault/locations/*/read',
          'Microsoft.KeyVault/vaults/*/read',
          'Microsoft.KeyVault/operations/read',
        ],
        [],
        ['Microsoft.KeyVault/vaults/*'],
      ),
    ],
  },
  {
    name: 'f6c7c914-8db3-469d-8ca1-694a8f32e121',
    roleName: 'AzureML Data Scientist',
    description:
      'Can perform all actions within an Azure Machine Learning workspace, except for creating or deleting compute resources and modifying the workspace itself.',
    permissions: [
      p(
        [
          'Microsoft.MachineLearningServices/workspaces/*/read',
          'Microsoft.MachineLearningServices/workspaces/*/action',
          'Microsoft.MachineLearningServices/workspaces/*/delete',
          'Microsoft.MachineLearningServices/workspaces/*/write',
        ],
        [
          'Microsoft.MachineLearningServices/workspaces/delete',
          'Microsoft.MachineLearningServices/workspaces/write',
          'Microsoft.MachineLearningServices/workspaces/computes/*/write',
          'Microsoft.MachineLearningServices/workspaces/computes/*/delete',
          'Microsoft.MachineLearningServices/workspaces/computes/listKeys/action',
          'Microsoft.MachineLearningServices/workspaces/listKeys/action',
          'Microsoft.MachineLearningServices/workspaces/hubs/write',
          'Microsoft.MachineLearningServices/workspaces/hubs/delete',
          'Microsoft.MachineLearningServices/workspaces/featurestores/write',
          'Microsoft.MachineLearningServices/workspaces/featurestores/delete',
        ],
      ),
    ],
  },
  {
    name: 'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815',
    roleName: 'AzureML Compute Operator',
    description:
      'Can access and perform CRUD operations on Machine Learning Services managed compute resources (including Notebook VMs).',
    permissions: [
      p([
        'Microsoft.MachineLearningServices/workspaces/computes/*',
        'Microsoft.MachineLearningServices/workspaces/notebooks/vm/*',
      ]),
    ],
  },
  {
    name: 'a97b65f3-24c7-4388-baec-2e87135dc908',
    roleName: 'Cognitive Services User',
    description: 'Lets you read and list keys of Cognitive Services.',
    permissions: [
      p(
        [
          'Microsoft.CognitiveServices/*/read',
          'Microsoft.CognitiveServices/accounts/listkeys/action',
          'Microsoft.Insights/alertRules/read',
          'Microsoft.Insights/diagnosticSettings/read',
          'Microsoft.Insights/logDefinitions/read',
          'Microsoft.Insights/metricdefinitions/read',
          'Microsoft.Insights/metrics/read',
          'Microsoft.ResourceHealth/availabilityStatuses/read',
          'Microsoft.Resources/deployments/operations/read',
          'Microsoft.Resources/subscriptions/operationresults/read',
          'Microsoft.Resources/subscriptions/read',
          'Microsoft.Resources/subscriptions/resourceGroups/read',
          'Microsoft.Support/*',
        ],
        [],
        ['Microsoft.CognitiveServices/*'],
      ),
    ],
  },
  {
    name: '749f88d5-cbae-40b8-bcfc-e573ddc772fa',
    roleName: 'Monitoring Contributor',
    description: 'Can read all monitoring data and update monitoring settings.',
    permissions: [
      p([
        '*/read',
        'Microsoft.AlertsManagement/alerts/*',
        'Microsoft.AlertsManagement/alertsSummary/*',
        'Microsoft.Insights/actiongroups/*',
        'Microsoft.Insights/activityLogAlerts/*',
        'Microsoft.Insights/AlertRules/*',
        'Microsoft.Insights/components/*',
        'Microsoft.Insights/createNotifications/*',
        'Microsoft.Insights/dataCollectionEndpoints/*',
        'Microsoft.Insights/dataCollectionRules/*',
        'Microsoft.Insights/dataCollectionRuleAssociations/*',
        'Microsoft.Insights/DiagnosticSettings/*',
        'Microsoft.Insights/eventtypes/*',
        'Microsoft.Insights/LogDefinitions/*',
        'Microsoft.Insights/metricalerts/*',
        'Microsoft.Insights/MetricDefinitions/*',
        'Microsoft.Insights/Metrics/*',
        'Microsoft.Insights/notificationStatus/*',
        'Microsoft.Insights/Register/Action',
        'Microsoft.Insights/scheduledqueryrules/*',
        'Microsoft.Insights/webtests/*',
        'Microsoft.Insights/workbooks/*',
        'Microsoft.Insights/workbooktemplates/*',
        'Microsoft.Insights/privateLinkScopes/*',
        'Microsoft.Insights/privateLinkScopeOperationStatuses/*',
        'Microsoft.OperationalInsights/workspaces/write',
        'Microsoft.OperationalInsights/workspaces/intelligencepacks/*',
        'Microsoft.OperationalInsights/workspaces/savedSearches/*',
        'Microsoft.OperationalInsights/workspaces/search/action',
        'Microsoft.OperationalInsights/workspaces/sharedKeys/action',
        'Microsoft.OperationalInsights/workspaces/storageinsightconfigs/*',
        'Microsoft.Support/*',
        'Microsoft.AlertsManagement/smartDetectorAlertRules/*',
        'Microsoft.AlertsManagement/actionRules/*',
        'Microsoft.AlertsManagement/smartGroups/*',
        'Microsoft.AlertsManagement/migrateFromSmartDetection/*',
        'Microsoft.AlertsManagement/investigations/*',
        'Microsoft.Monitor/investigations/*',
      ]),
    ],
  },
  {
    name: '43d0d8ad-25c7-4714-9337-8ba259a9fe05',
    roleName: 'Monitoring Reader',
    description: 'Can read all monitoring data.',
    permissions: [p(['*/read', 'Microsoft.OperationalInsights/workspaces/search/action', 'Microsoft.Support/*'])],
  },
];
