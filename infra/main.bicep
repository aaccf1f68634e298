// Warden on Azure, for `azd up` (azure.yaml at the repository root). Subscription scope: it creates Warden's resource
// group, Warden's custom roles (assignable in this subscription) and Warden's grants on the governed scopes, which
// live in other resource groups of the same subscription. What Bicep cannot do (the Entra app registration of the
// API, the SQL contained user, the metadata schema) is in docs/deploy.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names Warden\'s resource group and seeds the unique resource suffix.')
param environmentName string

@minLength(1)
@description('Region of Warden\'s resources (one that offers Flex Consumption and the Durable Task Scheduler).')
param location string

@description('Object id of the signed-in deployer (azd sets AZURE_PRINCIPAL_ID).')
param deployerPrincipalId string

@description('Object id of the Entra principal (user or group) that administers the SQL server; empty: the deployer.')
param sqlAdminObjectId string = ''

@description('Display name of that principal (the SQL login name of the admin).')
param sqlAdminLogin string

@allowed(['User', 'Group', 'Application'])
param sqlAdminPrincipalType string = 'User'

@description('Application (client) id of the Warden API app registration (docs/deploy.md, step 1).')
param apiAppClientId string

@description('Object id of the Warden API app registration.')
param apiAppObjectId string

@description('Identifier URI of the Warden API app registration.')
param apiIdentifierUri string = 'api://warden'

@description('Governed resource groups (managed scopes), ARM ids, comma-separated: Warden Access Reconciler, Network Enforcer and Alert Steward there.')
param governedResourceGroupIds string = ''

@description('Governed Key Vaults (RBAC model) holding rotated secrets, ARM ids, comma-separated: Key Vault Secrets Officer there.')
param governedKeyVaultIds string = ''

@description('Storage accounts whose keys Warden rotates, ARM ids, comma-separated: Storage Account Key Operator Service Role there.')
param rotatedStorageAccountIds string = ''

@description('Governed Azure ML workspaces, ARM ids, comma-separated: Warden Model Steward there.')
param governedMlWorkspaceIds string = ''

@description('Event sources by event-subscriptions.json entry name, as a JSON object name → ARM id. Entries not named use their topic from the file (the demo world\'s names).')
param eventSources string = ''

@description('Region of the governed resources whose system topics carry events (vaults, workspaces); empty: location.')
param eventSourceLocation string = ''

@description('Create the Event Grid subscriptions: "true" only once the functions exist (azd postdeploy hook; an AzureFunction destination must name an existing function).')
param createEventSubscriptions string = 'false'

@description('Raw-data stores (ARM ids, comma-separated): WARDEN_RAW_DATA_STORES.')
param rawDataStores string = ''

@description('Resources Warden depends on, JSON array: WARDEN_DEPENDENCIES.')
param dependencies string = ''

@description('Global kill switch (WARDEN_KILL_SWITCH): "true" makes every remediation report-only.')
@allowed(['true', 'false'])
param killSwitch string = 'false'

@description('Appended to Warden\'s custom role names (they are unique per tenant).')
param roleNameSuffix string = ''

var tags = {
  'azd-env-name': environmentName
  application: 'warden'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var resourceGroupName = 'rg-${environmentName}'

// The non-empty, trimmed items of a comma-separated list.
func idsOf(text string) array => filter(map(split(text, ','), s => trim(s)), s => !empty(s))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module roles 'modules/warden-roles.bicep' = {
  name: 'warden-roles'
  params: {
    roleNameSuffix: roleNameSuffix
  }
}

module app 'modules/app.bicep' = {
  name: 'warden-app'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    sqlAdminObjectId: empty(sqlAdminObjectId) ? deployerPrincipalId : sqlAdminObjectId
    sqlAdminLogin: sqlAdminLogin
    sqlAdminPrincipalType: sqlAdminPrincipalType
    apiAppClientId: apiAppClientId
    apiAppObjectId: apiAppObjectId
    apiIdentifierUri: apiIdentifierUri
    rawDataStores: rawDataStores
    dependencies: dependencies
    killSwitch: killSwitch
  }
}

// Warden's grants on what it governs: least privilege, each on the scope its remediation acts on.

