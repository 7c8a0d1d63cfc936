// tfjs-core's own test suite on native-cpu with the portable (non-AVX) kernels (see harness.ts).
import {defineConformanceTests} from './harness.js';

defineConformanceTests('portable');
