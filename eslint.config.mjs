// Flat config: type-aware typescript-eslint rules everywhere, plus the determinism rules for orchestrators
// (CONVENTIONS.md 6) and the layering rules of DESIGN.md (runtime/ and emulator/ know nothing of the app).
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

const nondeterministic = [
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'Orchestrators take time from context.df.currentUtcDateTime.',
  },
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'Orchestrators take time from context.df.currentUtcDateTime.',
  },
  {
    selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
    message: 'Orchestrators must be deterministic: use context.df.newGuid.',
  },
  {
    selector: "CallExpression[callee.object.name='crypto'][callee.property.name='randomUUID']",
    message: 'Orchestrators must be deterministic: use context.df.newGuid.',
  },
  {
    selector: 'CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]',
    message: 'Orchestrators use durable timers (context.df.createTimer).',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', '.build/**', 'node_modules/**', '.warden/**', 'bench/results/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
              package: 'node:test',
            },
          ],
        },
      ],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
    },
  },
  {
    files: ['runtime/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/shared/**', '**/functions/**', '**/emulator/**', '**/cli/**'],
              message: 'runtime/ is a generic host: it never imports the app (DESIGN.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/shared/**',
                '**/functions/**',
                '**/runtime/**',
                '**/emulator/**',
                '**/cli/**',
                '**/launcher/**',
              ],
              message: 'lib/ is neutral code the runtime, the emulator and the app all use: it imports none of them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['emulator/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/shared/**', '**/functions/**', '**/runtime/**', '**/cli/**'],
              message: 'emulator/ is Azure, not Warden: it imports nothing of the app (DESIGN.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/functions/**', '**/runtime/**', '**/emulator/**', '**/cli/**'],
              message: 'shared/ never imports functions/, runtime/, emulator/ or cli/ (DESIGN.md).',
            },
          ],
        },
      ],
    },
  },
  // shared/domain is pure. Its own `shared/domain/metadata` (row schemas) must stay importable while the store in
  // `shared/metadata` must not, so the bans are spelled per folder depth (import paths are relative).
  ...[1, 2, 3, 4].map((depth) => ({
    files: [`shared/domain/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'http', 'https', 'child_process', 'net'],
              message: 'shared/domain is pure: no I/O.',
            },
            { group: ['@azure/*', 'kysely', 'tedious'], message: 'shared/domain is pure: no SDKs, no database.' },
            {
              group: ['metadata', 'cloud', 'auth', 'config', 'orchestrations', 'api'].flatMap((dir) => [
                `${'../'.repeat(depth)}${dir}`,
                `${'../'.repeat(depth)}${dir}/**`,
              ]),
              message: 'shared/domain depends on nothing with I/O (store, cloud adapters, settings, orchestrations).',
            },
            {
              group: ['**/functions/**', '**/runtime/**', '**/emulator/**', '**/cli/**'],
              message: 'shared/ never imports functions/, runtime/, emulator/ or cli/.',
            },
          ],
        },
      ],
    },
  })),
  ...[1, 2, 3].map((depth) => ({
    files: [`shared/orchestrations/${'*/'.repeat(depth - 1)}*.orchestrator.ts`],
    rules: {
      'no-restricted-syntax': ['error', ...nondeterministic],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process'],
              message: 'Orchestrators do no I/O.',
            },
            { group: ['@azure/*', '!@azure/functions'], message: 'Orchestrators do no I/O: call an activity.' },
            {
              group: ['metadata', 'cloud', 'config', 'auth'].flatMap((dir) => [
                `${'../'.repeat(depth)}${dir}`,
                `${'../'.repeat(depth)}${dir}/**`,
              ]),
              allowTypeImports: true,
              message: 'Orchestrators import ports and the store as types only.',
            },
            {
              group: ['**/functions/**', '**/runtime/**', '**/emulator/**', '**/cli/**'],
              message: 'shared/ never imports functions/, runtime/, emulator/ or cli/.',
            },
          ],
        },
      ],
    },
  })),
);
