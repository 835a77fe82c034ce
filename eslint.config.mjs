// ESLint, configured once: typescript-eslint's recommended rules, no import cycles, and the floors
// (docs/architecture.md): the platform (http, queue, edge-config, top-level helpers) imports no
// floor above it, the shop ground (src/shops) imports no feature, features import neither the
// pipeline nor the routers, and the pipeline does not import the routers. Formatting is
// Prettier's (.prettierrc.json), so stylistic rules are off (eslint-config-prettier).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const FEATURES = [
  'cache',
  'delivery',
  'events',
  'ingress',
  'limits',
  'openapi',
  'operator',
  'shopify',
  'subscriptions',
  'tasks',
];
const features = FEATURES.map((f) => `./src/${f}`);
const PLATFORM = ['./src/http', './src/queue', './src/edge-config', './src/json', './src/!(index|router).ts'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.wrangler/',
      'worker-configuration.d.ts',
      'public/',
      'coverage/',
      'bench/.state/',
      'test-results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.mjs', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js'] })],
    },
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['demo/**/*.js', 'console/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: PLATFORM,
              from: [
                './src/shops',
                ...features,
                './src/pipeline',
                './src/routers',
                './src/index.ts',
                './src/router.ts',
              ],
              message: 'The platform floor imports nothing above it.',
            },
            {
              target: './src/shops',
              from: [...features, './src/pipeline', './src/routers', './src/index.ts', './src/router.ts'],
              message: 'The shop ground imports no feature.',
            },
            {
              target: features,
              from: ['./src/pipeline', './src/routers', './src/index.ts', './src/router.ts'],
              message: 'Features do not import the pipeline or the routers.',
            },
            {
              target: './src/pipeline',
              from: ['./src/routers', './src/index.ts', './src/router.ts'],
              message: 'The pipeline is imported only by the entry.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
