// tfjs-core's own test suite (the jasmine specs its npm package ships in dist/*_test.js) run against
// the native-cpu backend, with the spec filter of ./filter.ts. conformance*.test.ts call
// defineConformanceTests() once per ISA level (each test file runs in its own process).
//
// The suite is loaded through vite (the `conformance` project in vitest.config.ts resolves every
// import of @tensorflow/tfjs-core, ours in src/ included, to the same ES module files), so there is
// one engine and one kernel registry; the first spec below checks that.
//
// Environment:
//   CONFORMANCE_BACKEND=cpu   run the same specs on tfjs-backend-cpu (validates the harness and filter)
//   CONFORMANCE_ALL=1         ignore the filter and run every spec of the suite (survey)
//   CONFORMANCE_REPORT=<file> also write every spec's name, status and messages as JSON
//   CONFORMANCE_GREP=<text>   run only the specs (of those the filter runs) whose name contains <text>;
//                             the count check is skipped (for working on one kernel)
import {writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import type {IsaLevel} from '../../src/native.js';

import {decide, FilterDecision, PROBES, staleEntries} from './filter.js';

const require = createRequire(import.meta.url);

const BACKEND = process.env.CONFORMANCE_BACKEND ?? 'native-cpu';
const RUN_ALL = process.env.CONFORMANCE_ALL === '1';
const GREP = process.env.CONFORMANCE_GREP ?? '';
const MIN_EXECUTED = 1200;

interface SpecResult {
  name: string;
  status: string;
  messages: string[];
  ms: number;
  decision: FilterDecision;
}

interface JasmineSpecResult {
  fullName: string;
  status: string;
  failedExpectations: {message: string}[];
  duration: number | null;
}

interface JasmineEnv {
  configure(options: object): void;
  addReporter(reporter: object): void;
  execute(): Promise<unknown>;
}

const results: SpecResult[] = [];
const decisions = new Map<string, FilterDecision>();
let engineCheck: {sameEngine: boolean; sameTensorClass: boolean; missingKernels: string[]} | undefined;
let summary = '';
let skipped = '';
let isaInEffect = '';

let hasKernel: (kernelName: string) => boolean = () => false;
const rejected = new Set<string>();

/** Boots a jasmine environment and puts its interface (describe, it, expect, jasmine, ...) on globalThis. */
function bootJasmine(): JasmineEnv {
  const jasmineCore = require('jasmine-core') as {boot(reinitialize?: boolean): {getEnv(): JasmineEnv; DEFAULT_TIMEOUT_INTERVAL: number}};
  const jasmine = jasmineCore.boot(true);
  jasmine.DEFAULT_TIMEOUT_INTERVAL = 20_000;
  const env = jasmine.getEnv();
  env.configure({
    random: false,
    stopOnSpecFailure: false,
    specFilter: (spec: {getFullName(): string}) => {
      const name = spec.getFullName();
      let decision: FilterDecision = RUN_ALL ? {run: true} : decide(name, BACKEND, hasKernel, (probe) => rejected.has(probe));
      if (decision.run && GREP && !name.includes(GREP)) decision = {run: false, reason: `not matching CONFORMANCE_GREP=${GREP}`};
      decisions.set(name, decision);
      return decision.run;
    },
  });
  env.addReporter({
    specDone: (r: JasmineSpecResult) => {
      results.push({
        name: r.fullName,
        status: r.status,
        messages: r.failedExpectations.map((f) => f.message),
        ms: r.duration ?? 0,
        decision: decisions.get(r.fullName) ?? {run: true},
      });
    },
  });
  return env;
}

function summarize(isa: string): string {
  const executed = results.filter((r) => r.status === 'passed' || r.status === 'failed');
  const failed = results.filter((r) => r.status === 'failed');
  const excluded = results.filter((r) => r.status === 'excluded');
  const pending = results.filter((r) => r.status === 'pending');
  const byReason = new Map<string, number>();
  for (const r of excluded) {
    const reason = r.decision.reason ?? 'not included';
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  const lines = [
    `tfjs-core conformance on '${BACKEND}'${BACKEND === 'native-cpu' ? ` (ISA ${isa})` : ''}${RUN_ALL ? ' (unfiltered)' : ''}: ` +
      `executed ${executed.length}, passed ${executed.length - failed.length}, failed ${failed.length}, ` +
      `excluded ${excluded.length}` + (pending.length ? `, pending (xit in the suite) ${pending.length}` : ''),
    `  excluded by reason:`,
    ...[...byReason.entries()].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `    ${String(n).padStart(5)}  ${reason}`),
  ];
  if (failed.length > 0) {
    lines.push(`  failing specs (${failed.length}):`);
    for (const r of failed) lines.push(`    - ${r.name}\n        ${r.messages.join('\n        ').slice(0, 600)}`);
  }
  const slow = [...executed].sort((a, b) => b.ms - a.ms).slice(0, 5);
  lines.push(`  slowest: ${slow.map((r) => `${r.name} (${r.ms} ms)`).join('; ')}`);
  return lines.join('\n');
}

/**
 * Runs the suite once in this process at ISA level `isa` ('best': what the CPU has) and defines the
 * vitest tests that check its results. Skipped when the CPU lacks the level.
 */
export function defineConformanceTests(isa: IsaLevel | 'best'): void {
  const title = `tfjs-core's own test suite on ${BACKEND}` + (BACKEND === 'native-cpu' ? ` (ISA: ${isa})` : '');
  describe(title, () => {
    beforeAll(async () => {
      const env = bootJasmine();

      // Register our backends and kernels (src/), tfjs's cpu backend (reference for CONFORMANCE_BACKEND=cpu)
      // and the gradients (tfjs-core's own test setup registers them too).
      const ours = await import('../../src/index.js');
      if (isa !== 'best') {
        const levels: IsaLevel[] = ['portable', 'avx2', 'avx512'];
        if (levels.indexOf(ours.nativeInfo().detectedIsa) < levels.indexOf(isa)) {
          skipped = `this CPU has no ${isa}`;
          return;
        }
        ours.setIsaLevel(isa);
      }
      isaInEffect = ours.nativeInfo().isa;
      await import('@tensorflow/tfjs-backend-cpu');
      await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
      const tf = await import('@tensorflow/tfjs-core');

      // The suite's copy of tfjs-core (relative imports inside dist/) must be ours.
      const suiteEngine = await import('@tensorflow/tfjs-core/dist/engine.js');
      const suiteTensor = await import('@tensorflow/tfjs-core/dist/tensor.js');
      const suiteRegistry = await import('@tensorflow/tfjs-core/dist/kernel_registry.js');
      engineCheck = {
        sameEngine: tf.engine() === suiteEngine.ENGINE,
        sameTensorClass: tf.Tensor === suiteTensor.Tensor,
        missingKernels: ours.kernelConfigs
          .map((k) => k.kernelName)
          .filter((name) => suiteRegistry.getKernel(name, 'native-cpu') == null),
      };

      hasKernel = (kernelName) => suiteRegistry.getKernel(kernelName, BACKEND) != null;

      // Calls the filter excludes only while the backend rejects them (see PROBES in filter.ts).
      await tf.setBackend(BACKEND);
      for (const [probe, run] of Object.entries(PROBES)) {
        try {
          run(tf);
        } catch {
          rejected.add(probe);
        }
      }

      const jasmineUtil = await import('@tensorflow/tfjs-core/dist/jasmine_util.js');
      jasmineUtil.setTestEnvs([{name: BACKEND, backendName: BACKEND, flags: {}, isDataSync: true}]);

      // The suite logs (profiling output, deprecation warnings); keep it out of the report.
      const quiet = ['log', 'info', 'warn', 'error', 'debug'] as const;
      const saved = quiet.map((level) => console[level]);
      let suppressed = 0;
      for (const level of quiet) console[level] = () => void suppressed++;
      try {
        await import('@tensorflow/tfjs-core/dist/tests.js');
        await env.execute();
      } finally {
        quiet.forEach((level, i) => (console[level] = saved[i]));
      }
      summary = summarize(isaInEffect) + `\n  (${suppressed} console messages from the suite suppressed)`;
      console.log(summary);
      if (process.env.CONFORMANCE_REPORT) {
        writeFileSync(process.env.CONFORMANCE_REPORT, JSON.stringify(results, null, 1));
      }
    }, 600_000);

    afterAll(async () => {
      const tf = await import('@tensorflow/tfjs-core');
      tf.engine().reset();
    });

    it('loads one tfjs-core: our kernels are visible to the suite', (ctx) => {
      if (skipped) ctx.skip(skipped);
      expect(engineCheck).toBeDefined();
      expect(engineCheck!.sameEngine, 'the suite uses another engine').toBe(true);
      expect(engineCheck!.sameTensorClass, 'the suite uses another copy of tfjs-core').toBe(true);
      expect(engineCheck!.missingKernels, 'kernels registered from src/ but not visible to the suite').toEqual([]);
    });

    it('names only suites and specs that exist in the suite (no stale filter entries)', (ctx) => {
      if (skipped || RUN_ALL || GREP) ctx.skip(skipped || 'unfiltered or grep run');
      expect(staleEntries(results.map((r) => r.name), BACKEND)).toEqual([]);
    });

    it(`executes at least ${MIN_EXECUTED} specs`, (ctx) => {
      if (skipped || GREP) ctx.skip(skipped || 'CONFORMANCE_GREP set');
      const executed = results.filter((r) => r.status === 'passed' || r.status === 'failed').length;
      expect(executed, summary).toBeGreaterThanOrEqual(MIN_EXECUTED);
    });

    it('passes every executed spec', (ctx) => {
      if (skipped) ctx.skip(skipped);
      const failed = results.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.messages.join(' | ')}`);
      expect(failed, summary).toEqual([]);
    });
  });
}
