import {fileURLToPath} from 'node:url';

import {defineConfig} from 'vitest/config';

const esmEntry = (pkg: string) => fileURLToPath(new URL(`./node_modules/@tensorflow/${pkg}/dist/index.js`, import.meta.url));

export default defineConfig({
  test: {
    // Native addons and tfjs's global engine are per process: run each test file in its own.
    pool: 'forks',
    // New native buffers an op takes as a whole output are not zero-filled; in tests they start as NaNs,
    // so an element such a kernel leaves unwritten fails the comparison instead of passing as a zero.
    env: {EFFNET_POISON_BUFFERS: '1'},
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {extends: true, test: {name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/conformance/**', 'test/gpu/**']}},
      {
        // tfjs-core's own test suite (ES modules with extension-less imports, transformed by vite). Every
        // import of tfjs-core, ours included, resolves to the same ES module files: one engine, one registry.
        extends: true,
        resolve: {
          alias: [
            {find: /^@tensorflow\/tfjs-core$/, replacement: esmEntry('tfjs-core')},
            {find: /^@tensorflow\/tfjs-backend-cpu$/, replacement: esmEntry('tfjs-backend-cpu')},
          ],
        },
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          server: {deps: {inline: [/@tensorflow\/tfjs-core/, /@tensorflow\/tfjs-backend-cpu/]}},
        },
      },
    ],
  },
});
