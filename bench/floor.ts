// A lower bound on each model's one-thread latency on this machine, from the model definitions and
// the measured FMA peak, beside measured latencies from a Table 4 run (its JSON) and the latency each
// issue target asks for. Shows how close a target is to what the arithmetic alone costs here.
//
//   npm run bench:floor -- [--models b0,b1,b7,resnet152] [--isa avx512|avx2] [--results table4.json]
//
// The bound counts, at the measured single-core peak (one vector FMA slot per multiply-add lane):
//  - every multiply-add of convolutions (dense and depthwise) and dense layers;
//  - every swish, at SWISH_SLOTS vector slots per vector of outputs: the blocks' swishes (expand and
//    depthwise) run on weights scaled by -log2(e) (Activation::kSwishScaled): 4 FMAs, vreduceps,
//    vscalefps, an add and a division; beside FMAs (bench/pipes/fma-pipes.cc, Zen 4) the FMAs take a slot
//    each, the division ~2 (2.03 cycles per zmm division), the others none: 6. (7 before the weights were
//    scaled, when a multiply came first; the stem's and head's swishes still have it, under 10% of the
//    swishes; 11 before the division replaced a reciprocal and a Newton step, 2026-11-29);
// and nothing else: no loads or stores (a zmm store takes ~1.6 FMA-pipe cycles beside FMAs, one per
// output vector: not counted), no memory traffic, no pooling, batch norm (folded), SE
// gates, additions, other activations, JavaScript or tfjs engine time. Direct convolution cannot
// reach it. Winograd does fewer multiplications for 3x3 stride-1 convolutions (ResNet-152 runs
// below its floor with F(2x2,3x3)); EfficientNets have none (1x1, depthwise, and a stride-2 stem).
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {nativeInfo, setIsaLevel} from '../src/index.js';
import {layerSummary} from '../src/models/count.js';
import type {LayerRecord} from '../src/models/graph.js';
import {IsaLevel, loadCpuAddon} from '../src/native.js';
import {parseOrExit, runIfMain} from './cli.js';
import {machineInfo, machineLine} from './machine.js';
import {modelSetup} from './table4.js';
import {cellMedian, TABLE4_TARGETS, type Table4Run} from './targets.js';

/** FMA-pipe cycles per vector of swish outputs (see cpp/kernels/vec-avx512.inc, bench/pipes/fma-pipes.cc). */
export const SWISH_SLOTS = 6;

export interface FloorCounts {
  /** Multiply-adds of convolutions and dense layers (depthwise included). */
  multiplyAdds: number;
  /** Of which depthwise. */
  depthwiseMultiplyAdds: number;
  /** Outputs that go through swish. */
  swishOutputs: number;
}

export function floorCounts(layers: LayerRecord[]): FloorCounts {
  const counts: FloorCounts = {multiplyAdds: 0, depthwiseMultiplyAdds: 0, swishOutputs: 0};
  for (const l of layers) {
    counts.multiplyAdds += l.multiplyAdds;
    if (l.kind !== 'conv') continue;
    if (l.spec.depthwise) counts.depthwiseMultiplyAdds += l.multiplyAdds;
    if (l.spec.activation === 'swish') counts.swishOutputs += l.outH * l.outW * l.spec.filters;
  }
  return counts;
}

/**
 * Lower bound in milliseconds at `peakGflops` (single-precision FLOP/s of FMAs, 2 per lane) with
 * `lanes` floats per vector.
 */
export function floorMs(c: FloorCounts, peakGflops: number, lanes: number): number {
  const flops = 2 * c.multiplyAdds + (c.swishOutputs / lanes) * SWISH_SLOTS * 2 * lanes;
  return flops / (peakGflops * 1e6);
}

const FLOOR_HELP = 'usage: npm run bench:floor -- [--models b0,b1,b7,resnet152] [--isa avx512|avx2] [--results table4.json]';

