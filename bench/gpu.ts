// EfficientNet-B0, B1, B4, B7 and ResNet-152 on native-cuda through the public TypeScript API:
// latency with the input already on the GPU, eager (predict, then synchronise the device) and as a
// CUDA-graph replay (predict captured once per cell with captureCudaGraph, then graph.run and
// synchronise), and host to host (upload, predict, download), at batch 1 and at batch 256 (B0,
// ResNet-152), beside the targets for one H200 and PyTorch's numbers on it. Every cell runs in one
// GEMM precision (setCudaPrecision): by default fp32 and TF32, and fp16 at batch 256 too (the
// batch-256 targets are for half precision). EfficientNets are timed with the experimental fused
// MBConv kernel on and off.
//
//   npm run build:ts && npm run bench:gpu -- [options]      (`npm run bench:gpu -- --help` lists them)
//
// Writes <out>/gpu-<date>.json and .md and prints the markdown. Without a usable GPU it exits with
// status 1 and one line saying why.
import {readFileSync} from 'node:fs';
import {join, relative, resolve} from 'node:path';
import {parseArgs} from 'node:util';

import * as tf from '@tensorflow/tfjs-core';

import {
  captureCudaGraph,
  CUDA_PRECISIONS,
  type CudaGraph,
  type CudaPrecision,
  cudaStatus,
  type CudaStatus,
  getCudaMBConvFusion,
  getCudaPrecision,
  type NativeCudaBackend,
  randomWeights,
  setCudaMBConvFusion,
  setCudaPrecision,
  weightSpec,
} from '../src/index.js';
import {packageRoot} from '../src/native.js';
import type {CudaGraphEntries} from '../src/native_cuda.js';
import {
  bestDeviceSeries,
  checkTargets,
  formatBytes,
  formatGpuJson,
  formatGpuMarkdown,
  formatRate,
  fusedText,
  GPU_MODE,
  type GpuBenchResult,
  type GpuCell,
  type GpuDeviceSummary,
  imagesPerSecond,
  precisionsText,
  precisionText,
  seriesStats,
} from './gpu_report.js';
import {abortOnSignals, parseOrExit, runIfMain, writeFiles} from './cli.js';
import {machineInfo} from './machine.js';
import {formatLatency} from './report.js';
import {buildModel, modelSetup, parseModelKey} from './table4.js';

export type FusedOption = 'on' | 'off' | 'both';

export interface GpuBenchOptions {
  /** Model keys (normalizeModelKey), in the order given. */
  models: string[];
  /** Batch sizes per model key, ascending. */
  batches: Record<string, number[]>;
  /** GEMM precisions per batch size (every batch size of the run), in CUDA_PRECISIONS order. */
  precisions: Record<number, CudaPrecision[]>;
  /** Time a CUDA-graph replay series per cell. */
  graph: boolean;
  /** Timed iterations per series. */
  iterations: number;
  /** Untimed iterations before each series. */
  warmup: number;
  /** A series stops after this many seconds of timed iterations (and its warm-up after as many). */
  maxSeconds: number;
  fused: FusedOption;
  quick: boolean;
  seed: number;
  out: string;
  noSave: boolean;
  help: boolean;
}

export const DEFAULT_GPU_MODELS = ['b0', 'b1', 'b4', 'b7', 'resnet152'];
export const DEFAULT_GPU_BATCH = '1,b0:256,resnet152:256';
export const QUICK_GPU_MODELS = ['b0', 'resnet152'];
export const QUICK_GPU_BATCH = '1,b0:256';
/** fp32 and TF32 for every batch (the batch-1 targets take either), fp16 too at batch 256 (its targets are half precision). */
export const DEFAULT_GPU_PRECISION = 'fp32,tf32,256:fp16';
/** One precision per batch: fp32 at batch 1, fp16 at batch 256 (as many cells as before precisions). */
export const QUICK_GPU_PRECISION = '1:fp32,256:fp16';

