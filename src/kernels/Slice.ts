import {Slice, SliceAttrs, slice_util, TensorInfo} from '@tensorflow/tfjs-core';

import {runCopy, shareStorage, slicePlan} from './layout_util.js';
import type {NativeKernelConfig} from './types.js';

/** Checks a slice's begin and size (after tfjs's -1 expansion); throws naming `kernel`. */
export function checkSlice(kernel: string, shape: number[], begin: number[], size: number[]): void {
  const rank = shape.length;
  const ok =
    begin.length === rank &&
    size.length === rank &&
    begin.every((b, k) => Number.isInteger(b) && Number.isInteger(size[k]) && b >= 0 && size[k] >= 0 && b + size[k] <= shape[k]);
  if (!ok) {
    throw new Error(
      `${kernel}: begin [${begin}] and size [${size}] do not select a slice of a tensor of shape [${shape}]; ` +
        `supported: 0 <= begin[i] and begin[i] + size[i] <= shape[i] for each of the ${rank} dimensions`,
    );
  }
}

/** Slice: a copy of the block [begin, begin + size). */
export const sliceConfig: NativeKernelConfig = {
  kernelName: Slice,
  kernelFunc: ({inputs, backend, attrs}) => {
    const x = inputs.x as TensorInfo;
    const {begin, size} = attrs as unknown as SliceAttrs;
    let $begin: number[];
    let $size: number[];
    try {
      [$begin, $size] = slice_util.parseSliceParams(x, begin, size);
    } catch (e) {
      throw new Error(`Slice: ${(e as Error).message}`);
    }
    checkSlice(Slice, x.shape, $begin, $size);
    if ($size.every((s, k) => s === x.shape[k])) return shareStorage(backend, x, $size);
    return runCopy(backend, Slice, 'slice', x, $size, slicePlan(x.shape, $begin, $size));
  },
};
