// Warden's grant on one governed Azure ML workspace: quarantineModel tags model versions, moves online-endpoint
// traffic and (after approval) regenerates the keys of a key-auth endpoint.
targetScope = 'resourceGroup'

@description('Name of the workspace (in this resource group).')
param workspaceName string

@description('Principal (object) id of Warden\'s managed identity.')
param principalId string

@description('Custom role definition ids by role name (modules/warden-roles.bicep output).')
param roleIds object

var grantedRoles = [
  'Warden Model Steward' // quarantineModel: tag versions, move endpoint traffic, regenerate endpoint keys
]

resource workspace 'Microsoft.MachineLearningServices/workspaces@2022-10-01' existing = {
  name: workspaceName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in grantedRoles: {
    name: guid(workspace.id, principalId, roleIds[role])
    scope: workspace
    properties: {
      roleDefinitionId: roleIds[role]
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
