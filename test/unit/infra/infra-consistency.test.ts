/**
 * infra/ (Bicep for `azd up`) against the code it deploys. No Bicep compiler runs here, so the templates are read as
 * text and checked where drift would break a deployment: the app settings against what shared/config/settings.ts and
 * the host read, the Event Grid loop against infra/event-subscriptions.json and the app's Event Grid functions, Warden's
 * custom roles and grants against demo/world.json, the commands queue against its trigger, the action group against the
 * one the local stack creates, and every resource API version against versions checked in the Azure REST specs.
 * Each assertion fails when one side changes without the other.
 */
import assert from 'node:assert/strict';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { parse as parseYaml } from 'yaml';

import { BUILT_IN_ROLES } from '../../../emulator/arm/builtin-roles';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { COMMANDS_QUEUE } from '../../../shared/commands/command-dispatcher';
import { parseMetadataConnection } from '../../../shared/config/metadata-connection';
import { APP_SETTINGS, EnvSettingsSchema, HOST_SETTINGS, SECRET_SETTINGS } from '../../../shared/config/settings';
import { BICEP_RESOURCE_KEYWORDS, bicepResources } from './bicep-text';

const root = findRepoRoot(__dirname);
const read = (...p: string[]): string => readFileSync(path.join(root, ...p), 'utf8');
const readJson = <T>(...p: string[]): T => JSON.parse(read(...p)) as T;

const MAIN = read('infra', 'main.bicep');
const MODULE_FILES = readdirSync(path.join(root, 'infra', 'modules')).filter((f) => f.endsWith('.bicep'));
const MODULES = new Map(MODULE_FILES.map((f) => [f, read('infra', 'modules', f)]));
const APP = MODULES.get('app.bicep') ?? '';
const ALL_BICEP = new Map([['main.bicep', MAIN], ...[...MODULES].map(([f, t]) => [`modules/${f}`, t] as const)]);

/**
 * Resource type@api-version pairs the templates may use, each checked to exist in Azure/azure-rest-api-specs
 * (specification/<service>/resource-manager/<namespace>/stable/<version>/…). A new type or version must be checked
 * there and added here; an entry no template uses any more must go.
 */