export const GPU_HELP = `Usage: npm run bench:gpu -- [options]      (after npm run build:ts; or node dist/bench/gpu.js)

Times models on the native-cuda backend (one GPU) through the public API, beside the targets for one
NVIDIA H200 and PyTorch's numbers on it.
Mode: ${GPU_MODE}.
A cell is one model, batch, precision and MBConv path; it has three series, each warm-up iterations,
then timed ones; median and p10/p90 per batch:
  eager         input tensor made on the GPU once; per iteration predict, then synchronise the GPU
  host to host  per iteration tf.tensor from a Float32Array (upload), predict, await data() (download)
  graph replay  predict captured once for the cell's input shape (captureCudaGraph); per iteration
                graph.run on the same GPU input, then synchronise; the graph is freed after the cell
Targets: batch 1 (fp32 or TF32 cells) and batch 256 (fp16 or bf16 cells) each take the lowest
device-resident median, eager or graph replay, and say which one it was.
Needs a usable NVIDIA GPU (compute capability 8.0 or newer) and the CUDA addon; without one it exits
with status 1 and one line saying why.

Options:
  --models LIST        comma list (default ${DEFAULT_GPU_MODELS.join(',')}): b0..b7, resnet50|101|152,
                       amoebanet, amoebanet-N-F; append @RES for another input size, e.g. b0@300
  --batch LIST         batch sizes: N for every model, MODEL:N for one model
                       (default ${DEFAULT_GPU_BATCH}); a batch that would not fit in GPU memory
                       is skipped with the reason in the report
  --iterations N       timed iterations per series (default 100)
  --warmup N           untimed iterations before each series (default 10)
  --max-seconds S      stop a series (and its warm-up) after S seconds, keeping what was timed (default 30)
  --precision LIST     GEMM precisions (setCudaPrecision: fp32, tf32, fp16, bf16): MODE for every
                       batch size, N:MODE for batch N (default ${DEFAULT_GPU_PRECISION}); a batch size
                       without an entry runs fp32; the precision at start is restored at the end
  --graph on|off       time a CUDA-graph replay series per cell (default on); where the CUDA addon has
                       no graph entries, or a capture fails, the cell says why and keeps its other series
  --fused on|off|both  EfficientNets with the fused MBConv kernel (experimental on native-cuda) on,
                       off, or both (default both); other models have no MBConv blocks
  --quick              short run: ${QUICK_GPU_MODELS.join(',')}, batch ${QUICK_GPU_BATCH}, precision ${QUICK_GPU_PRECISION}
                       (fp32 at batch 1, fp16 only at batch 256), graph on, 20 iterations, 3 warm-up,
                       --max-seconds 3
  --seed N             weight and input seed (default 0)
  --out DIR            where to write gpu-<date>.{json,md} (default bench/results)
  --no-save            write no files
  --help               this text
`;

function intOption(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text == null) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min) throw new Error(`--${name}: expected an integer >= ${min}, got '${text}'`);
  return v;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
}

/** A model key in one spelling: 'efficientnet-b0' -> 'b0', 'ResNet152@200' -> 'resnet152@200'. */
export function normalizeModelKey(key: string): string {
  const k = parseModelKey(key);
  return k.resolution != null ? `${k.base}@${k.resolution}` : k.base;
}

/**
 * Batch sizes per model from a --batch list: 'N' applies to every model, 'MODEL:N' to the models whose
 * key or base name is MODEL. Entries naming a model not in the run are an error when `strict` (given
 * by the user) and ignored otherwise (the defaults). Every model must end up with a batch size.
 */
export function parseBatches(text: string, models: string[], strict: boolean): Record<string, number[]> {
  const entries = splitList(text);
  if (entries.length === 0) throw new Error('--batch: no batch sizes given');
  const sets = new Map<string, Set<number>>(models.map((m) => [m, new Set<number>()]));
  for (const entry of entries) {
    const parts = entry.split(':');
    if (parts.length > 2) throw new Error(`--batch: '${entry}': expected N or MODEL:N`);
    const [model, size] = parts.length === 2 ? parts : [null, parts[0]];
    const n = Number(size);
    if (size.trim() === '' || !Number.isInteger(n) || n < 1) throw new Error(`--batch: '${entry}': the batch size must be an integer >= 1`);
    if (model == null) {
      for (const s of sets.values()) s.add(n);
      continue;
    }
    const wanted = normalizeModelKey(model);
    const matches = models.filter((m) => m === wanted || parseModelKey(m).base === wanted);
    if (matches.length === 0) {
      if (strict) throw new Error(`--batch: '${entry}': ${model} is not among the models of the run (${models.join(', ')})`);
      continue;
    }
    for (const m of matches) sets.get(m)!.add(n);
  }
  const out: Record<string, number[]> = {};
  for (const [m, s] of sets) {
    if (s.size === 0) throw new Error(`--batch: no batch size for ${m} (give N for every model, or ${m}:N)`);
    out[m] = [...s].sort((a, b) => a - b);
  }
  return out;
}

