// Warden's own resources in its resource group: managed identity, host storage, monitoring, the Flex Consumption
// function app, Service Bus (commands queue, notifications topic), the Durable Task Scheduler, Azure SQL (metadata,
// Entra-only) and the action group warden-alerts. Every connection is identity-based; no key or password is created
// or stored anywhere.
targetScope = 'resourceGroup'

param location string
param tags object
@description('Short unique suffix for globally unique names.')
param resourceToken string
@description('Object id of the Entra principal that administers the SQL server (the deployer by default).')
param sqlAdminObjectId string
@description('Display name of that principal (the SQL login name of the admin).')
param sqlAdminLogin string
@allowed(['User', 'Group', 'Application'])
param sqlAdminPrincipalType string
@description('Application (client) id of the Warden API app registration.')
param apiAppClientId string
@description('Object id of the Warden API app registration (the action group\'s secure webhook needs it).')
param apiAppObjectId string
@description('Identifier URI of the Warden API app registration.')
param apiIdentifierUri string
@description('Raw-data stores (ARM ids, comma-separated): WARDEN_RAW_DATA_STORES.')
param rawDataStores string
@description('Resources Warden depends on (JSON array): WARDEN_DEPENDENCIES.')
param dependencies string
@description('Global kill switch: "true" makes every remediation report-only.')
@allowed(['true', 'false'])
param killSwitch string

var builtIn = loadJsonContent('../built-in-roles.json').roles
var commandsQueueName = 'warden-commands'
var notificationsTopicName = 'warden-notifications'
var deploymentContainerName = 'app-package-warden'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-warden-${resourceToken}'
  location: location
  tags: tags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-warden-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-warden-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stwarden${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: 'sb-warden-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Standard' // sessions and topics need Standard
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource commandsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: serviceBus
  name: commandsQueueName
  properties: {
    requiresSession: true // functions/commands/commands-queue.ts: isSessionsEnabled, sessions keyed by target
    maxDeliveryCount: 10 // docs/commands.md: dead-lettered after 10 deliveries (MaxDeliveryCountExceeded)
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
  }
}

resource notificationsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: serviceBus
  name: notificationsTopicName
  properties: {
    defaultMessageTimeToLive: 'P14D'
  }
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: 'dts-warden-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'Consumption'
    }
    ipAllowlist: [
      '0.0.0.0/0' // an empty list denies every caller; access is by Entra identity (Durable Task Data Contributor)
    ]
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: 'warden'
}

resource sqlServer 'Microsoft.Sql/servers@2023-08-01' = {
  name: 'sql-warden-${resourceToken}'
  location: location
  tags: tags
  properties: {
    version: '12.0'
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: true // no SQL logins, no passwords
      login: sqlAdminLogin
      sid: sqlAdminObjectId
      tenantId: tenant().tenantId
      principalType: sqlAdminPrincipalType
    }
  }
}

// Flex Consumption apps without a virtual network reach SQL from Azure's shared outbound addresses.
resource sqlAllowAzure 'Microsoft.Sql/servers/firewallRules@2023-08-01' = {
  parent: sqlServer
  name: 'AllowAllWindowsAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource sqlDatabase 'Microsoft.Sql/servers/databases@2023-08-01' = {
  parent: sqlServer
  name: 'warden'
  location: location
  tags: tags
  sku: {
    name: 'GP_S_Gen5'
    tier: 'GeneralPurpose'
    family: 'Gen5'
    capacity: 1
  }
  properties: {
    autoPauseDelay: -1 // the SQL trigger polls every second: pausing would only add resume latency
    minCapacity: json('0.5')
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-warden-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-warden-${resourceToken}'
  location: location
  tags: union(tags, { 'azd-service-name': 'warden' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
      }
    }
  }
}

