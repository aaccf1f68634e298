// Warden's grants on one governed resource group (a managed scope): the custom roles of infra/warden-roles.json that
// the demo world grants Warden at resource-group scope (demo/world.json warden.grants).
targetScope = 'resourceGroup'

@description('Principal (object) id of Warden\'s managed identity.')
param principalId string

@description('Custom role definition ids by role name (modules/warden-roles.bicep output).')
param roleIds object

var grantedRoles = [
  'Warden Access Reconciler' // reconcileAccess: read role definitions and PIM instances, create and delete role assignments
  'Warden Network Enforcer' // enforceNetwork: read and change public network access, IP rules, linked-service runtimes
  'Warden Alert Steward' // syncAlertRules and quarantineModel: alert rules, read the action group, metrics and log queries
]

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in grantedRoles: {
    name: guid(resourceGroup().id, principalId, roleIds[role])
    properties: {
      roleDefinitionId: roleIds[role]
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
