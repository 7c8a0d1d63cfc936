// The EfficientNet paper's Table 4 on this machine: ResNet-152 vs EfficientNet-B1 and GPipe's
// AmoebaNet-B (N=18, F=512, 480x480) vs EfficientNet-B7, batch 1, one thread, seeded random
// weights, beside the paper's latencies; with EfficientNet-B0, the fused vs unfused MBConv paths,
// native-cpu's captured-graph replay (captureGraph) beside its eager predict, and peers measured in
// the same run on the same model code (tfjs-backend-cpu, tfjs-backend-wasm) or on torchvision's
// models (onnxruntime-node, with --onnx DIR).
//
//   npm run build:ts && npm run bench -- [options]      (`npm run bench -- --help` lists them)
//
// Writes <out>/table4-<date>.json, .md and .svg (latency against parameters, log scales).
import {loadavg} from 'node:os';
import {join, resolve} from 'node:path';
import {parseArgs} from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import {Bench} from 'tinybench';

import {amoebaNetConfig, type AmoebaNetConfig, buildAmoebaNet} from '../src/models/amoebanet.js';
import {countMultiplyAdds, countParams, type ModelConfig, weightSpec} from '../src/models/count.js';
import {buildEfficientNet} from '../src/models/efficientnet.js';
import {type Model, randomWeights} from '../src/models/graph.js';
import {hasFusedMBConv, setMBConvFusion} from '../src/models/mbconv.js';
import {buildResNet, resNetConfig, type ResNetConfig} from '../src/models/resnet.js';
import {efficientNetConfig, type EfficientNetConfig} from '../src/models/scaling.js';
import {captureGraph, nativeInfo, type NativeGraph, setThreads} from '../src/index.js';
import {packageRoot} from '../src/native.js';
import {renderResultChart} from './chart.js';
import {abortOnSignals, parseOrExit, runIfMain, writeFiles} from './cli.js';
import {machineInfo, machineLine} from './machine.js';
import {loadOrt, type LoadedOrt, onnxFile, ortRunner} from './peers/ort.js';
import {setupCpuPeer, setupWasmPeer} from './peers/tfjs.js';
import {Progress} from './progress.js';
import {
  type BackendId,
  type BackendInfo,
  type Cell,
  formatJson,
  formatLatency,
  formatMarkdown,
  type ModelInfo,
  PAPER_PAIRS,
  PAPER_TABLE4,
  type Table4Pair,
  type Table4Result,
} from './report.js';

export type PeerId = 'cpu' | 'wasm' | 'ort';
const PEERS: readonly PeerId[] = ['cpu', 'wasm', 'ort'];

export interface Table4Options {
  models: string[];
  /** Overrides every model's input size. */
  resolution?: number;
  threads: number;
  batch: number;
  /** Minimum timed iterations per cell. */
  iterations: number;
  /** Minimum timed milliseconds per cell. */
  timeMs: number;
  /** Warm-up milliseconds per cell (at least one warm-up iteration always runs). */
  warmupMs: number;
  /** Interleaved rounds per model: the time and iteration budgets are split over them. */
  rounds: number;
  peers: PeerId[];
  /** Models the slow tfjs peers (cpu, wasm) run on; ['all'] for every model. */
  peerModels: string[];
  onnx?: string;
  quick: boolean;
  noFusion: boolean;
  /** Time the native-cpu graph replay ('native-graph'; off with --no-graph). */
  graph: boolean;
  out: string;
  seed: number;
  /** Write no files (the result is still returned). */
  noSave: boolean;
  help: boolean;
}

export const DEFAULT_MODELS = ['b0', 'b1', 'resnet152', 'b7', 'amoebanet'];
export const QUICK_MODELS = ['b0', 'b1', 'resnet50', 'amoebanet-6-64@224'];
export const DEFAULT_PEER_MODELS = ['b0', 'b1'];