const VERIFIED_API_VERSIONS: Record<string, string> = {
  'Microsoft.Resources/resourceGroups@2024-03-01': 'resources/…/Microsoft.Resources/stable/2024-03-01/resources.json',
  'Microsoft.Authorization/roleDefinitions@2022-04-01':
    'authorization/…/stable/2022-04-01/authorization-RoleDefinitionsCalls.json',
  'Microsoft.Authorization/roleAssignments@2022-04-01':
    'authorization/…/stable/2022-04-01/authorization-RoleAssignmentsCalls.json',
  'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31': 'msi/…/stable/2023-01-31/ManagedIdentity.json',
  'Microsoft.OperationalInsights/workspaces@2023-09-01': 'operationalinsights/…/stable/2023-09-01/Workspaces.json',
  'Microsoft.Insights/components@2020-02-02': 'applicationinsights/…/stable/2020-02-02/components_API.json',
  'Microsoft.Insights/actionGroups@2023-01-01': 'monitor/…/Microsoft.Insights/stable/2023-01-01/actionGroups_API.json',
  'Microsoft.Storage/storageAccounts@2023-05-01': 'storage/…/stable/2023-05-01 (StorageAccountCreate example)',
  'Microsoft.Storage/storageAccounts/blobServices@2023-05-01': 'storage/…/stable/2023-05-01 (BlobServicesList example)',
  'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01':
    'storage/…/stable/2023-05-01 (BlobContainersPut example)',
  'Microsoft.ServiceBus/namespaces@2024-01-01':
    'servicebus/…/stable/2024-01-01/namespace-preview.json (SBNameSpaceCreate: minimumTlsVersion)',
  'Microsoft.ServiceBus/namespaces/queues@2024-01-01': 'servicebus/…/stable/2024-01-01/Queue.json',
  'Microsoft.ServiceBus/namespaces/topics@2024-01-01': 'servicebus/…/stable/2024-01-01/topics.json',
  'Microsoft.DurableTask/schedulers@2025-11-01': 'durabletask/…/examples/2025-11-01/Schedulers_CreateOrUpdate.json',
  'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01':
    'durabletask/…/examples/2025-11-01/TaskHubs_CreateOrUpdate.json',
  'Microsoft.Sql/servers@2023-08-01': 'sql/…/stable/2023-08-01 (Servers)',
  'Microsoft.Sql/servers/firewallRules@2023-08-01': 'sql/…/stable/2023-08-01/FirewallRules.json',
  'Microsoft.Sql/servers/databases@2023-08-01': 'sql/…/stable/2023-08-01/Databases.json',
  'Microsoft.Web/serverfarms@2024-04-01': 'web/…/stable/2024-04-01/AppServicePlans.json',
  'Microsoft.Web/sites@2024-04-01': 'web/…/stable/2024-04-01/WebApps.json (CreateOrUpdateFunctionAppFlexConsumption)',
  'Microsoft.Web/sites/config@2024-04-01': 'web/…/stable/2024-04-01/WebApps.json',
  'Microsoft.EventGrid/systemTopics@2022-06-15': 'eventgrid/…/stable/2022-06-15/EventGrid.json',
  'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15':
    'eventgrid/…/stable/2022-06-15 (SystemTopicEventSubscriptions_CreateOrUpdate)',
  'Microsoft.KeyVault/vaults@2023-07-01': 'keyvault/…/stable/2023-07-01 (getVault example)',
  'Microsoft.MachineLearningServices/workspaces@2022-10-01':
    'machinelearningservices/…/stable/2022-10-01 (the version of @azure/arm-machinelearning the app uses)',
};

/** The entries of a Bicep object literal that starts at `opener` (one `key: value` per line, no nesting). */
function objectBlock(text: string, opener: string): Map<string, string> {
  const start = text.indexOf(opener);
  assert.ok(start >= 0, `Bicep has '${opener}'`);
  const body = text.slice(start + opener.length, text.indexOf('\n}', start));
  const entries = new Map<string, string>();
  for (const line of body.split('\n')) {
    const m = /^\s+'?([A-Za-z_][\w./-]*)'?:\s*(.+?)\s*$/.exec(line);
    if (m) entries.set(m[1]!, m[2]!);
  }
  return entries;
}

/** The string items of a Bicep array literal that starts at `opener` (one quoted item per line). */
function arrayBlock(text: string, opener: string): string[] {
  const start = text.indexOf(opener);
  assert.ok(start >= 0, `Bicep has '${opener}'`);
  const body = text.slice(start + opener.length, text.indexOf('\n]', start));
  return [...body.matchAll(/^\s+'([^']+)'/gm)].map((m) => m[1]!);
}

/** A Bicep single-quoted literal without interpolation, or undefined for an expression. */
function literal(value: string): string | undefined {
  const m = /^'([^'$]*)'$/.exec(value);
  return m ? m[1] : undefined;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}
const FUNCTION_SOURCES = walk(path.join(root, 'functions')).map((f) => readFileSync(f, 'utf8'));
const registered = (kind: string): Set<string> =>
  new Set(
    FUNCTION_SOURCES.flatMap((t) =>
      [...t.matchAll(new RegExp(`app\\.${kind}\\(\\s*'([^']+)'`, 'g'))].map((m) => m[1]!),
    ),
  );

const settings = objectBlock(APP, 'var appSettings = {');

