// Shared by AvgPool and MaxPool: validation, geometry (tfjs's computePool2DInfo), the native call.
import {backend_util, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeKernelArgs} from './types.js';
import {checkWindowFits, windowOptions} from './window_options.js';

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: string;
}

export function pool2d(kernel: 'AvgPool' | 'MaxPool', entry: 'avgPool' | 'maxPool', {inputs, backend, attrs}: NativeKernelArgs): TensorInfo {
  const x = inputs.x as TensorInfo;
  const a = attrs as unknown as PoolAttrs;
  if (x.dtype !== 'float32') throw new Error(`${kernel}: input 'x' has dtype ${x.dtype}; supported: float32`);
  if (x.shape.length !== 4) throw new Error(`${kernel}: input 'x' must be rank 4 (NHWC), got shape [${x.shape}]`);
  if (a.dataFormat != null && a.dataFormat !== 'NHWC' && a.dataFormat !== 'channelsLast') {
    throw new Error(`${kernel}: dataFormat '${a.dataFormat}' is not supported; supported: NHWC`);
  }
  const info = checkWindowFits(
    kernel,
    backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    ),
    'window',
  );
  if (info.filterWidth === 1 && info.filterHeight === 1 && util.arraysEqual(info.inShape, info.outShape)) {
    // A 1x1 window with stride 1 is the identity (tfjs returns its input's storage too).
    backend.incRef(x.dataId);
    return {dataId: x.dataId, shape: x.shape, dtype: x.dtype};
  }
  const out = backend.makeOutput(info.outShape, 'float32');
  if (util.sizeFromShape(info.outShape) === 0) return out;
  backend.run(entry, {
    x: backend.bufferOf(x, kernel),
    out: backend.bufferOf(out, kernel),
    ...windowOptions(info),
    channels: info.inChannels,
  });
  return out;
}