// Exactly the settings the app and its host read (shared/config/settings.ts APP_SETTINGS and HOST_SETTINGS, identity-
// based connection forms of the host's connections, and Application Insights). Flex Consumption sets the worker
// runtime from functionAppConfig.runtime and refuses FUNCTIONS_WORKER_RUNTIME as a setting. Local-only settings
// (WARDEN_HOST_OVERRIDES, WARDEN_CLOCK_FILE, WARDEN_CLOCK_MODE) and secrets (WARDEN_NOTIFY_EVENTGRID_KEY) are never set.
// test/unit/infra/infra-consistency.test.ts reads this block.
var appSettings = {
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  TASKHUB_NAME: taskHub.name
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${scheduler.properties.endpoint};Authentication=ManagedIdentity;ClientID=${identity.properties.clientId}'
  WARDEN_SERVICEBUS__fullyQualifiedNamespace: split(replace(serviceBus.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
  WARDEN_SERVICEBUS__credential: 'managedidentity'
  WARDEN_SERVICEBUS__clientId: identity.properties.clientId
  WARDEN_METADATA_DB: 'Server=tcp:${sqlServer.properties.fullyQualifiedDomainName},1433;Database=${sqlDatabase.name};Authentication=Active Directory Managed Identity;User Id=${identity.properties.clientId};Encrypt=True'
  WARDEN_METADATA_DIALECT: 'mssql'
  WARDEN_TENANT_ID: tenant().tenantId
  WARDEN_AUTHORITY_HOST: environment().authentication.loginEndpoint
  AZURE_CLIENT_ID: identity.properties.clientId
  WARDEN_SUBSCRIPTION_ID: subscription().subscriptionId
  WARDEN_ARM_ENDPOINT: environment().resourceManager
  WARDEN_KEYVAULT_DNS_SUFFIX: skip(environment().suffixes.keyvaultDns, 1)
  WARDEN_PRINCIPAL_IDS: identity.properties.principalId
  WARDEN_API_AUDIENCES: '${apiIdentifierUri},${apiAppClientId}'
  WARDEN_NOTIFIER: 'servicebus'
  WARDEN_NOTIFY_SERVICEBUS_TOPIC: notificationsTopic.name
  WARDEN_ALERT_ACTION_GROUP_ID: actionGroup.id
  WARDEN_RAW_DATA_STORES: rawDataStores
  WARDEN_DEPENDENCIES: dependencies
  WARDEN_KILL_SWITCH: killSwitch
}

resource functionAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
  dependsOn: [
    storageBlobOwner
    serviceBusReceiver
    serviceBusSender
    durableTaskContributor
    metricsPublisher
  ]
}

// The action group every alert rule syncAlertRules creates notifies: a secure webhook (Entra auth for the API's
// identifier URI, common alert schema) to POST /api/alerts/monitor — what launcher/local-stack.ts
// createAlertActionGroup creates on the emulator.
resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'warden-alerts'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'warden'
    enabled: true
    webhookReceivers: [
      {
        name: 'warden'
        serviceUri: 'https://${functionApp.properties.defaultHostName}/api/alerts/monitor'
        useCommonAlertSchema: true
        useAadAuth: true
        objectId: apiAppObjectId
        identifierUri: apiIdentifierUri
        tenantId: tenant().tenantId
      }
    ]
  }
}

// Role assignments for Warden's own resources, each on the narrowest scope that works.

// Storage Blob Data Owner on the host storage account: host leases, keys and the deployment package (Flex).
resource storageBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, builtIn['Storage Blob Data Owner'])
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtIn['Storage Blob Data Owner'])
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Azure Service Bus Data Receiver on the commands queue only: the wardenCommands trigger.
resource serviceBusReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(commandsQueue.id, identity.id, builtIn['Azure Service Bus Data Receiver'])
  scope: commandsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtIn['Azure Service Bus Data Receiver'])
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Azure Service Bus Data Sender on the notifications topic only: the notifier's output binding.
resource serviceBusSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(notificationsTopic.id, identity.id, builtIn['Azure Service Bus Data Sender'])
  scope: notificationsTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtIn['Azure Service Bus Data Sender'])
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Durable Task Data Contributor on the scheduler: the durable extension's orchestration state.
resource durableTaskContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, identity.id, builtIn['Durable Task Data Contributor'])
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtIn['Durable Task Data Contributor'])
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Monitoring Metrics Publisher on Application Insights: telemetry with Entra auth (local auth is disabled).
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, builtIn['Monitoring Metrics Publisher'])
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtIn['Monitoring Metrics Publisher'])
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

output functionAppId string = functionApp.id
output functionAppName string = functionApp.name
output functionAppHostName string = functionApp.properties.defaultHostName
output identityName string = identity.name
output identityPrincipalId string = identity.properties.principalId
output identityClientId string = identity.properties.clientId
output sqlServerFqdn string = sqlServer.properties.fullyQualifiedDomainName
output sqlDatabaseName string = sqlDatabase.name
output serviceBusNamespace string = serviceBus.name
output commandsQueueName string = commandsQueue.name
output actionGroupId string = actionGroup.id