describe('infra: function app settings vs shared/config/settings.ts and the host', () => {
  const required = APP_SETTINGS.filter((k) => !EnvSettingsSchema.shape[k].safeParse(undefined).success);
  const connectionPrefixes = ['AzureWebJobsStorage', 'WARDEN_SERVICEBUS'];
  const identitySuffixes = ['__accountName', '__fullyQualifiedNamespace', '__credential', '__clientId'];
  /** Settings the platform reads (Application Insights with Entra auth), neither the app nor its host.json. */
  const platform = ['APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'];

  test('the block was found and holds settings', () => {
    assert.ok(settings.size >= 10, `app.bicep appSettings has ${settings.size} entries`);
  });

  test('every setting the app requires (no default) is set', () => {
    assert.ok(required.includes('WARDEN_METADATA_DB') && required.includes('WARDEN_TENANT_ID'), 'required found');
    assert.deepEqual(
      required.filter((k) => !settings.has(k)),
      [],
    );
  });

  test('every host setting is provided, connections in their identity-based form', () => {
    for (const h of HOST_SETTINGS) {
      if (h === 'FUNCTIONS_WORKER_RUNTIME') {
        assert.ok(!settings.has(h), 'Flex Consumption refuses FUNCTIONS_WORKER_RUNTIME as an app setting');
        assert.match(APP, /runtime:\s*\{\s*name:\s*'node'\s*version:\s*'(\d+)'/, 'runtime set in functionAppConfig');
        continue;
      }
      const ok = settings.has(h) || settings.has(`${h}__accountName`) || settings.has(`${h}__fullyQualifiedNamespace`);
      assert.ok(ok, `${h} (or its identity-based form) is set`);
      assert.notEqual(settings.get(h)?.includes('AccountKey'), true, `${h} carries no key`);
    }
  });

  test('no setting the app, its host or the platform does not read', () => {
    const known = new Set<string>([
      ...APP_SETTINGS,
      ...HOST_SETTINGS,
      ...platform,
      ...connectionPrefixes.flatMap((p) => identitySuffixes.map((s) => `${p}${s}`)),
    ]);
    assert.deepEqual(
      [...settings.keys()].filter((k) => !known.has(k)),
      [],
    );
  });

  test('local-only settings and secrets are never set on Azure', () => {
    for (const k of ['WARDEN_HOST_OVERRIDES', 'WARDEN_CLOCK_FILE', 'WARDEN_CLOCK_MODE', ...SECRET_SETTINGS])
      assert.ok(!settings.has(k), `${k} is not set`);
  });

  test('literal values pass the app’s own schema', () => {
    let checked = 0;
    for (const [k, v] of settings) {
      const text = literal(v);
      if (text === undefined || !(k in EnvSettingsSchema.shape)) continue;
      const r = EnvSettingsSchema.shape[k as keyof typeof EnvSettingsSchema.shape].safeParse(text);
      assert.ok(r.success, `${k}='${text}' is accepted by settings.ts`);
      checked++;
    }
    assert.ok(checked >= 2, `${checked} literal settings checked`);
  });

  test('the metadata connection is Azure SQL with the managed identity, no password', () => {
    const value = settings.get('WARDEN_METADATA_DB');
    assert.ok(value, 'WARDEN_METADATA_DB is set');
    const concrete = value.replace(/^'|'$/g, '').replace(/\$\{[^}]+\}/g, 'x');
    const parsed = parseMetadataConnection(concrete, undefined, root);
    assert.equal(typeof parsed, 'object', typeof parsed === 'string' ? parsed : 'accepted');
    assert.equal((parsed as { dialect: string }).dialect, 'mssql');
    assert.equal(literal(settings.get('WARDEN_METADATA_DIALECT') ?? ''), 'mssql');
  });

  test('host.json and the bindings name settings that are set', () => {
    const host = read('host.json');
    const names = [
      ...[...host.matchAll(/%([A-Za-z_][\w]*)%/g)].map((m) => m[1]!),
      ...[...host.matchAll(/"connectionStringName":\s*"([^"]+)"/g)].map((m) => m[1]!),
    ];
    assert.ok(names.includes('TASKHUB_NAME'), 'host.json hub name setting found');
    for (const n of names) assert.ok(settings.has(n), `host.json's ${n} is set`);
    const sqlSettings = FUNCTION_SOURCES.flatMap((t) =>
      [...t.matchAll(/connectionStringSetting:\s*'([^']+)'/g)].map((m) => m[1]!),
    );
    const busConnections = FUNCTION_SOURCES.flatMap((t) =>
      [...t.matchAll(/connection:\s*'([^']+)'/g)].map((m) => m[1]!),
    );
    assert.ok(sqlSettings.length > 0 && busConnections.length > 0, 'bindings found');
    for (const s of sqlSettings) assert.ok(settings.has(s), `SQL trigger setting ${s} is set`);
    for (const c of busConnections) {
      assert.ok(settings.has(`${c}__fullyQualifiedNamespace`), `${c}__fullyQualifiedNamespace is set`);
      assert.equal(settings.get(`${c}__credential`), "'managedidentity'", `${c} uses the managed identity`);
    }
  });

  test('the Node version is the one package.json requires', () => {
    const major = /runtime:\s*\{\s*name:\s*'node'\s*version:\s*'(\d+)'/.exec(APP)?.[1];
    const engines = readJson<{ engines: { node: string } }>('package.json').engines.node;
    assert.match(engines, new RegExp(`>=${major}\\b`), `engines ${engines} vs Flex runtime ${major}`);
  });

  test('notifications go to the Service Bus topic the app defaults to, with a send grant on it only', () => {
    assert.equal(literal(settings.get('WARDEN_NOTIFIER') ?? ''), 'servicebus');
    const topic = EnvSettingsSchema.shape.WARDEN_NOTIFY_SERVICEBUS_TOPIC.parse(undefined);
    assert.match(APP, new RegExp(`var notificationsTopicName = '${topic}'`));
    assert.match(
      APP,
      /scope: notificationsTopic\s+properties: \{\s+roleDefinitionId: [^\n]+Azure Service Bus Data Sender/,
    );
  });
});

describe('infra: Event Grid subscriptions vs infra/event-subscriptions.json and the app', () => {
  const spec = readJson<{
    subscriptions: { name: string; function: string; topic: string; includedEventTypes: string[] }[];
  }>('infra', 'event-subscriptions.json');
  const eventGridFunctions = registered('eventGrid');

  test('main.bicep loads the JSON and creates every entry through one loop', () => {
    assert.match(MAIN, /loadJsonContent\('event-subscriptions\.json'\)/);
    assert.match(MAIN, /map\(eventSpec\.subscriptions,/);
    assert.match(MAIN, /module eventGrid 'modules\/event-subscription\.bicep' = \[\s*for t in eventTargets:/);
    for (const p of [
      'subscriptionName: t.name',
      'functionName: t.function',
      'includedEventTypes: t.includedEventTypes',
    ])
      assert.ok(MAIN.includes(p), `the loop passes ${p}`);
    const module = MODULES.get('event-subscription.bicep') ?? '';
    assert.match(module, /endpointType: 'AzureFunction'/);
    assert.match(module, /resourceId: '\$\{functionAppId\}\/functions\/\$\{functionName\}'/);
  });

  test('every entry names a registered Event Grid function, and every such function has an entry', () => {
    assert.ok(spec.subscriptions.length > 0);
    for (const s of spec.subscriptions) {
      assert.ok(eventGridFunctions.has(s.function), `${s.name}: app.eventGrid('${s.function}') exists in functions/`);
      assert.ok(s.includedEventTypes.length > 0, `${s.name} filters event types`);
    }
    const subscribed = new Set(spec.subscriptions.map((s) => s.function));
    assert.deepEqual(
      [...eventGridFunctions].filter((f) => !subscribed.has(f)),
      [],
    );
    assert.equal(new Set(spec.subscriptions.map((s) => s.name)).size, spec.subscriptions.length, 'names unique');
  });

  test("every entry's source has a system topic type in main.bicep", () => {
    const types = objectBlock(MAIN, 'var topicTypes = {');
    for (const s of spec.subscriptions) {
      const parts = s.topic.split('/');
      const key = parts.length === 3 ? 'microsoft.resources/subscriptions' : `${parts[6]}/${parts[7]}`.toLowerCase();
      const type = types.get(key);
      assert.ok(type, `${s.name}: topic type for ${key}`);
      const [provider, resourceType] = key.split('/');
      assert.equal(literal(type)?.toLowerCase(), `${provider}.${resourceType}`, `${key} ↔ ${type}`);
    }
  });
});

describe("infra: Warden's roles and grants vs demo/world.json", () => {
  interface Role {
    roleName: string;
    description: string;
    actions: string[];
    notActions: string[];
    dataActions: string[];
    notDataActions: string[];
  }
  const world = readJson<{
    customRoles: (Role & { id: string; assignableScopes: string[] })[];
    warden: { grants: { role: string; scope: string; why: string }[] };
  }>('demo', 'world.json');
  const infraRoles = readJson<{ roles: Role[] }>('infra', 'warden-roles.json').roles;
  const builtIn = readJson<{ roles: Record<string, string> }>('infra', 'built-in-roles.json').roles;
  const rolesBicep = MODULES.get('warden-roles.bicep') ?? '';
  const localOnly = arrayBlock(rolesBicep, 'var localOnlyRoles = [');
  const strip = (r: Role): Role => ({
    roleName: r.roleName,
    description: r.description,
    actions: r.actions,
    notActions: r.notActions,
    dataActions: r.dataActions,
    notDataActions: r.notDataActions,
  });

  test("infra/warden-roles.json equals the world's Warden roles (names, actions, data actions)", () => {
    const wardenRoles = world.customRoles.filter((r) => r.roleName.startsWith('Warden ')).map(strip);
    assert.ok(wardenRoles.length > 0);
    const byName = (a: Role, b: Role) => a.roleName.localeCompare(b.roleName);
    assert.deepEqual(
      infraRoles.map(strip).sort(byName),
      wardenRoles.sort(byName),
      'infra/warden-roles.json is behind demo/world.json: copy the Warden roles (roleName, description, actions, notActions, dataActions, notDataActions) into it',
    );
    assert.match(rolesBicep, /loadJsonContent\('\.\.\/warden-roles\.json'\)/);
  });

  test('the roles left out on Azure are exactly those the world grants for local bootstrap only', () => {
    const bootstrap = world.warden.grants.filter((g) => /^bootstrap \(launcher, local only\)/.test(g.why));
    assert.deepEqual(localOnly.sort(), [...new Set(bootstrap.map((g) => g.role))].sort());
  });

  test("the grant modules grant each of the world's grants on the same kind of scope", () => {
    const kindOf = (scope: string): string => {
      const parts = scope.split('/');
      return parts.length === 5 ? 'resourceGroup' : `${parts[6]}/${parts[7]}`.toLowerCase();
    };
    const expected = world.warden.grants
      .filter((g) => !localOnly.includes(g.role))
      .map((g) => `${g.role} @ ${kindOf(g.scope)}`)
      .sort();
    const actual = [...MODULES]
      .filter(([f]) => f.startsWith('grant-'))
      .flatMap(([f, text]) => {
        const existing = /^resource \w+ '([^@']+)@[^']+' existing/m.exec(text)?.[1];
        const kind = existing ? existing.toLowerCase() : 'resourceGroup';
        assert.ok(MAIN.includes(`'modules/${f}'`), `main.bicep uses modules/${f}`);
        return arrayBlock(text, 'var grantedRoles = [').map((r) => `${r} @ ${kind}`);
      })
      .sort();
    assert.deepEqual(actual, expected);
  });

  test('every granted role is defined: a Warden custom role created on Azure, or a known built-in role', () => {
    const created = infraRoles.map((r) => r.roleName).filter((n) => !localOnly.includes(n));
    for (const [f, text] of MODULES) {
      if (!f.startsWith('grant-')) continue;
      for (const role of arrayBlock(text, 'var grantedRoles = ['))
        assert.ok(created.includes(role) || role in builtIn, `${f}: ${role}`);
    }
  });

  test('built-in role ids match the emulator’s, and every built-in role the templates name is listed', () => {
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    let compared = 0;
    for (const [name, id] of Object.entries(builtIn)) {
      assert.match(id, guid, name);
      const emulated = BUILT_IN_ROLES.find((r) => r.roleName === name);
      if (emulated) {
        assert.equal(id, emulated.name, `${name}: infra and emulator agree on the id`);
        compared++;
      }
    }
    assert.ok(compared >= 2, `${compared} ids compared with the emulator`);
    for (const [file, text] of ALL_BICEP)
      for (const m of text.matchAll(/builtIn\['([^']+)'\]/g)) assert.ok(m[1]! in builtIn, `${file}: ${m[1]}`);
  });
});

describe('infra: Service Bus, action group, azd', () => {
  test('the commands queue is the one the trigger reads, with sessions, and the local broker’s delivery count and lock', () => {
    assert.match(APP, new RegExp(`var commandsQueueName = '${COMMANDS_QUEUE}'`));
    const queue = APP.slice(APP.indexOf("resource commandsQueue 'Microsoft.ServiceBus/namespaces/queues@"));
    assert.match(queue, /requiresSession: true/);
    const trigger = FUNCTION_SOURCES.find((t) => /app\.serviceBusQueue\(\s*'wardenCommands'/.test(t));
    assert.ok(trigger, 'the commands trigger');
    assert.match(trigger, /queueName: COMMANDS_QUEUE/);
    assert.match(trigger, /isSessionsEnabled: true/);
    // The local broker stands in for this queue: its defaults are the queue's settings on Azure.
    const broker = read('runtime', 'servicebus', 'service-bus-component.ts');
    const localCount = /WARDEN_SERVICEBUS_MAX_DELIVERY_COUNT, (\d+)\)/.exec(broker)?.[1];
    const localLockMs = /WARDEN_SERVICEBUS_LOCK_DURATION\?\.trim\(\), ([\d_]+)\)/.exec(broker)?.[1];
    assert.ok(localCount && localLockMs, 'the local broker defaults');
    assert.match(queue, new RegExp(`maxDeliveryCount: ${localCount}\\b`));
    assert.match(queue, new RegExp(`lockDuration: 'PT${Number(localLockMs.replace(/_/g, '')) / 60_000}M'`));
    assert.match(
      APP,
      /scope: commandsQueue\s+properties: \{\s+roleDefinitionId: [^\n]+Azure Service Bus Data Receiver/,
    );
  });

  test('the action group matches what the local stack creates: warden-alerts, secure webhook to the alert route', () => {
    const launcher = read('launcher', 'local-stack.ts');
    const route = /route: '([^']+)'/.exec(FUNCTION_SOURCES.find((t) => t.includes("'monitorAlertWebhook'")) ?? '')?.[1];
    const prefix = readJson<{ extensions: { http: { routePrefix: string } } }>('host.json').extensions.http.routePrefix;
    const path_ = `/${prefix}/${route}`;
    assert.ok(launcher.includes(`\${runtimeBaseUrl}${path_}`), `the launcher's webhook posts to ${path_}`);
    const group = APP.slice(APP.indexOf("resource actionGroup 'Microsoft.Insights/actionGroups@"));
    assert.match(launcher, /actionGroups\/warden-alerts`/);
    assert.match(group, /name: 'warden-alerts'/);
    assert.match(
      group,
      new RegExp(`serviceUri: 'https://\\$\\{functionApp\\.properties\\.defaultHostName\\}${path_}'`),
    );
    for (const field of ['groupShortName', 'useCommonAlertSchema', 'useAadAuth']) {
      const local = new RegExp(`${field}: ([^,\\n]+)`).exec(launcher)?.[1];
      assert.ok(local, `launcher sets ${field}`);
      assert.match(group, new RegExp(`${field}: ${local.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`), field);
    }
    for (const field of ['objectId', 'identifierUri', 'tenantId']) assert.match(group, new RegExp(`\\b${field}: `));
    assert.equal(settings.get('WARDEN_ALERT_ACTION_GROUP_ID'), 'actionGroup.id');
  });

  test('azure.yaml deploys this project as the function app the templates tag', () => {
    const azd = parseYaml(read('azure.yaml')) as {
      infra?: { provider?: string; path?: string; module?: string };
      services: Record<string, { project: string; language: string; host: string }>;
      hooks?: { postdeploy?: { posix?: { run?: string } } };
    };
    assert.deepEqual(Object.keys(azd.services), ['warden']);
    assert.deepEqual(azd.services.warden, { project: '.', language: 'ts', host: 'function' });
    assert.deepEqual(azd.infra, { provider: 'bicep', path: 'infra', module: 'main' });
    assert.match(APP, /'azd-service-name': 'warden'/);
    const hook = azd.hooks?.postdeploy?.posix?.run;
    assert.ok(hook, 'postdeploy hook');
    accessSync(path.join(root, hook), constants.X_OK);
    assert.match(read(hook), /WARDEN_EVENT_SUBSCRIPTIONS/);
  });

  test('main.parameters.json and main.bicep agree on the parameters', () => {
    const given = Object.keys(
      readJson<{ parameters: Record<string, unknown> }>('infra', 'main.parameters.json').parameters,
    ).sort();
    const declared = [...MAIN.matchAll(/^param (\w+) (\w+)( = .*)?$/gm)];
    const declaredNames = declared.map((m) => m[1]!).sort();
    assert.deepEqual(
      given.filter((p) => !declaredNames.includes(p)),
      [],
      'no unknown parameter',
    );
    assert.deepEqual(
      declared
        .filter((m) => !m[3])
        .map((m) => m[1]!)
        .filter((p) => !given.includes(p)),
      [],
      'every parameter without a default is given',
    );
  });

  test('every symbol a template dereferences is declared in it (param, var, resource, module, loop or lambda variable)', () => {
    let checked = 0;
    for (const [file, raw] of ALL_BICEP) {
      // Comments out; string literals reduced to their interpolations (so 'Microsoft.Web/sites' is not a reference).
      const code = raw
        .replace(/\s\/\/ .*$/gm, '')
        .replace(/^\/\/.*$/gm, '')
        .replace(/'(?:[^'\\]|\\.)*'/g, (lit) => ` ${[...lit.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]).join(' ')} `);
      const declared = new Set([
        ...[...code.matchAll(/^(?:param|var|resource|module|output|func) (\w+)/gm)].map((m) => m[1]!),
        ...[...code.matchAll(/\bfor (\w+) in\b/g)].map((m) => m[1]!),
        ...[...code.matchAll(/\b(\w+) =>/g)].map((m) => m[1]!),
        ...[...code.matchAll(/^func \w+\(([^)]*)\)/gm)].flatMap((m) =>
          [...m[1]!.matchAll(/(\w+) \w+/g)].map((p) => p[1]!),
        ),
      ]);
      const references = [
        ...code.matchAll(/(?<![\w.$])([A-Za-z_]\w*)\.[A-Za-z_]/g), // x.y
        ...code.matchAll(/(?<![\w.$])([A-Za-z_]\w*)\[/g), // x[...]
        ...code.matchAll(/^\s+[\w-]+: ([A-Za-z_]\w*)$/gm), // key: x
      ].filter((m) => !['true', 'false', 'null'].includes(m[1]!));
      for (const m of references) {
        assert.ok(declared.has(m[1]!), `${file}: '${m[1]}' is not declared`);
        checked++;
      }
    }
    assert.ok(checked > 50, `${checked} references checked`);
  });

  test('every module call passes exactly parameters its module declares, and reads outputs it has', () => {
    const modules = [...MAIN.matchAll(/^module (\w+) '(modules\/[\w-]+\.bicep)' = /gm)];
    assert.ok(modules.length >= 6, `${modules.length} module calls`);
    for (const m of modules) {
      const [, symbol = '', file = ''] = m;
      const text = ALL_BICEP.get(file);
      assert.ok(text, `${file} exists`);
      const declared = [...text.matchAll(/^param (\w+) \S+( = .*)?$/gm)];
      const start = MAIN.indexOf('params: {', m.index);
      const indent = /\n( *)params: \{/.exec(MAIN.slice(start - 40, start + 10))?.[1] ?? '';
      const body = MAIN.slice(start, MAIN.indexOf(`\n${indent}}`, start));
      const given = [...body.matchAll(new RegExp(`^${indent}  (\\w+):`, 'gm'))].map((g) => g[1]!);
      assert.ok(given.length > 0, `${symbol} passes parameters`);
      const names = declared.map((d) => d[1]!);
      assert.deepEqual(
        given.filter((g) => !names.includes(g)),
        [],
        `${symbol}: parameters ${file} does not declare`,
      );
      assert.deepEqual(
        declared.filter((d) => !d[2] && !given.includes(d[1]!)).map((d) => d[1]),
        [],
        `${symbol}: required parameters of ${file} not passed`,
      );
      for (const o of MAIN.matchAll(new RegExp(`\\b${symbol}\\.outputs\\.(\\w+)`, 'g')))
        assert.match(text, new RegExp(`^output ${o[1]} `, 'm'), `${file} has output ${o[1]}`);
    }
  });

  test('every resource API version was verified against the REST specs, and the list has no stale entry', () => {
    const used = new Set<string>();
    for (const [file, text] of ALL_BICEP)
      for (const m of text.matchAll(/^\s*resource \w+ '([^']+@[^']+)'/gm)) {
        assert.ok(m[1]! in VERIFIED_API_VERSIONS, `${file}: ${m[1]} is not in the verified list`);
        used.add(m[1]!);
      }
    assert.deepEqual(
      Object.keys(VERIFIED_API_VERSIONS).filter((v) => !used.has(v)),
      [],
    );
  });

  test('every property a resource sets exists in its Bicep type (Azure/bicep-types-az), and no type is missing', () => {
    const fixture = readJson<{ types: Record<string, string[]> }>('test', 'fixtures', 'infra', 'bicep-type-paths.json');
    const declared = new Set<string>();
    let checked = 0;
    for (const [file, text] of ALL_BICEP)
      for (const r of bicepResources(text)) {
        declared.add(r.type);
        const allowed = fixture.types[r.type];
        assert.ok(allowed, `${file}: ${r.type} has no Bicep type in the fixture (run extract-bicep-type-paths)`);
        const known = new Set([...allowed, ...BICEP_RESOURCE_KEYWORDS]);
        const unknown = r.paths.filter((p) => !known.has(p));
        assert.deepEqual(unknown, [], `${file}: ${r.type} sets properties its type does not have`);
        checked += r.paths.length;
      }
    assert.ok(checked > 200, `${checked} property paths checked`);
    assert.deepEqual(
      Object.keys(fixture.types).filter((t) => !declared.has(t)),
      [],
      'the fixture lists only types the templates use',
    );
  });

  test('no template lists keys or sets a password or key', () => {
    for (const [file, text] of ALL_BICEP)
      assert.doesNotMatch(
        text,
        /listKeys\(|listConnectionStrings\(|AccountKey=|SharedAccessKey|administratorLoginPassword|@secure\(\)/,
        file,
      );
    assert.match(APP, /allowSharedKeyAccess: false/);
    assert.match(APP, /disableLocalAuth: true/);
    assert.match(APP, /azureADOnlyAuthentication: true/);
  });
});
