// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { builtinModules } from 'node:module';
import globals from 'globals';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** A relative import of any of these top-level folders, from any depth. */
const layers = (...names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;

// Dependencies point one way; a wrong arrow fails `npm run lint` (test/lint.test.ts proves it):
//   workflows  -> @temporalio/workflow, common/, pure workflow modules (activities by `import type` only; no zod)
//   activities -> their own contract and client, the HTTP helper, common/ (not workflows/, not another provider)
//   api        -> workflow definitions, common/, provider clients and contracts for read-through catalogues
//   simulators -> nothing of activities/, workflows/, api/, worker/: written from the seeds alone
//   common     -> nothing but itself
export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'jest.config.js', 'test/support/summary-reporter.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      // Imported TypeScript modules are parsed as TypeScript, so cycles through them are seen.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // The approvals inbox runs in the browser, as plain JavaScript served as it is.
    files: ['api/inbox/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    // Workflow code is replayed: it may import only the workflow SDK and pure modules.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
          patterns: [
            { regex: '^\\.\\./activities(/(index|http|[^/]+/(activities|client)))?$', message: 'Workflows reach activities through proxyActivities, with `import type` only.', allowTypeImports: true },
            // The worker evaluates the workflow bundle for every booking it starts or replays: zod tripled it and cost a fifth of the workflow thread.
            { group: ['zod', 'zod/*'], message: 'zod stays out of the workflow bundle: check answers with plain functions (e.g. activities/hotels24/checks.ts).' },
            { regex: '^\\.\\./activities/[^/]+/(contract|request)$', message: 'Contracts and requests are zod schemas: workflows take their types only (`import type`), zod stays out of the workflow bundle.', allowTypeImports: true },
            { regex: layers('api', 'worker', 'simulators', 'config', 'scripts', 'bench', 'test'), message: 'Workflows import only pure modules.' },
            { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing', 'express', 'pino', 'pino-*', 'prom-client', 'axios', 'undici'], message: 'I/O does not belong in workflow code.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'No I/O in workflow code.' }, { name: 'process', message: 'Workflow code must not read the environment.' }, { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' }],
    },
  },
  {
    files: ['activities/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: layers('workflows', 'api', 'worker', 'simulators', 'config', 'scripts'), message: 'Activities depend on their contracts, the HTTP helper and common/ only.' }] }],
    },
  },
  {
    files: ['activities/*/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: layers('workflows', 'api', 'worker', 'simulators', 'config', 'scripts'), message: 'Activities depend on their contracts, the HTTP helper and common/ only.' },
            { regex: '^\\.\\./[^./][^/]*/', message: "A provider's activities never reach into another provider's." },
          ],
        },
      ],
    },
  },
  {
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: layers('worker', 'simulators', 'scripts'), message: 'The API talks to bookings through Temporal only.' },
            { regex: '^(\\.\\./)+activities(/index|/[^/]+/activities)?$', message: 'The API may read through provider clients for catalogues, never run activities.' },
          ],
        },
      ],
    },
  },
  {
    // A simulator is written from its seed, never from the client it tests.
    files: ['simulators/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: layers('activities', 'workflows', 'api', 'worker', 'config'), message: 'Simulators import nothing from activities/, workflows/, api/ or worker/.' }] }],
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: layers('activities', 'workflows', 'api', 'worker', 'simulators', 'config'), message: 'common/ is the neutral vocabulary: it depends on nothing of ours.' }] }],
    },
  },
  {
    // Tests read JSON answers field by field; typing every answer would only restate the assertions.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
