// Warden's grant on one governed Key Vault (RBAC authorization model): rotateSecret reads versions, sets new versions
// and updates attributes of the vault's secrets. Vaults on the access-policy model ignore role assignments.
targetScope = 'resourceGroup'

@description('Name of the vault (in this resource group).')
param vaultName string

@description('Principal (object) id of Warden\'s managed identity.')
param principalId string

var builtIn = loadJsonContent('../built-in-roles.json').roles

var grantedRoles = [
  'Key Vault Secrets Officer' // rotateSecret: read versions, set new versions, update attributes
]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in grantedRoles: {
    name: guid(vault.id, principalId, builtIn[role])
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtIn[role])
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
