// The Table 4 issue's one-thread targets, and how many Table 4 runs meet each: ratios of one run move by
// several hundredths with the host, so a target is judged over many runs, not one.
//
//   npm run bench:targets -- bench/results/table4-<...>.json [more runs ...]
//
// For every target: the runs that measured both sides, the range and median of the ratio, and the
// number of runs that meet it, for native-cpu op by op (eager) and for the captured graph's replay.
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {parseOrExit, runIfMain} from './cli.js';
import {summarize} from './table4.js';

/** A target: our latency on `model` at most `ratio` times the `peer` backend's (both measured in one run). */
export interface Table4Target {
  model: string;
  peer: string;
  ratio: number;
  label: string;
  /** Shown as peer / ours ("x faster") rather than ours / peer. */
  speedup: boolean;
  /** Our cells compared with the peer's: 'native' (op by op) and 'native-graph' (the captured graph's replay). */
  ours: ReadonlyArray<'native' | 'native-graph'>;
}

const BOTH = ['native', 'native-graph'] as const;

export const TABLE4_TARGETS: readonly Table4Target[] = [
  {model: 'b0', peer: 'ort', ratio: 0.75, label: 'EfficientNet-B0 at most 0.75x onnxruntime-node', speedup: false, ours: BOTH},
  {model: 'b1', peer: 'ort', ratio: 0.75, label: 'EfficientNet-B1 at most 0.75x onnxruntime-node', speedup: false, ours: BOTH},
  {model: 'b7', peer: 'ort', ratio: 0.75, label: 'EfficientNet-B7 at most 0.75x onnxruntime-node', speedup: false, ours: BOTH},
  {model: 'resnet152', peer: 'ort', ratio: 1.0, label: 'ResNet-152 at most 1.0x onnxruntime-node', speedup: false, ours: BOTH},
  {model: 'b1', peer: 'wasm', ratio: 1 / 8, label: 'EfficientNet-B1 at least 8x faster than tfjs-wasm', speedup: true, ours: BOTH},
  {model: 'b1', peer: 'cpu', ratio: 1 / 250, label: 'EfficientNet-B1 at least 250x faster than tfjs-cpu', speedup: true, ours: BOTH},
  // Fusion must pay: the same backend with the MBConv blocks composed of tfjs ops (op by op only).
  {model: 'b0', peer: 'native-unfused', ratio: 0.8, label: 'EfficientNet-B0 fused at most 0.8x unfused', speedup: false, ours: ['native']},
  {model: 'b1', peer: 'native-unfused', ratio: 0.8, label: 'EfficientNet-B1 fused at most 0.8x unfused', speedup: false, ours: ['native']},
];

/** The part of a Table 4 result (bench/report.ts's JSON) read here. */
export interface Table4Run {
  cells: ReadonlyArray<{model: string; backend: string; status: string; medianMs?: number}>;
}

export interface TargetSeries {
  /** Ratios of the runs that measured both sides, in the target's display form (ours/peer or peer/ours). */
  values: number[];
  met: number;
}

export interface TargetSummary {
  target: Table4Target;
  /** By our backend ('native' eager, 'native-graph'). */
  series: Map<string, TargetSeries>;
}

/** The median latency of `model` on `backend` in one run, if that cell ran. */
export function cellMedian(run: Table4Run, model: string, backend: string): number | undefined {
  return run.cells.find((c) => c.model === model && c.backend === backend && c.status === 'ok')?.medianMs;
}

/** Both sides' medians of `target` in one run with our backend `ours`, or null when either was not measured. */
function latenciesOf(run: Table4Run, target: Table4Target, ours: string): {mine: number; peer: number} | null {
  const mine = cellMedian(run, target.model, ours);
  const peer = cellMedian(run, target.model, target.peer);
  if (mine == null || peer == null || !(mine > 0) || !(peer > 0)) return null;
  return {mine, peer};
}

/** Each target over the runs: ratios, and how many meet the target. */
export function summarizeTargets(runs: readonly Table4Run[], targets: readonly Table4Target[] = TABLE4_TARGETS): TargetSummary[] {
  return targets.map((target) => {
    const series = new Map<string, TargetSeries>();
    for (const ours of target.ours) {
      const values: number[] = [];
      let met = 0;
      for (const run of runs) {
        const l = latenciesOf(run, target, ours);
        if (l == null) continue;
        if (l.mine <= target.ratio * l.peer) met++;
        values.push(target.speedup ? l.peer / l.mine : l.mine / l.peer);
      }
      series.set(ours, {values, met});
    }
    return {target, series};
  });
}

function formatRatio(v: number, speedup: boolean): string {
  return speedup && v >= 100 ? `${v.toFixed(0)}x` : `${v.toFixed(speedup ? 2 : 3)}x`;
}

/** A markdown table: per target and backend, runs, range, median and runs that meet it. */
export function formatTargets(summaries: readonly TargetSummary[], runCount: number): string {
  const lines = [
    `Targets over ${runCount} Table 4 run${runCount === 1 ? '' : 's'} (ratios of medians measured in one run; "eager": native-cpu op by op, "graph": the captured graph's replay).`,
    '',
    '| Target | Ours | Runs | Range | Median | Met |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const {target, series} of summaries) {
    for (const [ours, s] of series) {
      const mode = ours === 'native' ? 'eager' : 'graph';
      if (s.values.length === 0) {
        lines.push(`| ${target.label} | ${mode} | 0 | - | - | - |`);
        continue;
      }
      const stats = summarize(s.values);  // (its fields say ms; here they are ratios)
      const range = `${formatRatio(stats.minMs, target.speedup)} - ${formatRatio(stats.maxMs, target.speedup)}`;
      lines.push(`| ${target.label} | ${mode} | ${s.values.length} | ${range} | ${formatRatio(stats.medianMs, target.speedup)} | ` +
        `${s.met} of ${s.values.length} |`);
    }
  }
  return lines.join('\n');
}

const TARGETS_HELP = `usage: npm run bench:targets -- RESULT.json [RESULT.json ...]

Reads Table 4 results (the JSON files npm run bench writes) and prints, for each target of the Table 4
issue, the ratio's range and median over the runs and how many runs meet it, op by op and as a graph
replay. A run counts for a target when it measured both backends of it (for example onnxruntime only
with --onnx, B7 and ResNet-152 only in full runs).`;

export function parseTargetsOptions(argv: string[]): {files: string[]; help: boolean} {
  const {values, positionals} = parseArgs({args: argv, options: {help: {type: 'boolean', default: false}}, allowPositionals: true});
  if (!values.help && positionals.length === 0) throw new Error('no result files given');
  return {files: positionals, help: values.help};
}

function main(): void {
  const options = parseOrExit(() => parseTargetsOptions(process.argv.slice(2)), TARGETS_HELP, 'bench:targets: ');
  if (options == null) return;
  const runs = options.files.map((file) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`bench:targets: cannot read ${file}: ${(e as Error).message}`);
    }
    if (parsed == null || !Array.isArray((parsed as Table4Run).cells)) {
      throw new Error(`bench:targets: ${file} is not a Table 4 result (no "cells" list)`);
    }
    return parsed as Table4Run;
  });
  console.log(formatTargets(summarizeTargets(runs), runs.length));
}

runIfMain(import.meta.url, main);
