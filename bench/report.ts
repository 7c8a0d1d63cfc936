// Result types of the Table 4 benchmark and their markdown/JSON forms (pure functions: no timing,
// no tfjs), so the formatting is tested on fixed data.
import {type MachineInfo, machineLine} from './machine.js';

/** A column of the benchmark: one backend or peer, or one path of ours. */
export type BackendId = 'native' | 'native-graph' | 'native-unfused' | 'wasm' | 'cpu' | 'ort';

export const BACKEND_ORDER: readonly BackendId[] = ['native', 'native-graph', 'native-unfused', 'wasm', 'cpu', 'ort'];

/** Column titles. */
export const BACKEND_TITLES: Readonly<Record<BackendId, string>> = {
  native: 'native-cpu',
  'native-graph': 'native-cpu graph',
  'native-unfused': 'native-cpu unfused',
  wasm: 'tfjs wasm',
  cpu: 'tfjs cpu',
  ort: 'onnxruntime',
};

type PeerId = 'wasm' | 'cpu' | 'ort';
/** Column titles of the peers' ratios against the graph replay. */
const GRAPH_RATIO_TITLES: Readonly<Record<PeerId, string>> = {
  wasm: 'tfjs wasm / graph',
  cpu: 'tfjs cpu / graph',
  ort: 'ORT / graph',
};

export interface BackendInfo {
  id: BackendId;
  /** What ran: versions, binary, threads. */
  detail: string;
}

/** One model of the run. */
export interface ModelInfo {
  /** The --models key ('b1', 'resnet152', 'amoebanet', 'b0@96', ...). */
  key: string;
  label: string;
  family: 'efficientnet' | 'resnet' | 'amoebanet';
  resolution: number;
  params: number;
  multiplyAdds: number;
  /** The paper's Table 4 row when this is exactly the paper's model and input. */
  paper?: {latencySeconds: number; top1: string};
}

/** 'pending': planned and not run yet (only in results written during a run). */
export type CellStatus = 'ok' | 'skipped' | 'n/a' | 'error' | 'pending';

/** One (model, backend) measurement. */
export interface Cell {
  model: string;
  backend: BackendId;
  status: CellStatus;
  /** Why the cell was not measured (or the error). */
  reason?: string;
  /** Latency per batch in milliseconds: median of the timed iterations, and the others' summary. */
  medianMs?: number;
  meanMs?: number;
  minMs?: number;
  maxMs?: number;
  /** Timed iterations (warm-up excluded). */
  iterations?: number;
  /** Seconds spent making weights and building the model (and capturing its graph; not timed). */
  buildSeconds?: number;
  /** 'native-graph' cells: the captured graph's addon calls per replay and the bytes of buffers it keeps. */
  graph?: {nodes: number; poolBytes: number};
}

/** A row pair of the paper's Table 4: the baseline and the EfficientNet that matches its accuracy. */
export interface Table4Pair {
  baseline: string;
  efficientnet: string;
  paperSpeedup: number;
}

export interface Table4Result {
  title: string;
  machine: MachineInfo;
  command: string;
  settings: {
    batch: number;
    threads: number;
    isa: string;
    fusedKernel: boolean;
    noFusion: boolean;
    timeMs: number;
    minIterations: number;
    /** Interleaved rounds per model (samples pooled). */
    rounds: number;
    peerModels: string[];
    /** Whether the native-cpu graph replay ('native-graph') was timed (off with --no-graph). */
    graph: boolean;
  };
  backends: BackendInfo[];
  models: ModelInfo[];
  cells: Cell[];
  pairs: Table4Pair[];
  notes: string[];
}

/** The paper's Table 4 (one core of a Xeon E5-2690, batch 1). */
export const PAPER_TABLE4 = {
  resnet152: {latencySeconds: 0.554, top1: '77.8%'},
  b1: {latencySeconds: 0.098, top1: '78.8%'},
  amoebanet: {latencySeconds: 19.0, top1: '84.3%'},
  b7: {latencySeconds: 3.1, top1: '84.4%'},
} as const;

export const PAPER_PAIRS: readonly Table4Pair[] = [
  {baseline: 'resnet152', efficientnet: 'b1', paperSpeedup: 5.7},
  {baseline: 'amoebanet', efficientnet: 'b7', paperSpeedup: 6.1},
];

/** '12.3 ms', '0.554 s', '19.00 s', '240 s'. */
export function formatLatency(ms: number | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '-';
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(3)} s` : s < 100 ? `${s.toFixed(2)} s` : `${s.toFixed(0)} s`;
}

export function formatCount(n: number, unit: 'M' | 'B'): string {
  const v = unit === 'M' ? n / 1e6 : n / 1e9;
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)}${unit}`;
}

