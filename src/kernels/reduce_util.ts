// Shared kernel body of the reductions: axis parsing (negative axes, undefined = all), output
// shape (keepDims) and dtype, one call to the native `reduce` / `argReduce` entry.
import {backend_util, DataType, TensorInfo, upcastType, util} from '@tensorflow/tfjs-core';

import {checkDtypes, named, withOutput} from './binary_util.js';
import type {NativeKernelConfig} from './types.js';

export interface ReduceOptions {
  /** Name of the attribute holding the axes ('axis', or 'reductionIndices' for Max). */
  axisAttr: 'axis' | 'reductionIndices';
  /** Output dtype from the input's (tfjs-backend-cpu's rule). */
  outDtype: (x: DataType) => DataType;
}

/** Sum and Prod give int32 for int32 and bool inputs (tfjs's upcastType(x, 'int32')). */
export const sumDtype = (x: DataType): DataType => upcastType(x, 'int32');

export function reduceKernel(kernelName: string, options: ReduceOptions): NativeKernelConfig {
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const x = inputs.x as TensorInfo;
      checkDtypes(kernelName, [x]);
      const axisParam = (attrs ?? {})[options.axisAttr] as number | number[] | undefined | null;
      const keepDims = Boolean((attrs ?? {}).keepDims);
      const axes = named(kernelName, () => util.parseAxisParam(axisParam as number | number[], x.shape));
      const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
      const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
      const dtype = options.outDtype(x.dtype);
      const out = backend.makeOutput(shape, dtype);
      if (util.sizeFromShape(shape) === 0) return out;
      return withOutput(backend, out, () =>
        backend.run('reduce', {
          op: kernelName,
          x: backend.bufferOf(x, kernelName),
          out: backend.bufferOf(out, kernelName),
          shape: x.shape,
          axes,
          xDtype: x.dtype,
          outDtype: dtype,
        }),
      );
    },
  };
}

/** ArgMax / ArgMin over one axis (int32 output; ties pick the first index, as tfjs). */
export function argReduceKernel(kernelName: 'ArgMax' | 'ArgMin'): NativeKernelConfig {
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => {
      const x = inputs.x as TensorInfo;
      checkDtypes(kernelName, [x]);
      const axes = named(kernelName, () => util.parseAxisParam((attrs ?? {}).axis as number | number[], x.shape));
      if (axes.length !== 1) {
        throw new Error(`${kernelName}: expected one axis, got [${axes}]; supported: a single axis`);
      }
      const axis = axes[0];
      const shape = x.shape.filter((_, i) => i !== axis);
      const out = backend.makeOutput(shape, 'int32');
      if (util.sizeFromShape(shape) === 0) return out;
      return withOutput(backend, out, () =>
        backend.run('argReduce', {
          op: kernelName,
          x: backend.bufferOf(x, kernelName),
          out: backend.bufferOf(out, kernelName),
          shape: x.shape,
          axis,
          xDtype: x.dtype,
        }),
      );
    },
  };
}
