// Warden's own custom roles, created from infra/warden-roles.json (the same roles demo/world.json declares and the
// emulator enforces locally; test/unit/infra/infra-consistency.test.ts keeps the two equal). Subscription scope:
// a custom role is assignable where its assignableScopes say, here the deployment's subscription.
targetScope = 'subscription'

@description('Appended to every role name (custom role names are unique per tenant: a second deployment in the same tenant needs a suffix).')
param roleNameSuffix string = ''

var spec = loadJsonContent('../warden-roles.json')

// Roles the local stack needs and Azure does not: the launcher creates the action group warden-alerts with Warden's
// identity locally; on Azure this template creates it (modules/app.bicep), so Warden gets no write on action groups.
var localOnlyRoles = [
  'Warden Alert Action Group Writer'
]

var roles = filter(spec.roles, r => !contains(localOnlyRoles, r.roleName))

resource definitions 'Microsoft.Authorization/roleDefinitions@2022-04-01' = [
  for role in roles: {
    name: guid(subscription().id, 'warden-role', role.roleName)
    properties: {
      roleName: '${role.roleName}${roleNameSuffix}'
      description: role.description
      type: 'CustomRole'
      assignableScopes: [
        subscription().id
      ]
      permissions: [
        {
          actions: role.actions
          notActions: role.notActions
          dataActions: role.dataActions
          notDataActions: role.notDataActions
        }
      ]
    }
  }
]

@description('Role definition id by role name (names as in warden-roles.json, without the suffix).')
output roleIds object = toObject(
  roles,
  r => r.roleName,
  r => subscriptionResourceId('Microsoft.Authorization/roleDefinitions', guid(subscription().id, 'warden-role', r.roleName))
)