/** '512 B', '12.3 KiB', '5.2 MiB', '1.50 GiB'. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ${units[u]}`;
}

export function formatRatio(r: number | undefined): string {
  return r == null || !Number.isFinite(r) ? '-' : `${r < 10 ? r.toFixed(2) : r.toFixed(1)}x`;
}

export function findCell(result: Pick<Table4Result, 'cells'>, model: string, backend: BackendId): Cell | undefined {
  return result.cells.find((c) => c.model === model && c.backend === backend);
}

/** The native latency of a model: the default path (fused MBConv where registered), else the unfused one. */
export function nativeLatency(result: Pick<Table4Result, 'cells'>, model: string): number | undefined {
  for (const id of ['native', 'native-unfused'] as const) {
    const c = findCell(result, model, id);
    if (c?.status === 'ok' && c.medianMs != null) return c.medianMs;
  }
  return undefined;
}

function cellText(c: Cell | undefined): string {
  if (c == null) return '-';
  if (c.status === 'ok') return formatLatency(c.medianMs);
  if (c.status === 'n/a') return 'n/a';
  if (c.status === 'error') return 'error';
  if (c.status === 'pending') return 'pending';
  return 'skipped';
}

/** A cell's median when it was measured. */
function okMs(c: Cell | undefined): number | undefined {
  return c?.status === 'ok' ? c.medianMs : undefined;
}

/** The ratio of two cells' medians (a / b), when both were measured. */
function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  return a != null && b != null && b > 0 ? a / b : undefined;
}

/** The Table 4 rows of a result: one per model of each pair that was run. */
export function table4Rows(result: Table4Result): string[] {
  const rows: string[] = [];
  const byKey = new Map(result.models.map((m) => [m.key, m]));
  for (const pair of result.pairs) {
    const base = byKey.get(pair.baseline);
    const eff = byKey.get(pair.efficientnet);
    for (const m of [base, eff]) {
      if (m == null) continue;
      const ours = nativeLatency(result, m.key);
      let speedup = '';
      let paperSpeedup = '';
      if (m === eff && base != null) {
        speedup = formatRatio(ratioOf(nativeLatency(result, base.key), ours));
        paperSpeedup = base.paper && eff.paper ? `${pair.paperSpeedup.toFixed(1)}x` : '';
      }
      rows.push(
        `| ${m.label} | ${m.resolution} | ${formatCount(m.params, 'M')} | ${formatCount(m.multiplyAdds, 'B')} | ` +
          `${formatLatency(ours)} | ${speedup} | ${m.paper ? m.paper.top1 : '-'} | ` +
          `${m.paper ? formatLatency(m.paper.latencySeconds * 1000) : '-'} | ${paperSpeedup} |`,
      );
    }
  }
  return rows;
}

/** Footnotes for cells that were not measured, grouped by reason. */
export function skippedNotes(result: Table4Result): string[] {
  const groups = new Map<string, string[]>();
  const labels = new Map(result.models.map((m) => [m.key, m.label]));
  for (const c of result.cells) {
    if (c.status === 'ok' || c.reason == null) continue;
    const key = `${BACKEND_TITLES[c.backend]} ${c.status}: ${c.reason}`;
    const list = groups.get(key) ?? [];
    list.push(labels.get(c.model) ?? c.model);
    groups.set(key, list);
  }
  return [...groups.entries()].map(([reason, models]) => `- ${reason} (${models.join(', ')})`);
}

