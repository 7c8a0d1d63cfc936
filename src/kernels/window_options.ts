import {type backend_util, type TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';

/**
 * The sliding-window geometry the native convolution, depthwise and pooling entries read: batch,
 * input and output sizes, filter size, strides, dilations and the top/left padding (bottom/right
 * padding follows from the sizes).
 */
export function windowOptions(info: backend_util.Conv2DInfo): Record<string, number> {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    outH: info.outHeight,
    outW: info.outWidth,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Returns `info` after checking that its window fits the padded input: with 'valid' padding (or
 * explicit padding smaller than the window) a window larger than the input gives tfjs's geometry a
 * negative output size, which would otherwise surface as a bare "negative dimension" from the addon.
 * `window` names the window in the message: 'filter' for convolutions, 'window' for pooling.
 */
export function checkWindowFits(kernel: string, info: backend_util.Conv2DInfo, window: string): backend_util.Conv2DInfo {
  if (info.outHeight >= 0 && info.outWidth >= 0) return info;
  const dilated =
    info.dilationHeight !== 1 || info.dilationWidth !== 1
      ? ` (${info.effectiveFilterHeight}x${info.effectiveFilterWidth} with dilations ${info.dilationHeight}x${info.dilationWidth})`
      : '';
  const p = info.padInfo;
  throw new Error(
    `${kernel}: the ${info.filterHeight}x${info.filterWidth} ${window}${dilated} does not fit the ` +
      `${info.inHeight}x${info.inWidth} input padded by ${p.top}/${p.bottom} rows and ${p.left}/${p.right} ` +
      `columns (top/bottom, left/right): the output would be ${info.outHeight}x${info.outWidth}; supported: a ` +
      `${window} no larger than the padded input`,
  );
}

/**
 * Runs a native sliding-window entry over `x` and `filter` into a new float32 tensor of
 * `info.outShape` (none of the work for an empty output): the buffers, the window geometry and the
 * entry's own `fields`.
 */
export function runWindowEntry(
  backend: NativeCpuBackend,
  kernel: string,
  entry: string,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  fields: Record<string, unknown>,
): TensorInfo {
  const out = backend.makeOutput(info.outShape, 'float32');
  if (util.sizeFromShape(info.outShape) === 0) return out;
  backend.run(entry, {
    x: backend.bufferOf(x, kernel),
    filter: backend.bufferOf(filter, kernel),
    out: backend.bufferOf(out, kernel),
    ...windowOptions(info),
    ...fields,
  });
  return out;
}
