// Input checks and the native call shared by the fused EfficientNet kernels (EffnetHead, EffnetMBConv).
import {type TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';

export type FusedInputs = Record<string, TensorInfo | undefined>;

export function fail(kernel: string, message: string): never {
  throw new Error(`${kernel}: ${message}`);
}

/** The float32 input `name` of exactly `shape`; `supported` follows the message for a missing one. */
export function floatInput(kernel: string, inputs: FusedInputs, name: string, shape: number[], supported = ''): TensorInfo {
  const t = inputs[name];
  if (t == null) fail(kernel, `missing input '${name}'${supported}`);
  if (t.dtype !== 'float32') fail(kernel, `input '${name}' has dtype ${t.dtype}; supported: float32`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(kernel, `input '${name}' has shape [${t.shape}]; expected [${shape}]`);
  }
  return t;
}

/** The float32 rank-4 (NHWC) input 'x'. */
export function nhwcInput(kernel: string, inputs: FusedInputs): TensorInfo {
  const x = inputs.x;
  if (x == null) fail(kernel, `missing input 'x'`);
  if (x.dtype !== 'float32') fail(kernel, `input 'x' has dtype ${x.dtype}; supported: float32`);
  if (x.shape.length !== 4) fail(kernel, `input 'x' must be rank 4 (NHWC), got shape [${x.shape}]`);
  return x;
}

export function positiveInt(kernel: string, attrs: Record<string, unknown>, name: string): number {
  const v = attrs[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    fail(kernel, `attribute ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

export function bool(kernel: string, attrs: Record<string, unknown>, name: string): boolean {
  const v = attrs[name];
  if (typeof v !== 'boolean') fail(kernel, `attribute ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/**
 * Calls the addon entry `entry` with x, out, `options` and the weights' buffers (or `call` with those
 * options, where given); frees `out` if it throws. Returns `out`. The buffer ids are added to `options`
 * itself (a literal the caller built for this call): spreading it into a new object cost ~1 us of an op's
 * ~10 us of JavaScript and N-API work.
 */
export function runFused(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  x: TensorInfo,
  out: TensorInfo,
  options: Record<string, number | boolean>,
  weights: Record<string, TensorInfo>,
  call: (options: Record<string, number | boolean>) => void = (all) => backend.run(entry, all),
): TensorInfo {
  const all = options;
  all.x = backend.bufferOf(x, kernel);
  all.out = backend.bufferOf(out, kernel);
  for (const name in weights) all[name] = backend.bufferOf(weights[name], kernel);
  try {
    call(all);
  } catch (e) {
    backend.disposeIntermediateTensorInfo(out);
    throw e;
  }
  return out;
}
