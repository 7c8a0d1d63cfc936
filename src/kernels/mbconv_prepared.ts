// Eager calls of a fused MBConv block (EffnetMBConv, EffnetStemMBConv) through a block the addon prepared
// once (binding/mbconv_blocks.cc): the first call checks everything and prepares the block; later calls
// with the same attributes, input shape and weight buffers name only x and out. An eager call otherwise
// spent ~10-15 us of JavaScript and N-API work checking attributes, building a ~30-field options object and
// reading it back by name.
//
// A graph capture in progress always gets the full call (its recording needs the options), as does an addon
// without these entries (the CUDA addon), and EFFNET_PREPARED_BLOCKS=0 turns the path off (every call then
// goes through the addon's mbconv entry).
import {type DataId, type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import type {BufferId} from '../native.js';
import type {FusedInputs} from './fused_util.js';

interface PreparedAddon {
  mbconvPrepare(options: object): number;
  mbconvRun(handle: number, x: BufferId, out: BufferId): boolean;
  mbconvRelease(handle: number): boolean;
}

/** What a block was prepared with; a call matching all of it runs the prepared block. */
interface PreparedBlock {
  handle: number;
  kernel: string;
  attrs: [string, unknown][];
  xShape: number[];
  inputNames: string[];
  inputShapes: number[][];
  // The weights' data: a DataId names one native buffer while it lives (a buffer freed or rewritten drops
  // the block in the addon, and mbconvRun then says so).
  inputData: DataId[];
  outShape: number[];
}

// The block is kept on the depthwise kernel's DataId (one per block, let go with the block's weights):
// a property read, where a WeakMap lookup cost more at every call.
const PREPARED = Symbol('effnet-native prepared MBConv block');
type WithBlock = {[PREPARED]?: PreparedBlock};

function blockOf(dataId: DataId): PreparedBlock | undefined {
  return (dataId as WithBlock)[PREPARED];
}

function setBlock(dataId: DataId, block: PreparedBlock | undefined): void {
  (dataId as WithBlock)[PREPARED] = block;
}

let enabled = process.env.EFFNET_PREPARED_BLOCKS !== '0';

/** Turns prepared blocks on or off (tests compare both paths); returns the previous setting. */
export function setPreparedBlocks(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

// Not while a graph capture records, nor on an addon without the entries (native-cuda runs this kernel
// file too when its fused MBConv is on).
function usable(backend: NativeCpuBackend): boolean {
  return enabled && !backend.recording && typeof (backend.addon as Partial<PreparedAddon>).mbconvRun === 'function';
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function countKeys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

function countInputs(ins: FusedInputs): number {
  let n = 0;
  for (const name in ins) if (ins[name] != null) n++;
  return n;
}

/**
 * Runs the block prepared for these inputs and attributes, or returns null when there is none (or it is
 * no longer prepared): the caller then checks the call and runs it through runPrepared.
 */
export function runIfPrepared(
  kernel: string,
  backend: NativeCpuBackend,
  ins: FusedInputs,
  attrs: Record<string, unknown>,
): TensorInfo | null {
  if (!usable(backend)) return null;
  const depthwise = ins.depthwiseKernel;
  const x = ins.x;
  if (depthwise == null || x == null || x.dtype !== 'float32') return null;
  const block = blockOf(depthwise.dataId);
  if (block == null || block.kernel !== kernel || !sameShape(x.shape, block.xShape)) return null;
  if (countKeys(attrs) !== block.attrs.length) return null;
  for (const [key, value] of block.attrs) if (!sameValue(attrs[key], value)) return null;
  if (countInputs(ins) !== block.inputNames.length + 1) return null;
  for (let i = 0; i < block.inputNames.length; i++) {
    const t = ins[block.inputNames[i]];
    if (t == null || t.dataId !== block.inputData[i] || t.dtype !== 'float32' || !sameShape(t.shape, block.inputShapes[i])) return null;
  }
  const out = backend.makeOutput(block.outShape, 'float32');
  let ran = false;
  try {
    ran = (backend.addon as unknown as PreparedAddon).mbconvRun(block.handle, backend.bufferOf(x, kernel), backend.bufferOf(out, kernel));
  } catch (e) {
    backend.disposeIntermediateTensorInfo(out);
    throw e;
  }
  if (!ran) {
    // Dropped by the addon (a weight was freed or rewritten): check and prepare the call again.
    backend.disposeIntermediateTensorInfo(out);
    setBlock(depthwise.dataId, undefined);
    return null;
  }
  return out;
}

/**
 * Runs a call that has passed every check (runMBConvBlock's) with `options` (the mbconv entry's, buffer
 * ids of x, out and the weights included), preparing the block for the calls after it where it can.
 */
export function runPrepared(
  kernel: string,
  backend: NativeCpuBackend,
  ins: FusedInputs,
  attrs: Record<string, unknown>,
  x: TensorInfo,
  out: TensorInfo,
  options: Record<string, number | boolean>,
): void {
  const depthwise = ins.depthwiseKernel;
  if (!usable(backend) || depthwise == null) {
    backend.run('mbconv', options);
    return;
  }
  const addon = backend.addon as unknown as PreparedAddon;
  const handle = addon.mbconvPrepare(options);
  const inputNames: string[] = [];
  const inputShapes: number[][] = [];
  const inputData: DataId[] = [];
  for (const name in ins) {
    const t = ins[name];
    if (name === 'x' || t == null) continue;
    inputNames.push(name);
    inputShapes.push([...t.shape]);
    inputData.push(t.dataId);
  }
  const block: PreparedBlock = {
    handle,
    kernel,
    attrs: Object.entries(attrs).map(([key, value]) => [key, Array.isArray(value) ? [...(value as unknown[])] : value]),
    xShape: [...x.shape],
    inputNames,
    inputShapes,
    inputData,
    outShape: [...out.shape],
  };
  const previous = blockOf(depthwise.dataId);
  setBlock(depthwise.dataId, block);
  if (previous != null) addon.mbconvRelease(previous.handle);
  if (!addon.mbconvRun(handle, options.x as number, options.out as number)) {
    throw new Error(`${kernel}: the block prepared for this call was dropped before it ran`);
  }
}