/**
 * Precisions per batch size from a --precision list: 'MODE' applies to every batch size, 'N:MODE' to
 * batch N. Entries naming a batch size not in the run are an error when `strict` (given by the user)
 * and ignored otherwise (the defaults). A batch size without an entry runs fp32. Each list is in
 * CUDA_PRECISIONS order, without duplicates.
 */
export function parsePrecisions(text: string, batchSizes: readonly number[], strict: boolean): Record<number, CudaPrecision[]> {
  const entries = splitList(text);
  if (entries.length === 0) throw new Error('--precision: no precisions given');
  const sets = new Map<number, Set<CudaPrecision>>(batchSizes.map((b) => [b, new Set<CudaPrecision>()]));
  for (const entry of entries) {
    const parts = entry.split(':');
    if (parts.length > 2) throw new Error(`--precision: '${entry}': expected MODE or N:MODE`);
    const [size, mode] = parts.length === 2 ? parts : [null, parts[0]];
    if (!(CUDA_PRECISIONS as readonly string[]).includes(mode)) {
      throw new Error(`--precision: '${entry}': unknown precision '${mode}'; supported: ${CUDA_PRECISIONS.join(', ')}`);
    }
    const p = mode as CudaPrecision;
    if (size == null) {
      for (const s of sets.values()) s.add(p);
      continue;
    }
    const n = Number(size);
    if (size.trim() === '' || !Number.isInteger(n) || n < 1) throw new Error(`--precision: '${entry}': the batch size must be an integer >= 1`);
    const set = sets.get(n);
    if (set == null) {
      if (strict) throw new Error(`--precision: '${entry}': batch ${n} is not among the batch sizes of the run (${batchSizes.join(', ')})`);
      continue;
    }
    set.add(p);
  }
  const out: Record<number, CudaPrecision[]> = {};
  for (const [b, s] of [...sets].sort(([a], [c]) => a - c)) out[b] = s.size === 0 ? ['fp32'] : CUDA_PRECISIONS.filter((p) => s.has(p));
  return out;
}

/** Parses command-line arguments; throws an Error naming the option on bad input. */
export function parseGpuOptions(argv: string[]): GpuBenchOptions {
  const {values} = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      models: {type: 'string'},
      batch: {type: 'string'},
      iterations: {type: 'string'},
      warmup: {type: 'string'},
      'max-seconds': {type: 'string'},
      fused: {type: 'string'},
      precision: {type: 'string'},
      graph: {type: 'string'},
      quick: {type: 'boolean', default: false},
      seed: {type: 'string'},
      out: {type: 'string'},
      'no-save': {type: 'boolean', default: false},
      help: {type: 'boolean', short: 'h', default: false},
    },
  });
  const quick = values.quick ?? false;
  const given = values.models != null ? splitList(values.models) : quick ? QUICK_GPU_MODELS : DEFAULT_GPU_MODELS;
  const models = [...new Set(given.map(normalizeModelKey))];
  if (models.length === 0) throw new Error('--models: no models given');
  const batches =
    values.batch != null ? parseBatches(values.batch, models, true) : parseBatches(quick ? QUICK_GPU_BATCH : DEFAULT_GPU_BATCH, models, false);
  const fused = (values.fused ?? 'both').trim().toLowerCase();
  if (fused !== 'on' && fused !== 'off' && fused !== 'both') throw new Error(`--fused: expected on, off or both, got '${values.fused}'`);
  const batchSizes = [...new Set(Object.values(batches).flat())].sort((a, b) => a - b);
  const precisions =
    values.precision != null
      ? parsePrecisions(values.precision, batchSizes, true)
      : parsePrecisions(quick ? QUICK_GPU_PRECISION : DEFAULT_GPU_PRECISION, batchSizes, false);
  const graph = (values.graph ?? 'on').trim().toLowerCase();
  if (graph !== 'on' && graph !== 'off') throw new Error(`--graph: expected on or off, got '${values.graph}'`);
  let maxSeconds = quick ? 3 : 30;
  if (values['max-seconds'] != null) {
    maxSeconds = Number(values['max-seconds']);
    if (values['max-seconds'].trim() === '' || !Number.isFinite(maxSeconds) || maxSeconds <= 0) {
      throw new Error(`--max-seconds: expected a number > 0, got '${values['max-seconds']}'`);
    }
  }
  return {
    models,
    batches,
    precisions,
    graph: graph === 'on',
    iterations: intOption('iterations', values.iterations, quick ? 20 : 100, 1),
    warmup: intOption('warmup', values.warmup, quick ? 3 : 10, 0),
    maxSeconds,
    fused,
    quick,
    seed: intOption('seed', values.seed, 0, 0),
    out: resolve(values.out ?? join(packageRoot(), 'bench', 'results')),
    noSave: values['no-save'] ?? false,
    help: values.help ?? false,
  };
}

