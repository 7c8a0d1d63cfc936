import {PadV2, PadV2Attrs, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import {checkDtype, runInto} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** Checks [before, after] pairs for every dimension; returns the padded shape. */
export function paddedShape(kernel: string, shape: number[], paddings: Array<[number, number]>): number[] {
  const ok =
    Array.isArray(paddings) &&
    paddings.length === shape.length &&
    paddings.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
  if (!ok) {
    throw new Error(
      `${kernel}: paddings ${JSON.stringify(paddings)} do not fit a tensor of shape [${shape}]; ` +
        `supported: ${shape.length} pairs of non-negative integers [before, after]`,
    );
  }
  return shape.map((d, k) => paddings[k][0] + d + paddings[k][1]);
}

/** PadV2: constant padding (the output is filled with constantValue, then the input copied inside). */
/** Runs a native pad entry (`padV2`, `mirrorPad`) of `x` into a new tensor of `outShape`; `extra` is the mode's option. */
export function runPad(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  x: TensorInfo,
  outShape: number[],
  paddings: Array<[number, number]>,
  extra: Record<string, number>,
): TensorInfo {
  const out = backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  return runInto(backend, entry, {
    x: backend.bufferOf(x, kernel),
    out: backend.bufferOf(out, kernel),
    dtype: x.dtype,
    shape: x.shape,
    before: paddings.map((p) => p[0]),
    after: paddings.map((p) => p[1]),
    ...extra,
  }, out);
}

export const padV2Config: NativeKernelConfig = {
  kernelName: PadV2,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {paddings, constantValue} = attrs as unknown as PadV2Attrs;
    checkDtype(PadV2, x.dtype, false);
    const outShape = paddedShape(PadV2, x.shape, paddings);
    return runPad(backend, PadV2, 'padV2', x, outShape, paddings, {value: Number(constantValue ?? 0)});
  },
};
