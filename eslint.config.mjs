import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mts}'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-definitions': ['error', 'type'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The core and device layer run in any host: they never import electron or the DOM.
    files: ['electron/core/**/*.ts', 'electron/api/**/*.ts', 'electron/kiosk/**/*.ts', 'electron/cli/**/*.ts', 'electron/utility/**/*.ts', 'native/**/*.ts', 'hq/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The core never imports electron; only electron/main and electron/preload do.' }] }],
    },
  },
  {
    // A sandboxed preload can require only electron at run time; anything else it uses is types.
    files: ['electron/preload/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: '^(?!electron$)', allowTypeImports: true, message: 'The sandboxed preload can require only electron; import types with `import type`.' }] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    rules: {
      // `electron` as a path (not a pattern): a pattern would also match the `electron/api` folder.
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The renderer talks only to the typed API (electron/api).' }], patterns: [{ group: ['node:*', '**/core/**', '**/kiosk/**', '**/native/**', '**/electron/main/**', '**/electron/preload/**', '**/electron/cli/**'], message: 'The renderer talks only to the typed API (electron/api).' }] }],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.js', 'test/**/*.ts', 'eslint.config.mjs'],
    languageOptions: { globals: globals.node },
    rules: { 'no-console': 'off' },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
