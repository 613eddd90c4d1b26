// Lint is used for one thing: Nx's module-boundary rule over the projects' `scope:*` tags, so a stage
// cannot reach into a package it must not depend on (serve must not load tfjs or training code).
import nx from '@nx/eslint-plugin';
import tsParser from '@typescript-eslint/parser';

const stageDeps = ['scope:shared', 'scope:stage'];

/** Who may import whom, by the tags in each project.json. */
const depConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:stage', onlyDependOnLibsWithTags: stageDeps },
  { sourceTag: 'scope:experiments', onlyDependOnLibsWithTags: stageDeps },
  { sourceTag: 'scope:study', onlyDependOnLibsWithTags: stageDeps },
  { sourceTag: 'scope:tool', onlyDependOnLibsWithTags: [...stageDeps, 'scope:tool'] },
  {
    // serve answers requests with onnxruntime alone: no tfjs, no training or export code.
    sourceTag: 'scope:serve',
    onlyDependOnLibsWithTags: ['scope:shared'],
    bannedExternalImports: ['@tensorflow/*'],
  },
];

export default [
  { ignores: ['**/node_modules/**', 'artifacts/**', '**/dist/**', '.nx/**', '.gpu-carry/**', 'packages/serve/web/**'] },
  {
    files: ['**/*.ts', '**/*.mjs'],
    languageOptions: { parser: tsParser, ecmaVersion: 'latest', sourceType: 'module' },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
    },
  },
  {
    // serve's runtime files may not reach tfjs through core's backend entry point either.
    files: ['packages/serve/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test-helpers.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@wgan/core/backend', message: 'serve runs without tfjs' }] },
      ],
    },
  },
  {
    // The GPU bundle's entry points import other packages' CLIs and WebGPU test files by path, so that
    // esbuild inlines them into one file for the GPU machine (packages/bench/scripts/pack-gpu-check.sh).
    files: ['packages/bench/src/gpu-main.ts', 'packages/bench/src/gpu-tests/run-tests.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // Tests of serve build their fixture models through the export stage.
    files: ['packages/serve/src/**/*.test.ts', 'packages/serve/src/**/*.test-helpers.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          depConstraints: [{ sourceTag: 'scope:serve', onlyDependOnLibsWithTags: ['scope:shared', 'scope:stage'] }],
        },
      ],
    },
  },
];
