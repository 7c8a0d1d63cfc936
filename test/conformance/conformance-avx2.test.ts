// tfjs-core's own test suite on native-cpu with the kernels limited to AVX2 (see harness.ts).
import {defineConformanceTests} from './harness.js';

defineConformanceTests('avx2');