export const HELP = `Usage: npm run bench -- [options]      (after npm run build:ts; or node dist/bench/table4.js)

Reproduces the EfficientNet paper's Table 4 (ResNet-152 vs EfficientNet-B1, GPipe's AmoebaNet-B
vs EfficientNet-B7; batch 1, one core) on this machine with native-cpu, beside the paper's numbers,
with peers measured in the same run.

Options:
  --models LIST        comma list of models (default ${DEFAULT_MODELS.join(',')}):
                         b0..b7                EfficientNet (TF 'same' padding)
                         resnet50|resnet101|resnet152
                         amoebanet             GPipe's AmoebaNet-B (N=18, F=512) at 480x480
                         amoebanet-N-F         AmoebaNet-B with N cells and F filters
                       append @RES for another input size, e.g. b0@96, amoebanet-6-64@224
  --resolution N       input size for every model (overrides @RES and the defaults)
  --threads N          native-cpu threads and onnxruntime intra-op threads (default 1)
  --batch N            images per inference (default 1)
  --iterations N       minimum timed iterations per cell (default 3)
  --time MS            minimum timed milliseconds per cell (default 2000)
  --warmup MS          warm-up milliseconds per cell, at least one iteration (default 500)
  --rounds N           interleaved rounds (default 3): every cell of a model (and of the other
                       model of its Table 4 pair) runs once per round, in turn, with 1/N of the
                       time and iteration budget; all rounds' samples are pooled, so bursts of
                       load from other processes hit the cells compared with each other alike
  --peers LIST         peers to measure beside native-cpu: cpu,wasm,ort (default cpu,wasm, plus ort
                       with --onnx); --peers none for native-cpu only
  --peer-models LIST   models the slow tfjs peers (cpu, wasm) run on (default ${DEFAULT_PEER_MODELS.join(',')});
                       'all' for every model; PEER:MODEL for one peer only, e.g.
                       b0,b1,wasm:resnet152,wasm:b7. Skipped cells are listed with the reason.
  --onnx DIR           folder of torchvision models exported to ONNX as <torchvision name>.onnx
                       (efficientnet_b0.onnx, resnet152.onnx, ...: torch.onnx.export at batch 1,
                       the standard input size, input name 'x') to time with onnxruntime-node
                       (not a dependency: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node,
                       or set ORT_PATH to an installed copy)
  --no-fusion          force the composite MBConv path (no fused kernel) on native-cpu
  --no-graph           leave out the native-cpu graph column (predict captured once per model with
                       captureGraph, timed as graph.run; on by default)
  --quick              short run: ${QUICK_MODELS.join(',')}, 2 iterations, 200 ms per cell,
                       one round
  --seed N             weight seed (default 0)
  --out DIR            where to write table4-<date>.{json,md,svg} (default bench/results)
  --no-save            write no files
  --help               this text

Cells: native-cpu runs every model (EfficientNets twice when a fused MBConv kernel is registered:
fused, and unfused); 'native-cpu graph' is the same native-cpu model (fused kernels) with predict
captured once per model by captureGraph after the build and replayed (graph.run: no tfjs per-op
work), a failed capture being an error in that cell only; the tfjs peers run the same TypeScript
model code on their backends.
`;