/** The whole result as markdown. */
export function formatMarkdown(result: Table4Result): string {
  const s = result.settings;
  const lines: string[] = [];
  lines.push(`# ${result.title}`, '');
  lines.push(`Machine: ${machineLine(result.machine)}  `);
  lines.push(`Command: \`${result.command}\`  `);
  lines.push(
    `Settings: batch ${s.batch}, ${s.threads} thread${s.threads === 1 ? '' : 's'}, native ISA ${s.isa}, fused MBConv kernel ` +
      `${s.noFusion ? 'disabled (--no-fusion)' : s.fusedKernel ? 'registered' : 'not registered'}, ` +
      `graph replay ${s.graph ? `timed (${BACKEND_TITLES['native-graph']} column)` : 'off (--no-graph)'}; seeded random weights; ` +
      `latency per batch = median of >= ${s.minIterations} timed iterations (and >= ${s.timeMs} ms) after warm-up (tinybench), ` +
      `${s.rounds > 1 ? `the cells of each model (and each Table 4 pair) timed in ${s.rounds} interleaved rounds.` : 'one round.'}`,
  );
  lines.push('');
  if (result.pairs.some((p) => result.models.some((m) => m.key === p.baseline || m.key === p.efficientnet))) {
    lines.push('## Table 4: latency on this machine (native-cpu) beside the paper (one core of a Xeon E5-2690)', '');
    lines.push('| Model | Input | Params | Mult-adds | Latency (ours) | Speedup (ours) | Top-1 (paper) | Latency (paper) | Speedup (paper) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    lines.push(...table4Rows(result), '');
  }
  const ids = BACKEND_ORDER.filter((id) => result.cells.some((c) => c.backend === id));
  const peers = ids.filter((id): id is PeerId => id === 'wasm' || id === 'cpu' || id === 'ort');
  lines.push('## All models and backends (median latency per batch)', '');
  const ratioHeads = [...peers.map((p) => `${BACKEND_TITLES[p]} / native`)];
  const measured = (m: string, id: BackendId) => findCell(result, m, id)?.status === 'ok';
  // The graph replay's ratios: eager native-cpu over it, and each peer over it (the peers' ratios above
  // stay against eager native-cpu). The replay is what the classifier API runs for a shape it has seen.
  const hasEagerGraph = result.models.some((m) => measured(m.key, 'native') && measured(m.key, 'native-graph'));
  const graphPeers = peers.filter((p) => result.models.some((m) => measured(m.key, p) && measured(m.key, 'native-graph')));
  if (hasEagerGraph) ratioHeads.push('eager / graph');
  ratioHeads.push(...graphPeers.map((p) => GRAPH_RATIO_TITLES[p]));
  const hasUnfused = result.models.some((m) => m.family === 'efficientnet' && measured(m.key, 'native') && measured(m.key, 'native-unfused'));
  if (hasUnfused) ratioHeads.push('unfused / fused');
  lines.push(`| Model | Input | Params | Mult-adds | ${ids.map((id) => BACKEND_TITLES[id]).join(' | ')} | ${ratioHeads.join(' | ')} |`);
  lines.push(`|---|---:|---:|---:|${ids.map(() => '---:').join('|')}|${ratioHeads.map(() => '---:').join('|')}|`);
  for (const m of result.models) {
    const native = nativeLatency(result, m.key);
    const cells = ids.map((id) => cellText(findCell(result, m.key, id)));
    const ratios = peers.map((p) => {
      const c = findCell(result, m.key, p);
      return formatRatio(ratioOf(c?.status === 'ok' ? c.medianMs : undefined, native));
    });
    const graph = okMs(findCell(result, m.key, 'native-graph'));
    if (hasEagerGraph) ratios.push(formatRatio(ratioOf(okMs(findCell(result, m.key, 'native')), graph)));
    for (const p of graphPeers) ratios.push(formatRatio(ratioOf(okMs(findCell(result, m.key, p)), graph)));
    if (hasUnfused) {
      const f = findCell(result, m.key, 'native');
      const u = findCell(result, m.key, 'native-unfused');
      ratios.push(
        formatRatio(ratioOf(u?.status === 'ok' ? u.medianMs : undefined, f?.status === 'ok' && m.family === 'efficientnet' ? f.medianMs : undefined)),
      );
    }
    lines.push(
      `| ${m.label} | ${m.resolution} | ${formatCount(m.params, 'M')} | ${formatCount(m.multiplyAdds, 'B')} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`,
    );
  }
  lines.push('');
  lines.push(
    hasEagerGraph || graphPeers.length > 0
      ? 'Ratios above 1 mean native-cpu is faster: each peer / native ratio against eager native-cpu' +
          (graphPeers.length > 0 ? ", each peer / graph against native-cpu's graph replay" : '') +
          '; eager / graph above 1 means the graph replay is faster than eager predict. Backends:'
      : 'Ratios above 1 mean native-cpu is faster. Backends:',
  );
  for (const b of result.backends) lines.push(`- ${BACKEND_TITLES[b.id]}: ${b.detail}`);
  const skipped = skippedNotes(result);
  if (skipped.length > 0) lines.push('', 'Cells not measured:', ...skipped);
  const graphs = result.cells.filter((c) => c.backend === 'native-graph' && c.graph != null);
  if (graphs.length > 0) {
    const labels = new Map(result.models.map((m) => [m.key, m.label]));
    lines.push(
      '',
      `${BACKEND_TITLES['native-graph']}, per model: addon calls per replay and memory the graph keeps (intermediates, output): ` +
        graphs.map((c) => `${labels.get(c.model) ?? c.model} ${c.graph!.nodes} calls, ${formatBytes(c.graph!.poolBytes)}`).join('; ') +
        '.',
    );
  }
  if (result.notes.length > 0) lines.push('', 'Notes:', ...result.notes.map((n) => `- ${n}`));
  lines.push('');
  return lines.join('\n');
}

/** The result as pretty JSON (numbers rounded to microseconds). */
export function formatJson(result: Table4Result): string {
  return JSON.stringify(result, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v), 2) + '\n';
}
