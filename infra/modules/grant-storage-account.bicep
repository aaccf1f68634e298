// Warden's grant on one storage account whose keys a secret reference rotates (rotator storage-account-key).
targetScope = 'resourceGroup'

@description('Name of the storage account (in this resource group).')
param accountName string

@description('Principal (object) id of Warden\'s managed identity.')
param principalId string

var builtIn = loadJsonContent('../built-in-roles.json').roles

var grantedRoles = [
  'Storage Account Key Operator Service Role' // rotateSecret (storage-account-key): list and regenerate the keys
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: accountName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in grantedRoles: {
    name: guid(account.id, principalId, builtIn[role])
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtIn[role])
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