/** The one line printed when native-cuda cannot be used; null when it can. */
export function cudaUnavailableLine(status: Pick<CudaStatus, 'available' | 'reason'>): string | null {
  if (status.available) return null;
  return `bench:gpu: native-cuda is unavailable: ${status.reason || 'no reason given'}; nothing was measured`;
}

/** The kernel driver's version from /proc/driver/nvidia/version's text ('580.65.06'), or null. */
export function parseNvidiaDriverVersion(text: string): string | null {
  return /Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)/.exec(text)?.[1] ?? null;
}

function readDriverVersion(): string | null {
  try {
    return parseNvidiaDriverVersion(readFileSync('/proc/driver/nvidia/version', 'utf8'));
  } catch {
    return null;
  }
}

/** The device part of the report, from cudaStatus() (which must be available). */
export function deviceSummary(status: CudaStatus, driverVersion: string | null = readDriverVersion()): GpuDeviceSummary {
  const d = status.device;
  if (!status.available || d == null) throw new Error(cudaUnavailableLine(status) ?? 'bench:gpu: no device report');
  return {
    name: d.name,
    computeCapability: d.computeCapability,
    multiprocessors: d.multiprocessors,
    totalMemoryBytes: d.totalMemory,
    freeMemoryBytes: d.freeMemory,
    l2Bytes: d.l2Bytes,
    driverCudaVersion: d.driverVersion,
    driverVersion,
    runtimeVersion: d.runtimeVersion,
    addonPath: status.addonPath ?? '?',
  };
}

/** The command line as it was typed (npm run bench:gpu or node on the script). */
export function commandLine(argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  const args = argv.slice(2).join(' ');
  if (env.npm_lifecycle_event === 'bench:gpu') return `npm run bench:gpu${args ? ` -- ${args}` : ''}`;
  const script = argv[1] ? relative(process.cwd(), argv[1]) || argv[1] : 'dist/bench/gpu.js';
  return `node ${script}${args ? ` ${args}` : ''}`;
}