module governedGroups 'modules/grant-resource-group.bicep' = [
  for id in idsOf(governedResourceGroupIds): {
    name: 'warden-grants-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      principalId: app.outputs.identityPrincipalId
      roleIds: roles.outputs.roleIds
    }
  }
]

module governedVaults 'modules/grant-key-vault.bicep' = [
  for id in idsOf(governedKeyVaultIds): {
    name: 'warden-vault-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      vaultName: last(split(id, '/'))
      principalId: app.outputs.identityPrincipalId
    }
  }
]

module rotatedStorageAccounts 'modules/grant-storage-account.bicep' = [
  for id in idsOf(rotatedStorageAccountIds): {
    name: 'warden-keys-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      accountName: last(split(id, '/'))
      principalId: app.outputs.identityPrincipalId
    }
  }
]

module governedWorkspaces 'modules/grant-ml-workspace.bicep' = [
  for id in idsOf(governedMlWorkspaceIds): {
    name: 'warden-ml-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      workspaceName: last(split(id, '/'))
      principalId: app.outputs.identityPrincipalId
      roleIds: roles.outputs.roleIds
    }
  }
]

// Event Grid: one system topic + subscription per entry of event-subscriptions.json — the one list the local
// launcher also reads, so the JSON stays the single source. A source's topic type comes from its resource type.
var eventSpec = loadJsonContent('event-subscriptions.json')
var eventSourceIds = json(empty(eventSources) ? '{}' : eventSources)
var topicTypes = {
  'microsoft.resources/subscriptions': 'Microsoft.Resources.Subscriptions'
  'microsoft.keyvault/vaults': 'Microsoft.KeyVault.vaults'
  'microsoft.machinelearningservices/workspaces': 'Microsoft.MachineLearningServices.Workspaces'
}
var eventSubscriptions = map(eventSpec.subscriptions, s => {
  name: s.name
  function: s.function
  includedEventTypes: s.includedEventTypes
  source: contains(eventSourceIds, s.name)
    ? eventSourceIds[s.name]
    : replace(s.topic, '{subscriptionId}', subscription().subscriptionId)
})
// Where each source's system topic goes: a subscription's in Warden's group (location global), a resource's in the
// resource's group. take/skip keep every branch safe for the short subscription id.
var eventTargets = map(eventSubscriptions, e => {
  name: e.name
  function: e.function
  includedEventTypes: e.includedEventTypes
  source: e.source
  isSubscription: length(split(e.source, '/')) == 3
  subscriptionId: split(e.source, '/')[2]
  resourceGroupName: length(split(e.source, '/')) == 3 ? resourceGroupName : join(take(skip(split(e.source, '/'), 4), 1), '')
  typeKey: length(split(e.source, '/')) == 3
    ? 'microsoft.resources/subscriptions'
    : toLower(join(take(skip(split(e.source, '/'), 6), 2), '/'))
})

module eventGrid 'modules/event-subscription.bicep' = [
  for t in eventTargets: if (createEventSubscriptions == 'true') {
    name: 'warden-events-${t.name}'
    scope: resourceGroup(t.subscriptionId, t.resourceGroupName)
    params: {
      topicName: t.isSubscription ? 'warden-subscription-events' : 'warden-${last(split(t.source, '/'))}-events'
      sourceId: t.source
      topicType: topicTypes[t.typeKey]
      location: t.isSubscription ? 'global' : (empty(eventSourceLocation) ? location : eventSourceLocation)
      subscriptionName: t.name
      functionAppId: app.outputs.functionAppId
      functionName: t.function
      includedEventTypes: t.includedEventTypes
    }
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output WARDEN_FUNCTION_APP_NAME string = app.outputs.functionAppName
output WARDEN_API_URL string = 'https://${app.outputs.functionAppHostName}/api'
output WARDEN_IDENTITY_NAME string = app.outputs.identityName
output WARDEN_IDENTITY_PRINCIPAL_ID string = app.outputs.identityPrincipalId
output WARDEN_SQL_SERVER string = app.outputs.sqlServerFqdn
output WARDEN_SQL_DATABASE string = app.outputs.sqlDatabaseName
output WARDEN_SERVICEBUS_NAMESPACE string = app.outputs.serviceBusNamespace
output WARDEN_COMMANDS_QUEUE string = app.outputs.commandsQueueName
output WARDEN_ALERT_ACTION_GROUP_ID string = app.outputs.actionGroupId