interface FloorOptions {
  models: string;
  isa?: string;
  results?: string;
  help: boolean;
}

export function parseFloorOptions(argv: string[]): FloorOptions {
  const {values} = parseArgs({
    args: argv,
    options: {
      models: {type: 'string', default: 'b0,b1,b7,resnet152'},
      isa: {type: 'string'},
      results: {type: 'string'},
      help: {type: 'boolean', default: false},
    },
  });
  if (values.isa != null && values.isa !== 'avx512' && values.isa !== 'avx2') {
    throw new Error(`--isa: '${values.isa}'; supported: avx512, avx2 (the floor needs a vector ISA)`);
  }
  return {models: values.models, isa: values.isa, results: values.results, help: values.help};
}

function main(): void {
  const values = parseOrExit(() => parseFloorOptions(process.argv.slice(2)), FLOOR_HELP, 'bench:floor: ');
  if (values == null) return;
  const isa = values.isa ? setIsaLevel(values.isa as IsaLevel) : nativeInfo().isa;
  if (isa === 'portable') throw new Error('bench:floor: this CPU has no AVX2; the floor needs a vector ISA');
  const lanes = isa === 'avx512' ? 16 : 8;
  const addon = loadCpuAddon() as unknown as {peakGflops(o: {isa: string; seconds: number}): number};
  const peak = addon.peakGflops({isa, seconds: 0.5});
  const run: Table4Run = values.results ? (JSON.parse(readFileSync(values.results, 'utf8')) as Table4Run) : {cells: []};
  const measured = (model: string, backend: string) => cellMedian(run, model, backend);

  console.log(`Machine: ${machineLine(machineInfo())}`);
  console.log(`Command: \`npm run bench:floor -- ${process.argv.slice(2).join(' ')}\``);
  console.log(`Measured FMA peak, one core, ${isa}: ${peak.toFixed(1)} GFLOP/s; swish at ${SWISH_SLOTS} vector slots per ${lanes} outputs`);
  if (values.results) console.log(`Measured latencies: ${values.results}`);
  console.log('');
  console.log('| Model | Mult-adds | of which depthwise | Swish outputs | Floor | Measured (native-cpu) | Floor / measured |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const floors = new Map<string, number>();
  for (const key of String(values.models).split(',')) {
    const {config, info} = modelSetup(key);
    const c = floorCounts(layerSummary(config));
    const floor = floorMs(c, peak, lanes);
    floors.set(key, floor);
    const ours = measured(key, 'native');
    console.log(
      `| ${info.label} | ${(c.multiplyAdds / 1e9).toFixed(3)}B | ${(c.depthwiseMultiplyAdds / 1e6).toFixed(1)}M | ` +
        `${(c.swishOutputs / 1e6).toFixed(2)}M | ${floor.toFixed(2)} ms | ${ours != null ? `${ours.toFixed(2)} ms` : '-'} | ` +
        `${ours != null ? `${((100 * floor) / ours).toFixed(0)}%` : '-'} |`,
    );
  }
  console.log('');
  console.log('The floor counts every multiply-add of direct convolution; Winograd 3x3 convolutions (ResNet) do fewer.');
  if (run.cells.length === 0) return;
  console.log('');
  console.log('| Target | Peer latency | Latency the target asks for | Floor / that latency |');
  console.log('|---|---:|---:|---:|');
  for (const t of TABLE4_TARGETS) {
    if (t.peer === 'native-unfused') continue;  // fusion against ourselves: no peer's latency to price
    const floor = floors.get(t.model);
    const peer = measured(t.model, t.peer);
    if (floor == null || peer == null) continue;
    const want = peer * t.ratio;
    console.log(`| ${t.label} | ${peer.toFixed(1)} ms | ${want.toFixed(2)} ms | ${((100 * floor) / want).toFixed(0)}% |`);
  }
}

runIfMain(import.meta.url, main);