function positiveInt(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text == null) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name}: expected an integer >= ${min}, got '${text}'`);
  return v;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
}

/** Parses command-line arguments; throws an Error with a usage hint on bad input. */
export function parseOptions(argv: string[]): Table4Options {
  const {values} = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      models: {type: 'string'},
      resolution: {type: 'string'},
      threads: {type: 'string'},
      batch: {type: 'string'},
      iterations: {type: 'string'},
      time: {type: 'string'},
      warmup: {type: 'string'},
      rounds: {type: 'string'},
      peers: {type: 'string'},
      'peer-models': {type: 'string'},
      onnx: {type: 'string'},
      quick: {type: 'boolean', default: false},
      'no-fusion': {type: 'boolean', default: false},
      'no-graph': {type: 'boolean', default: false},
      seed: {type: 'string'},
      out: {type: 'string'},
      'no-save': {type: 'boolean', default: false},
      help: {type: 'boolean', short: 'h', default: false},
    },
  });
  const quick = values.quick ?? false;
  const models = [...new Set(values.models != null ? list(values.models) : quick ? QUICK_MODELS : DEFAULT_MODELS)];
  if (models.length === 0) throw new Error('--models: no models given');
  for (const m of models) parseModelKey(m);  // validates
  let peers: PeerId[];
  if (values.peers != null) {
    const given = list(values.peers);
    if (given.length === 1 && given[0] === 'none') {
      peers = [];
    } else {
      for (const p of given) {
        if (!PEERS.includes(p as PeerId)) throw new Error(`--peers: unknown peer '${p}'; supported: ${PEERS.join(', ')}, none`);
      }
      peers = given as PeerId[];
    }
  } else {
    peers = values.onnx != null ? ['cpu', 'wasm', 'ort'] : ['cpu', 'wasm'];
  }
  if (peers.includes('ort') && values.onnx == null) throw new Error('--peers ort needs --onnx DIR (a folder of exported ONNX models)');
  const peerModels = values['peer-models'] != null ? list(values['peer-models']) : [...DEFAULT_PEER_MODELS];
  for (const entry of peerModels) {
    const [peer, model] = entry.includes(':') ? entry.split(':', 2) : [null, entry];
    if (peer != null && peer !== 'cpu' && peer !== 'wasm') {
      throw new Error(`--peer-models: '${entry}': only the tfjs peers (cpu, wasm) take a model list`);
    }
    if (model !== 'all') parseModelKey(model);
  }
  return {
    models,
    resolution: values.resolution != null ? positiveInt('resolution', values.resolution, 0, 8) : undefined,
    threads: positiveInt('threads', values.threads, 1),
    batch: positiveInt('batch', values.batch, 1),
    iterations: positiveInt('iterations', values.iterations, quick ? 2 : 3),
    timeMs: positiveInt('time', values.time, quick ? 200 : 2000, 0),
    warmupMs: positiveInt('warmup', values.warmup, quick ? 100 : 500, 0),
    rounds: positiveInt('rounds', values.rounds, quick ? 1 : 3),
    peers,
    peerModels,
    onnx: values.onnx != null ? resolve(values.onnx) : undefined,
    quick,
    noFusion: values['no-fusion'] ?? false,
    graph: !(values['no-graph'] ?? false),
    out: resolve(values.out ?? join(packageRoot(), 'bench', 'results')),
    seed: positiveInt('seed', values.seed, 0, 0),
    noSave: values['no-save'] ?? false,
    help: values.help ?? false,
  };
}

/**
 * Whether a tfjs peer runs a model under --peer-models: entries name models for both peers
 * ('b7', 'all') or for one ('wasm:b7', 'cpu:all'); a model matches by its key or its base name.
 */
export function peerRunsModel(peerModels: string[], peer: 'cpu' | 'wasm', modelKey: string): boolean {
  const base = parseModelKey(modelKey).base;
  return peerModels.some((entry) => {
    const [p, m] = entry.includes(':') ? entry.split(':', 2) : [peer, entry];
    return p === peer && (m === 'all' || m === modelKey || m === base);
  });
}

/** A parsed --models entry. */
export interface ModelKey {
  key: string;
  family: 'efficientnet' | 'resnet' | 'amoebanet';
  /** 'b0'..'b7', 'resnet152', 'amoebanet' or 'amoebanet-N-F'. */
  base: string;
  variant?: string;
  depth?: 50 | 101 | 152;
  cells?: number;
  filters?: number;
  resolution?: number;
}

export function parseModelKey(key: string): ModelKey {
  const k = key.trim().toLowerCase();
  const [base, res, extra] = k.split('@');
  if (extra != null) throw new Error(`--models: '${key}' has more than one @`);
  let resolution: number | undefined;
  if (res != null) {
    resolution = Number(res);
    if (!Number.isInteger(resolution) || resolution < 8) throw new Error(`--models: '${key}': resolution must be an integer >= 8`);
  }
  let m = /^(?:efficientnet[-_]?)?(b[0-7])$/.exec(base);
  if (m) return {key: k, family: 'efficientnet', base: m[1], variant: m[1], resolution};
  m = /^resnet[-_]?(50|101|152)$/.exec(base);
  if (m) return {key: k, family: 'resnet', base: `resnet${m[1]}`, depth: Number(m[1]) as 50 | 101 | 152, resolution};
  m = /^(?:amoebanet|gpipe)(?:-(\d+)-(\d+))?$/.exec(base);
  if (m) {
    const cells = m[1] != null ? Number(m[1]) : 18;
    const filters = m[2] != null ? Number(m[2]) : 512;
    if (cells < 1 || filters < 4) throw new Error(`--models: '${key}': AmoebaNet needs N >= 1 and F >= 4`);
    return {key: k, family: 'amoebanet', base: m[1] != null ? `amoebanet-${cells}-${filters}` : 'amoebanet', cells, filters, resolution};
  }
  throw new Error(
    `--models: unknown model '${key}'; supported: b0..b7, resnet50, resnet101, resnet152, amoebanet, amoebanet-N-F (each with optional @RES)`,
  );
}

/** A model's configuration, description and torchvision name (for its ONNX export). */
export function modelSetup(key: string, resolutionOverride?: number): {config: ModelConfig; info: ModelInfo; torchvision: string | null} {
  const k = parseModelKey(key);
  const resolution = resolutionOverride ?? k.resolution;
  let config: ModelConfig;
  let label: string;
  let torchvision: string | null = null;
  if (k.family === 'efficientnet') {
    const base = efficientNetConfig(k.variant!);
    config = {...base, resolution: resolution ?? base.resolution} satisfies EfficientNetConfig;
    label = `EfficientNet-${k.variant!.toUpperCase()}`;
    torchvision = `efficientnet_${k.variant}`;
  } else if (k.family === 'resnet') {
    config = resNetConfig(k.depth!, {resolution}) satisfies ResNetConfig;
    label = `ResNet-${k.depth}`;
    torchvision = `resnet${k.depth}`;
  } else {
    config = amoebaNetConfig({numCells: k.cells, numFilters: k.filters, resolution}) satisfies AmoebaNetConfig;
    label = k.base === 'amoebanet' ? 'AmoebaNet-B (GPipe)' : `AmoebaNet-B (${k.cells}, ${k.filters})`;
  }
  const standard = resolution == null || resolution === defaultResolution(k);
  const paperKey = k.base as keyof typeof PAPER_TABLE4;
  const paper = standard && paperKey in PAPER_TABLE4 ? {...PAPER_TABLE4[paperKey]} : undefined;
  return {
    config,
    torchvision,
    info: {
      key: k.key,
      label,
      family: k.family,
      resolution: config.resolution,
      params: countParams(config),
      multiplyAdds: countMultiplyAdds(config),
      paper,
    },
  };
}

function defaultResolution(k: ModelKey): number {
  if (k.family === 'efficientnet') return efficientNetConfig(k.variant!).resolution;
  return k.family === 'resnet' ? 224 : 480;
}

/** Table 4's pairs among the models of the run (any ResNet against B1, any AmoebaNet against B7). */
export function pairsFor(models: ModelInfo[]): Table4Pair[] {
  const pairs: Table4Pair[] = [];
  for (const p of PAPER_PAIRS) {
    const family = p.baseline.startsWith('resnet') ? 'resnet' : 'amoebanet';
    const base = models.find((m) => m.key === p.baseline) ?? models.find((m) => m.family === family);
    const eff = models.find((m) => m.key === p.efficientnet) ?? models.find((m) => m.key.startsWith(`${p.efficientnet}@`));
    if (base && eff) pairs.push({baseline: base.key, efficientnet: eff.key, paperSpeedup: p.paperSpeedup});
  }
  return pairs;
}

/** Builds a model of any family from canonical weights on the active backend. */
export function buildModel(config: ModelConfig, weights: Map<string, tf.Tensor>): Model<ModelConfig> {
  switch (config.family) {
    case 'efficientnet':
      return buildEfficientNet(config, weights) as Model<ModelConfig>;
    case 'resnet':
      return buildResNet(config, weights) as Model<ModelConfig>;
    default:
      return buildAmoebaNet(config, weights) as Model<ModelConfig>;
  }
}

interface Timing {
  medianMs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  iterations: number;
}

/** Median, mean, min and max of latency samples (ms). */
export function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((x, y) => x - y);
  const n = sorted.length;
  if (n === 0) throw new Error('no samples');
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
    medianMs: median,
    meanMs: sorted.reduce((t, v) => t + v, 0) / n,
    minMs: sorted[0],
    maxMs: sorted[n - 1],
    iterations: n,
  };
}

interface RoundBudget {
  timeMs: number;
  iterations: number;
  /** Warm-up milliseconds (at least one iteration), or null for no warm-up. */
  warmupMs: number | null;
}

/**
 * One tinybench run of `fn`: optional warm-up, then at least `iterations` runs and `timeMs` ms.
 * Returns the timed samples in ms.
 */
async function timeRound(fn: () => unknown, budget: RoundBudget, progress: Progress, signal: AbortSignal): Promise<number[]> {
  // One signal per Bench, linked to the run's (tinybench adds listeners to the signal it gets).
  const local = new AbortController();
  const forward = () => local.abort();
  signal.addEventListener('abort', forward, {once: true});
  try {
    const bench = new Bench({
      time: budget.timeMs,
      iterations: budget.iterations,
      warmup: budget.warmupMs != null,
      warmupTime: budget.warmupMs ?? 0,
      warmupIterations: 1,
      throws: true,
      signal: local.signal,
    });
    // An async function: tinybench then never calls it just to find out whether it is async.
    bench.add(
      'model',
      async () => {
        await fn();
        progress.tick();
      },
      {
        beforeAll(mode) {
          progress.setPhase(mode === 'warmup' ? 'warm-up' : 'timing', mode === 'warmup' ? 0 : budget.iterations);
        },
      },
    );
    await bench.run();
    const r = bench.tasks[0].result;
    if (local.signal.aborted) throw new Error('interrupted');
    if (r == null || r.error) throw r?.error ?? new Error('no result');
    return [...r.latency.samples];
  } finally {
    signal.removeEventListener('abort', forward);
  }
}

/** Everything a run needs besides the options. */
export interface RunHooks {
  /** Progress output; default a Progress on stderr. */
  silent?: boolean;
  /** Called after every model with the result so far (the CLI writes files then). */
  onPartial?: (result: Table4Result) => void;
  signal?: AbortSignal;
  /** Captures the 'native-graph' cells' predict (default captureGraph). */
  capture?: (forward: (x: tf.Tensor) => tf.Tensor, inputShape: readonly number[]) => NativeGraph;
}

interface TfjsTarget {
  id: BackendId;
  backend: string;
  fusion: boolean;
  /** Capture predict once after the build and time graph.run instead. */
  graph?: boolean;
}

/** Runs the benchmark and returns the result (no files written). */
export async function runTable4(options: Table4Options, hooks: RunHooks = {}): Promise<Table4Result> {
  const signal = hooks.signal ?? new AbortController().signal;
  const setups = options.models.map((k) => ({key: k, ...modelSetup(k, options.resolution)}));
  const models = setups.map((s) => s.info);
  const notes: string[] = [];
  const loadAtStart = loadavg()[0];

  // Production mode: no debug checks, no tfjs-backend-cpu banner suggesting tfjs-node.
  tf.env().set('PROD', true);
  if (!(await tf.setBackend('native-cpu'))) throw new Error('the native-cpu backend failed to initialise');
  const threads = setThreads(options.threads);
  const isa = nativeInfo().isa;
  const fusedKernel = hasFusedMBConv('native-cpu');
  const backends: BackendInfo[] = [
    {
      id: 'native',
      detail:
        `effnet-native native-cpu, ISA ${isa}, ${threads} thread${threads === 1 ? '' : 's'}; EfficientNets with the fused ` +
        `MBConv kernel (${options.noFusion ? 'disabled by --no-fusion' : fusedKernel ? 'registered' : 'not registered: n/a'})`,
    },
  ];
  if (options.graph) {
    backends.push({
      id: 'native-graph',
      detail:
        'the native-cpu model above (fused kernels) with predict captured once per model by captureGraph after the build; ' +
        'timed as graph.run(x), dataSync and dispose of the output (recorded addon calls replayed without tfjs per-op work)',
    });
  }
  const hasEfficientNet = models.some((m) => m.family === 'efficientnet');
  if (hasEfficientNet) {
    backends.push({id: 'native-unfused', detail: 'native-cpu with MBConv blocks composed of standard tfjs ops (fused kernel off)'});
  }

  // Peers.
  const ready = new Map<PeerId, boolean>();
  const peerError = new Map<PeerId, string>();
  let ort: LoadedOrt | null = null;
  for (const peer of options.peers) {
    try {
      if (peer === 'cpu') backends.push({id: 'cpu', detail: await setupCpuPeer()});
      else if (peer === 'wasm') backends.push({id: 'wasm', detail: await setupWasmPeer()});
      else {
        ort = await loadOrt();
        backends.push({
          id: 'ort',
          detail:
            `onnxruntime-node ${ort.version} (${ort.from}), ${options.threads} intra-op thread${options.threads === 1 ? '' : 's'}, ` +
            `torchvision's models exported to ONNX (opset 13) from ${options.onnx}; its EfficientNets pad symmetrically (torchvision), ours use TF's SAME rule`,
        });
      }
      ready.set(peer, true);
    } catch (e) {
      ready.set(peer, false);
      peerError.set(peer, (e as Error).message);
      backends.push({id: peer, detail: `unavailable: ${(e as Error).message}`});
      if (!hooks.silent) process.stderr.write(`warning: peer '${peer}' is unavailable and will be skipped: ${(e as Error).message}\n`);
    }
  }
  await tf.setBackend('native-cpu');

  // Cells, in the order they run: cheapest model first, so an interrupted run keeps the most.
  const runOrder = [...setups].sort((a, b) => a.info.multiplyAdds - b.info.multiplyAdds);
  const cells: Cell[] = [];
  const plan: Array<{setup: (typeof setups)[number]; cell: Cell; tfjs?: TfjsTarget; onnx?: string}> = [];
  for (const s of runOrder) {
    const m = s.info;
    const eff = m.family === 'efficientnet';
    const add = (cell: Cell, extra: {tfjs?: TfjsTarget; onnx?: string} = {}) => {
      cells.push(cell);
      if (cell.status === 'pending') plan.push({setup: s, cell, ...extra});
    };
    // Planned cells start as 'pending' and become 'ok', 'error' or (interrupted) 'skipped'.
    if (!eff) add({model: m.key, backend: 'native', status: 'pending'}, {tfjs: {id: 'native', backend: 'native-cpu', fusion: true}});
    else if (options.noFusion) add({model: m.key, backend: 'native', status: 'n/a', reason: 'disabled by --no-fusion'});
    else if (!fusedKernel) add({model: m.key, backend: 'native', status: 'n/a', reason: 'no fused MBConv kernel registered on native-cpu'});
    else add({model: m.key, backend: 'native', status: 'pending'}, {tfjs: {id: 'native', backend: 'native-cpu', fusion: true}});
    if (options.graph) {
      // The graph of the 'native' model: n/a wherever that cell is.
      const native = cells[cells.length - 1];
      if (native.status === 'n/a') add({model: m.key, backend: 'native-graph', status: 'n/a', reason: native.reason});
      else add({model: m.key, backend: 'native-graph', status: 'pending'}, {tfjs: {id: 'native-graph', backend: 'native-cpu', fusion: true, graph: true}});
    }
    if (eff) add({model: m.key, backend: 'native-unfused', status: 'pending'}, {tfjs: {id: 'native-unfused', backend: 'native-cpu', fusion: false}});
    for (const peer of options.peers) {
      if (!ready.get(peer)) {
        add({model: m.key, backend: peer, status: 'skipped', reason: `unavailable (${peerError.get(peer)})`});
        continue;
      }
      if (peer === 'ort') {
        const file = onnxFile(options.onnx!, s.torchvision, m.resolution, options.batch);
        if ('reason' in file) add({model: m.key, backend: 'ort', status: 'skipped', reason: file.reason});
        else add({model: m.key, backend: 'ort', status: 'pending'}, {onnx: file.path});
        continue;
      }
      const base = parseModelKey(m.key).base;
      if (!peerRunsModel(options.peerModels, peer, m.key)) {
        add({
          model: m.key,
          backend: peer,
          status: 'skipped',
          reason: `slow peer, run by default on ${DEFAULT_PEER_MODELS.join(', ')} only (--peer-models ${peer}:${base} or all to include)`,
        });
        continue;
      }
      add({model: m.key, backend: peer, status: 'pending'}, {tfjs: {id: peer, backend: peer, fusion: true}});
    }
  }

  const result: Table4Result = {
    title: 'EfficientNet Table 4 on this machine',
    machine: machineInfo(),
    command: `npm run bench --${process.argv.length > 2 ? ' ' + process.argv.slice(2).join(' ') : ''}`,
    settings: {
      batch: options.batch,
      threads,
      isa,
      fusedKernel,
      noFusion: options.noFusion,
      timeMs: options.timeMs,
      minIterations: options.iterations,
      rounds: options.rounds,
      peerModels: options.peerModels,
      graph: options.graph,
    },
    backends,
    models,
    cells,
    pairs: pairsFor(models),
    notes,
  };
  // Back in the --models order for the tables.
  const order = new Map(options.models.map((k, i) => [k.trim().toLowerCase(), i]));
  const byModelOrder = (a: Cell, b: Cell) => (order.get(a.model) ?? 0) - (order.get(b.model) ?? 0);

  // Each model's cells are timed in interleaved rounds (every cell once per round, in turn), so a
  // burst of load from other processes hits all of them alike; the samples of all rounds are
  // pooled. Models are built in the first round and kept until the group's last round.
  const rounds = options.rounds;
  const budget = (round: number): RoundBudget => ({
    timeMs: options.timeMs / rounds,
    iterations: Math.max(1, Math.ceil(options.iterations / rounds)),
    warmupMs: round === 0 ? options.warmupMs : null,
  });
  // The two models of a Table 4 pair share their rounds too, so the pair's speedup compares
  // latencies measured side by side.
  const groupOf = (key: string) => {
    const i = result.pairs.findIndex((p) => p.baseline === key || p.efficientnet === key);
    return i >= 0 ? `pair ${i}` : key;
  };
  const groupMap = new Map<string, typeof plan>();
  for (const item of plan) {
    const g = groupOf(item.setup.info.key);
    const list = groupMap.get(g) ?? [];
    list.push(item);
    groupMap.set(g, list);
  }
  const groups = [...groupMap.values()];
  const weights = new Map<string, Map<string, tf.Tensor>>();
  const dropWeights = (key?: string) => {
    for (const [k, w] of weights) {
      if (key != null && k !== key) continue;
      for (const t of w.values()) t.dispose();
      weights.delete(k);
    }
  };
  const capture = hooks.capture ?? ((forward, shape) => captureGraph(forward, shape));
  interface Runner {
    run: () => unknown;
    /** The captured graph of a 'native-graph' cell. */
    graph?: NativeGraph;
    /** tfjs backend to switch to before running (none for onnxruntime). */
    backend?: string;
    fusion: boolean;
    release: () => void | Promise<void>;
  }
  const build = async (item: (typeof plan)[number], lastTfjs: boolean): Promise<Runner> => {
    const m = item.setup.info;
    if (item.onnx) {
      const r = await ortRunner(ort!, item.onnx, m.resolution, options.threads);
      return {run: r.run, fusion: false, release: r.release};
    }
    const target = item.tfjs!;
    let w = weights.get(m.key);
    if (w == null) {
      await tf.setBackend('native-cpu');
      w = randomWeights(weightSpec(item.setup.config), options.seed);
      weights.set(m.key, w);
    }
    await tf.setBackend(target.backend);
    const fusion = target.fusion && !options.noFusion;
    setMBConvFusion(fusion);
    try {
      const model = buildModel(item.setup.config, w);
      // The canonical weights are freed once the last model built from them exists
      // (AmoebaNet-B's take 2.2 GB, as much again as the folded copy).
      if (lastTfjs) dropWeights(m.key);
      const x = tf.randomUniform([options.batch, m.resolution, m.resolution, 3], -1, 1, 'float32', options.seed + 1);
      if (target.graph) {
        let graph: NativeGraph;
        try {
          graph = capture((input) => model.predict(input), x.shape);
        } catch (e) {
          x.dispose();
          model.dispose();
          throw e;
        }
        return {
          backend: target.backend,
          fusion,
          graph,
          run: () => {
            const y = graph.run(x);
            y.dataSync();
            y.dispose();
          },
          release: () => {
            graph.dispose();
            x.dispose();
            model.dispose();
          },
        };
      }
      return {
        backend: target.backend,
        fusion,
        run: () => {
          const y = model.predict(x);
          y.dataSync();
          y.dispose();
        },
        release: () => {
          x.dispose();
          model.dispose();
        },
      };
    } finally {
      setMBConvFusion(true);
    }
  };

  const progress = new Progress(plan.length * rounds, {silent: hooks.silent});
  try {
    for (const group of groups) {
      const runners = new Map<Cell, Runner>();
      const samples = new Map<Cell, number[]>(group.map((item) => [item.cell, []]));
      const failed = new Set<Cell>();
      const lastTfjs = new Set<(typeof plan)[number]>();
      for (const key of new Set(group.map((item) => item.setup.info.key))) {
        const last = group.filter((item) => item.tfjs && item.setup.info.key === key).pop();
        if (last) lastTfjs.add(last);
      }
      try {
        for (let round = 0; round < rounds; round++) {
          for (const item of group) {
            const {cell} = item;
            const m = item.setup.info;
            if (failed.has(cell) || signal.aborted) continue;
            const roundText = rounds > 1 ? ` (round ${round + 1}/${rounds})` : '';
            progress.begin(`${m.label} @${m.resolution} on ${cell.backend}${roundText}`);
            try {
              let runner = runners.get(cell);
              if (runner == null) {
                progress.setPhase('building');
                const t0 = performance.now();
                runner = await build(item, lastTfjs.has(item));
                runners.set(cell, runner);
                cell.buildSeconds = (performance.now() - t0) / 1000;
                if (runner.graph) cell.graph = {nodes: runner.graph.nodes, poolBytes: runner.graph.poolBytes};
              }
              if (runner.backend) await tf.setBackend(runner.backend);
              setMBConvFusion(runner.fusion);
              let got: number[];
              try {
                got = await timeRound(runner.run, budget(round), progress, signal);
              } finally {
                setMBConvFusion(true);
              }
              samples.get(cell)!.push(...got);
              const so = summarize(samples.get(cell)!);
              progress.end(`${formatLatency(summarize(got).medianMs)} median of ${got.length}; all rounds ${formatLatency(so.medianMs)}`);
            } catch (e) {
              if (signal.aborted) {
                progress.end('interrupted');
                continue;
              }
              failed.add(cell);
              cell.status = 'error';
              cell.reason = ((e as Error)?.message ?? String(e)).split('\n')[0];
              progress.end(`error: ${cell.reason}`);
            }
          }
        }
      } finally {
        for (const r of runners.values()) await r.release();
        dropWeights();
      }
      for (const item of group) {
        const {cell} = item;
        if (failed.has(cell)) continue;
        const got = samples.get(cell)!;
        if (got.length > 0) Object.assign(cell, summarize(got), {status: 'ok'});
        else Object.assign(cell, {status: 'skipped', reason: 'interrupted'});
        if (got.length > 0 && signal.aborted) cell.reason = 'interrupted: fewer rounds than asked';
      }
      hooks.onPartial?.(sortedCopy(result, byModelOrder));
    }
  } finally {
    dropWeights();
    await tf.setBackend('native-cpu');
    progress.finish();
  }
  estimateSkipped(result);
  result.notes.push(
    `Load average (1 min) ${loadAtStart.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end of the run, on ` +
      `${result.machine.cores} cores` +
      (Math.max(loadAtStart, loadavg()[0]) > result.machine.cores ? ': other processes competed for the CPU, which inflates absolute times.' : '.'),
    "Latencies are medians per batch; the machine's load moves absolute times, so compare ratios from one run.",
    'Weights are seeded random (He-uniform); EfficientNets use TF SAME padding, ResNets torchvision padding.',
  );
  return sortedCopy(result, byModelOrder);
}

function sortedCopy(result: Table4Result, compare: (a: Cell, b: Cell) => number): Table4Result {
  return {...result, cells: [...result.cells].sort(compare)};
}

/** Adds a rough time estimate to the slow peers' skipped cells (the peer's measured time per multiply-add). */
function estimateSkipped(result: Table4Result): void {
  const byKey = new Map(result.models.map((m) => [m.key, m]));
  for (const peer of ['cpu', 'wasm'] as const) {
    const measured = result.cells.filter((c) => c.backend === peer && c.status === 'ok' && c.medianMs != null);
    if (measured.length === 0) continue;
    const best = measured.reduce((a, b) => (byKey.get(a.model)!.multiplyAdds >= byKey.get(b.model)!.multiplyAdds ? a : b));
    const msPerMac = best.medianMs! / byKey.get(best.model)!.multiplyAdds;
    for (const c of result.cells) {
      if (c.backend !== peer || c.status !== 'skipped' || !c.reason?.startsWith('slow peer')) continue;
      const est = msPerMac * byKey.get(c.model)!.multiplyAdds;
      c.reason = c.reason.replace('slow peer,', `slow peer (roughly ${formatLatency(est)} per batch at its ${byKey.get(best.model)!.label} rate),`);
    }
  }
}

/** Writes the result as JSON, markdown and SVG into `dir`; returns the paths. */
export function writeResults(result: Table4Result, dir: string, stem = `table4-${result.machine.date.slice(0, 10)}`): string[] {
  return writeFiles(dir, [
    [`${stem}.json`, formatJson(result)],
    [`${stem}.md`, formatMarkdown(result)],
    [`${stem}.svg`, renderResultChart(result)],
  ]);
}

async function main(): Promise<void> {
  const options = parseOrExit(() => parseOptions(process.argv.slice(2)), HELP);
  if (options == null) return;
  const controller = abortOnSignals();
  console.log(`Machine: ${machineLine(machineInfo())}`);
  const save = (r: Table4Result) => {
    if (!options.noSave) writeResults(r, options.out);
  };
  const result = await runTable4(options, {onPartial: save, signal: controller.signal});
  console.log('\n' + formatMarkdown(result));
  if (!options.noSave) {
    const files = writeResults(result, options.out);
    console.log(`Wrote ${files.join(', ')}`);
  }
}

runIfMain(import.meta.url, main);
