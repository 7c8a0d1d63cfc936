// tfjs-core's own test suite on native-cuda, through the harness and filter of test/conformance/
// (CONFORMANCE_BACKEND=native-cuda). Skips with one message where native-cuda is unavailable.
import {it} from 'vitest';

import {describeGpu, GPU_SKIP_REASON} from './gpu_util.js';

if (GPU_SKIP_REASON) {
  describeGpu("tfjs-core's own test suite", () => {
    it('runs the suite on native-cuda', () => {});
  });
} else {
  process.env.CONFORMANCE_BACKEND ??= 'native-cuda';
  const {defineConformanceTests} = await import('../conformance/harness.js');
  defineConformanceTests('best');
}
