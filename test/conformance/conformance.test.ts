// tfjs-core's own test suite on native-cpu at the best ISA level this CPU has (see harness.ts).
import {defineConformanceTests} from './harness.js';

defineConformanceTests('best');
