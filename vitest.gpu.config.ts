// `npm run test:gpu`: the native-cuda tests (test/gpu/), on a machine with an NVIDIA GPU. Without one
// every file skips with one message. tfjs-core resolves to its ES module files, as in the conformance
// project of vitest.config.ts, so test/gpu/conformance.test.ts can load tfjs-core's own suite.
import {fileURLToPath} from 'node:url';

import {defineConfig} from 'vitest/config';

const esmEntry = (pkg: string) => fileURLToPath(new URL(`./node_modules/@tensorflow/${pkg}/dist/index.js`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      {find: /^@tensorflow\/tfjs-core$/, replacement: esmEntry('tfjs-core')},
      {find: /^@tensorflow\/tfjs-backend-cpu$/, replacement: esmEntry('tfjs-backend-cpu')},
    ],
  },
  test: {
    name: 'gpu',
    include: ['test/gpu/**/*.test.ts'],
    pool: 'forks',
    // One GPU: files run one after another.
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    server: {deps: {inline: [/@tensorflow\/tfjs-core/, /@tensorflow\/tfjs-backend-cpu/]}},
  },
});