/** Seeded values in [-1, 1) (mulberry32): the same input on every run. */
export function seededInput(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let a = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export interface SeriesBudget {
  iterations: number;
  warmup: number;
  maxSeconds: number;
}

/**
 * Runs `once` (which returns the milliseconds it timed) `warmup` times untimed, then up to
 * `iterations` times, stopping a phase early when it has run `maxSeconds` (after at least one
 * iteration) or when `signal` aborts. Returns the timed samples. Yields to the event loop about
 * twice a second so signals are handled during long series.
 */
export async function runSeries(once: () => number | Promise<number>, budget: SeriesBudget, signal?: AbortSignal): Promise<number[]> {
  const limitMs = budget.maxSeconds * 1000;
  let lastYield = performance.now();
  const phase = async (count: number, keep: number[] | null) => {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      if (signal?.aborted) return;
      const ms = await once();
      keep?.push(ms);
      const now = performance.now();
      if (now - start >= limitMs) return;
      if (now - lastYield > 500) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
  };
  await phase(budget.warmup, null);
  const samples: number[] = [];
  await phase(budget.iterations, samples);
  return samples;
}

/** Whether an error is the GPU running out of memory. */
export function isOutOfMemory(e: unknown): boolean {
  return /out of memory|cudaErrorMemoryAllocation/i.test(String((e as Error)?.message ?? e));
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/** Memory estimate per batch from two probes (batch 1 and 2): fixed bytes plus bytes per image. */
export function memoryEstimate(batch1Bytes: number, batch2Bytes: number): {fixedBytes: number; bytesPerImage: number} {
  const perImage = batch2Bytes > batch1Bytes ? batch2Bytes - batch1Bytes : batch1Bytes;
  return {fixedBytes: Math.max(0, batch1Bytes - perImage), bytesPerImage: perImage};
}

/** Margin over the probed estimate before a batch counts as fitting. */
export const MEMORY_MARGIN = 1.2;

/**
 * The CUDA addon entries the benchmark uses. The graph entries are optional: without captureBegin the
 * addon has no CUDA graphs, and cells say so instead of timing a replay.
 */
export type GpuControl = Pick<NativeCudaBackend['cuda'], 'synchronize' | 'emptyCache' | 'info' | 'deviceInfo'> &
  Partial<Pick<CudaGraphEntries, 'captureBegin' | 'capturing' | 'captureAbort'>>;

/** What the benchmark uses of a captured graph. */
export type GpuGraph = Pick<CudaGraph, 'run' | 'dispose' | 'nodes' | 'poolBytes'>;

/** Captures `forward` for one input shape (captureCudaGraph by default). */
export type GraphCapture = (forward: (x: tf.Tensor) => tf.Tensor, inputShape: readonly number[]) => GpuGraph;

/** The GEMM precision setting (getCudaPrecision / setCudaPrecision by default). */
export interface PrecisionControl {
  get(): CudaPrecision;
  /** Sets the precision; returns the previous one. Throws where the mode cannot be used. */
  set(mode: CudaPrecision): CudaPrecision;
}

/** Where the benchmark runs: native-cuda by default; tests pass a stand-in to run the loop on the CPU. */
export interface GpuTarget {
  backendName: string;
  status: CudaStatus;
  /** Default: the native-cuda backend's addon. */
  control?: GpuControl;
  /** Default: captureCudaGraph. Used only where the control has captureBegin. */
  capture?: GraphCapture;
  /** Default: the package's getCudaPrecision / setCudaPrecision. */
  precision?: PrecisionControl;
}

export interface GpuRunHooks {
  target?: GpuTarget;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Called after every model with the result so far. */
  onPartial?: (result: GpuBenchResult) => void;
  signal?: AbortSignal;
}

/** Runs the benchmark on native-cuda and returns the result (no files written). */
export async function runGpuBench(options: GpuBenchOptions, hooks: GpuRunHooks = {}): Promise<GpuBenchResult> {
  const log = hooks.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const signal = hooks.signal ?? new AbortController().signal;
  const target = hooks.target ?? {backendName: 'native-cuda', status: cudaStatus()};
  const status = target.status;
  const unavailable = cudaUnavailableLine(status);
  if (unavailable != null) throw new Error(unavailable);

  tf.env().set('PROD', true);
  if (!(await tf.setBackend(target.backendName))) throw new Error(`bench:gpu: the ${target.backendName} backend failed to initialise`);
  const cuda: GpuControl = target.control ?? (tf.backend() as NativeCudaBackend).cuda;
  const sync = () => cuda.synchronize();
  const allocator = () => cuda.info() as ReturnType<typeof cuda.info> & {bytesReserved?: number; bytesCached?: number};
  const capture: GraphCapture = target.capture ?? ((forward, shape) => captureCudaGraph(forward, shape));
  const precision: PrecisionControl = target.precision ?? {get: getCudaPrecision, set: setCudaPrecision};
  /** Why no cell gets a graph series, or null when they do. */
  const noGraphs = !options.graph
    ? null
    : typeof cuda.captureBegin !== 'function'
      ? 'unavailable: the CUDA addon has no graph entries (captureBegin); rebuild it'
      : null;
  const fusionAtStart = getCudaMBConvFusion();
  const precisionAtStart = precision.get();

  const setups = options.models.map((k) => ({key: k, ...modelSetup(k)}));
  const cells: GpuCell[] = [];
  const result: GpuBenchResult = {
    title: 'effnet-native on the GPU (native-cuda)',
    date: new Date().toISOString(),
    command: commandLine(),
    packageVersion: (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version,
    host: machineInfo(),
    device: deviceSummary(status),
    settings: {
      mode: GPU_MODE,
      fused: options.fused,
      graph: options.graph,
      batches: options.batches,
      precisions: Object.fromEntries(Object.entries(options.precisions)),
      iterations: options.iterations,
      warmup: options.warmup,
      maxSeconds: options.maxSeconds,
      seed: options.seed,
    },
    models: setups.map((s) => s.info),
    cells,
    targets: [],
    notes: [],
  };
  const snapshot = (): GpuBenchResult => ({...result, targets: checkTargets(result.models, cells)});

  // The EfficientNets run in passes: with the fused MBConv kernel off first (the standard ops), then
  // on (the experimental kernel), so a failure of the experimental kernel cannot cost the others.
  // Other models run once, in the first pass. Every cell is listed up front, so an interrupted run
  // still shows what it did not reach.
  const passes: boolean[] = options.fused === 'both' ? [false, true] : [options.fused === 'on'];
  const jobs: Array<{setup: (typeof setups)[number]; fused: boolean | null}> = [];
  for (const [i, pass] of passes.entries()) {
    for (const setup of setups) {
      const eff = setup.info.family === 'efficientnet';
      if (eff || i === 0) jobs.push({setup, fused: eff ? pass : null});
    }
  }
  for (const {setup, fused} of [...jobs].sort((a, b) => options.models.indexOf(a.setup.key) - options.models.indexOf(b.setup.key))) {
    for (const batch of options.batches[setup.key]) {
      for (const p of options.precisions[batch] ?? ['fp32']) {
        cells.push({model: setup.key, batch, fused, precision: p, status: 'skipped', reason: 'not reached (interrupted)'});
      }
    }
  }
  const budget = {iterations: options.iterations, warmup: options.warmup, maxSeconds: options.maxSeconds};
  /** Latency samples of `run` on the device: the clock stops after a synchronize, before the output is freed. */
  const deviceSeries = (run: () => tf.Tensor): Promise<number[]> =>
    runSeries(
      () => {
        const t0 = performance.now();
        const y = run();
        sync();
        const ms = performance.now() - t0;
        y.dispose();
        return ms;
      },
      budget,
      signal,
    );
  /** Set when the device stays in error after a failure (a sticky CUDA error): nothing more can run. */
  let broken: string | null = null;

  /**
   * After a failed capture: captureCudaGraph ends a capture it began, which capturing() confirms. A
   * capture still open would record every later op instead of running it: it is aborted, and if it
   * stays open nothing more runs. Returns the text added to the cell's reason.
   */
  const captureLeftOpen = (): string => {
    if (typeof cuda.capturing !== 'function') return '';
    try {
      if (!cuda.capturing()) return ' (no capture left open)';
      cuda.captureAbort?.();
      const still = cuda.capturing();
      result.notes.push(`A failed CUDA-graph capture left a capture open; it was ${still ? 'not closed by captureAbort' : 'aborted'}.`);
      if (still) broken = 'a CUDA-graph capture stayed open after a failed capture';
      return still ? '; a capture stayed open' : '; a capture was left open (aborted)';
    } catch (e) {
      return `; capturing() failed: ${firstLine(e)}`;
    }
  };

  const runJob = async (s: (typeof setups)[number], fused: boolean | null): Promise<void> => {
    const m = s.info;
    const res = m.resolution;
    const tag = `${m.label} @${res}${fused == null ? '' : `, fused MBConv ${fusedText(fused)}`}`;
    const jobCells = cells.filter((c) => c.model === s.key && c.fused === fused);
    const fail = (targets: GpuCell[], what: string, e: unknown) => {
      const oom = isOutOfMemory(e);
      for (const c of targets) Object.assign(c, {status: oom ? 'skipped' : 'error', reason: `${oom ? 'out of GPU memory: ' : ''}${what}${firstLine(e)}`});
      log(`  ${tag}: ${oom ? 'skipped' : 'error'}: ${what}${firstLine(e)}`);
      broken = recover(cuda);
    };
    if (fused != null) setCudaMBConvFusion(fused);
    let model: ReturnType<typeof buildModel>;
    try {
      log(`${tag}: building (seeded random weights)`);
      const t0 = performance.now();
      const weights = randomWeights(weightSpec(s.config), options.seed);
      try {
        model = buildModel(s.config, weights);
      } finally {
        tf.dispose([...weights.values()]);
      }
      const buildSeconds = (performance.now() - t0) / 1000;
      for (const c of jobCells) c.buildSeconds = buildSeconds;
    } catch (e) {
      fail(jobCells, 'building the model: ', e);
      return;
    }
    /**
     * The cell's graph replay: predict captured once for the cell's input shape, then graph.run on the
     * device-resident input per iteration. A failure is recorded on the cell (graphReason) only.
     */
    const graphSeries = async (cell: GpuCell, x: tf.Tensor, shape: number[], ctag: string): Promise<void> => {
      if (noGraphs != null) {
        cell.graphReason = noGraphs;
        return;
      }
      if (signal.aborted) {
        cell.graphReason = 'interrupted';
        return;
      }
      let graph: GpuGraph;
      try {
        // The eager series' cached blocks go back to the device first: the graph holds its own memory.
        sync();
        cuda.emptyCache();
        graph = capture((input) => model.predict(input), shape);
      } catch (e) {
        cell.graphReason = `capture failed: ${firstLine(e)}${captureLeftOpen()}`;
        log(`  ${ctag}: CUDA graph: ${cell.graphReason}`);
        broken ??= recover(cuda);
        return;
      }
      try {
        cell.graphNodes = graph.nodes;
        cell.graphPoolBytes = graph.poolBytes;
        const samples = await deviceSeries(() => graph.run(x));
        if (samples.length > 0) cell.graph = seriesStats(samples);
        else cell.graphReason = 'interrupted';
      } catch (e) {
        cell.graphReason = `replay failed: ${firstLine(e)}`;
        log(`  ${ctag}: CUDA graph: ${cell.graphReason}`);
        broken ??= recover(cuda);
      } finally {
        try {
          graph.dispose();
        } catch (e) {
          result.notes.push(`${ctag}: freeing the CUDA graph failed: ${firstLine(e)}`);
        }
      }
    };
    try {
      // Memory probes at batch 1 and 2, each from an empty allocator cache; also the first
      // predictions (one-time costs) and a check that the output is finite.
      let estimate: {fixedBytes: number; bytesPerImage: number} | null = null;
      try {
        const grown: number[] = [];
        for (const b of [1, 2]) {
          cuda.emptyCache();
          const before = allocator().bytesReserved;
          const x = tf.tensor(seededInput(b * res * res * 3, options.seed + 1), [b, res, res, 3]);
          const y = model.predict(x);
          const values = y.dataSync();
          tf.dispose([x, y]);
          sync();
          if (b === 1 && !values.every((v) => Number.isFinite(v))) {
            result.notes.push(`${tag}: the batch-1 output has non-finite values (seeded random weights).`);
          }
          const after = allocator().bytesReserved;
          if (before != null && after != null) grown.push(after - before);
        }
        if (grown.length === 2) estimate = memoryEstimate(grown[0], grown[1]);
      } catch (e) {
        fail(jobCells, 'first predictions (batch 1 and 2): ', e);
        return;
      }
      for (const cell of jobCells) {
        if (signal.aborted) return;
        if (broken != null) {
          Object.assign(cell, {status: 'skipped', reason: `not run: the device stayed in error after an earlier failure (${broken})`});
          continue;
        }
        const batch = cell.batch;
        const ctag = `${tag}, batch ${batch}, ${precisionText(cell.precision)}`;
        delete cell.reason;
        if (estimate != null) {
          const available = cuda.deviceInfo().freeMemory + (allocator().bytesCached ?? 0);
          const need = (estimate.fixedBytes + batch * estimate.bytesPerImage) * MEMORY_MARGIN;
          cell.memory = {bytesPerImage: estimate.bytesPerImage, estimateBytes: need, availableBytes: available};
          if (need > available) {
            cell.status = 'skipped';
            cell.reason =
              `not enough GPU memory: needs about ${formatBytes(need)} (${formatBytes(estimate.bytesPerImage)} per image, ` +
              `measured at batch 1 and 2, plus ${Math.round((MEMORY_MARGIN - 1) * 100)}%), ${formatBytes(available)} available`;
            log(`  ${ctag}: skipped: ${cell.reason}`);
            continue;
          }
        }
        try {
          precision.set(cell.precision);
        } catch (e) {
          cell.status = 'skipped';
          cell.reason = `precision ${cell.precision} unavailable: ${firstLine(e)}`;
          log(`  ${ctag}: skipped: ${cell.reason}`);
          continue;
        }
        const shape = [batch, res, res, 3];
        const host = seededInput(batch * res * res * 3, options.seed + 1);
        try {
          // Device-resident: the input is made on the GPU once, for the eager and the graph series.
          const x = tf.tensor(host, shape);
          try {
            const samples = await deviceSeries(() => model.predict(x));
            if (samples.length > 0) cell.device = seriesStats(samples);
            // Host to host: upload, predict, download.
            const hostSamples = await runSeries(
              async () => {
                const t0 = performance.now();
                const xt = tf.tensor(host, shape);
                const y = model.predict(xt);
                await y.data();
                const ms = performance.now() - t0;
                tf.dispose([xt, y]);
                return ms;
              },
              budget,
              signal,
            );
            if (hostSamples.length > 0) cell.host = seriesStats(hostSamples);
            // Graph replay last: a failed capture cannot cost this cell's other series.
            if (options.graph) await graphSeries(cell, x, shape, ctag);
          } finally {
            x.dispose();
          }
          cell.status = cell.device != null && cell.host != null ? 'ok' : 'skipped';
          if (cell.status !== 'ok') cell.reason = 'interrupted';
          else if (signal.aborted) cell.reason = 'interrupted: fewer iterations than asked';
          const graphPart = !options.graph
            ? ''
            : cell.graph != null
              ? `, graph replay ${formatLatency(cell.graph.medianMs)} (${cell.graphNodes} nodes, ${formatBytes(cell.graphPoolBytes ?? 0)})`
              : `, graph replay: ${cell.graphReason ?? 'none'}`;
          log(
            `  ${ctag}: device ${formatLatency(cell.device?.medianMs)} median of ${cell.device?.iterations ?? 0} ` +
              `(${formatRate(imagesPerSecond(batch, bestDeviceSeries(cell)?.stats))})${graphPart}, host to host ${formatLatency(cell.host?.medianMs)}`,
          );
        } catch (e) {
          fail([cell], '', e);
        }
      }
    } finally {
      model.dispose();
      broken ??= recover(cuda);
    }
  };

  try {
    for (const {setup, fused} of jobs) {
      if (signal.aborted) break;
      if (broken != null) {
        for (const c of cells.filter((x) => x.model === setup.key && x.fused === fused)) {
          Object.assign(c, {status: 'skipped', reason: `not run: the device stayed in error after an earlier failure (${broken})`});
        }
        continue;
      }
      await runJob(setup, fused);
      hooks.onPartial?.(snapshot());
    }
  } finally {
    setCudaMBConvFusion(fusionAtStart);
    try {
      precision.set(precisionAtStart);
    } catch (e) {
      result.notes.push(`Restoring the precision ${precisionAtStart} failed: ${firstLine(e)}`);
    }
  }
  result.notes.push(
    `native-cuda: ${GPU_MODE}. Precisions per batch size: ${precisionsText(options.precisions)}; ` +
      `CUDA graph ${options.graph ? (noGraphs != null ? `asked for but ${noGraphs}` : 'on') : 'off'}. ` +
      'The fused MBConv kernel is experimental (setCudaMBConvFusion).',
    'Weights are seeded random (He-uniform), batch norms folded at build; EfficientNets use TF SAME padding.',
    "PyTorch numbers: PyTorch 2.11 + cuDNN on one H200, torchvision's models (the project's anchors).",
  );
  if (signal.aborted) result.notes.push('The run was interrupted: cells not reached are listed as skipped.');
  return snapshot();
}

/**
 * After a model or a failure: waits for the device and returns cached memory. Returns null when the
 * device works, else the error it keeps reporting (a sticky CUDA error: nothing more can run).
 */
function recover(cuda: GpuControl): string | null {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      cuda.synchronize();
      cuda.emptyCache();
      return null;
    } catch (e) {
      // The first error may be the one already recorded where it surfaced; a second is sticky.
      if (attempt === 1) return firstLine(e);
    }
  }
  return null;
}

/** 'bench:gpu: 7 of 9 cells measured, 1 skipped, 1 failed; targets: 1 met, 3 not met, 2 not run'. */
export function summaryLine(r: Pick<GpuBenchResult, 'cells' | 'targets'>): string {
  const count = <T>(list: readonly T[], pick: (x: T) => string) => {
    const m = new Map<string, number>();
    for (const x of list) m.set(pick(x), (m.get(pick(x)) ?? 0) + 1);
    return m;
  };
  const cells = count(r.cells, (c) => c.status);
  const targets = count(r.targets, (t) => t.status);
  const order = ['met', 'not met', 'not run'] as const;
  return (
    `bench:gpu: ${cells.get('ok') ?? 0} of ${r.cells.length} cells measured, ${cells.get('skipped') ?? 0} skipped, ` +
    `${cells.get('error') ?? 0} failed; targets: ${order.filter((k) => targets.has(k)).map((k) => `${targets.get(k)} ${k}`).join(', ') || 'none'}`
  );
}

/** Writes the result as JSON and markdown into `dir`; returns the paths. */
export function writeGpuResults(result: GpuBenchResult, dir: string, stem = `gpu-${result.date.slice(0, 10)}`): string[] {
  return writeFiles(dir, [
    [`${stem}.json`, formatGpuJson(result)],
    [`${stem}.md`, formatGpuMarkdown(result)],
  ]);
}

async function main(): Promise<void> {
  const options = parseOrExit(() => parseGpuOptions(process.argv.slice(2)), GPU_HELP, 'bench:gpu: ');
  if (options == null) return;
  const unavailable = cudaUnavailableLine(cudaStatus());
  if (unavailable != null) {
    console.error(unavailable);
    process.exit(1);
  }
  const controller = abortOnSignals();
  const save = (r: GpuBenchResult) => {
    if (!options.noSave) writeGpuResults(r, options.out);
  };
  const result = await runGpuBench(options, {onPartial: save, signal: controller.signal});
  console.log('\n' + formatGpuMarkdown(result));
  if (!options.noSave) console.log(`Wrote ${writeGpuResults(result, options.out).join(', ')}`);
  console.log(summaryLine(result));
}

runIfMain(import.meta.url, main);
