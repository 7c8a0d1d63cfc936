// Shared kernel bodies of the element-wise family: each kernel file names its tfjs kernel and its
// dtype rule; these validate inputs, compute the output shape/dtype and call one addon entry.
import {backend_util, DataType, NamedAttrMap, TensorInfo, util} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import type {NativeKernelConfig} from './types.js';

/** Dtypes the element-wise kernels accept. */
export const ELEMENTWISE_DTYPES: readonly DataType[] = ['float32', 'int32', 'bool'];

/** Throws `<kernel>: dtype '<d>' is not supported; supported: ...` for any other dtype. */
export function checkDtypes(
  kernel: string,
  tensors: TensorInfo[],
  supported: readonly DataType[] = ELEMENTWISE_DTYPES,
): void {
  for (const t of tensors) {
    if (!supported.includes(t.dtype)) {
      throw new Error(`${kernel}: dtype '${t.dtype}' is not supported; supported: ${supported.join(', ')}`);
    }
  }
}

/** Runs `body`, disposing `out` if it throws (so a failed native call leaks nothing). */
export function withOutput(backend: NativeCpuBackend, out: TensorInfo, body: () => void): TensorInfo {
  try {
    body();
  } catch (e) {
    backend.disposeIntermediateTensorInfo(out);
    throw e;
  }
  return out;
}

/** Prefixes errors thrown by tfjs's shape helpers with the kernel name. */
export function named<T>(kernel: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`${kernel}: ${(e as Error).message}`);
  }
}

/** `a (op) b` with broadcasting, output dtype `dtype`. */
export function runBinary(
  kernel: string,
  backend: NativeCpuBackend,
  a: TensorInfo,
  b: TensorInfo,
  dtype: DataType,
): TensorInfo {
  checkDtypes(kernel, [a, b]);
  const shape = named(kernel, () => backend_util.assertAndGetBroadcastShape(a.shape, b.shape));
  const out = backend.makeOutput(shape, dtype);
  if (util.sizeFromShape(shape) === 0) return out;
  return withOutput(backend, out, () =>
    backend.run('binary', {
      op: kernel,
      a: backend.bufferOf(a, kernel),
      b: backend.bufferOf(b, kernel),
      out: backend.bufferOf(out, kernel),
      aShape: a.shape,
      bShape: b.shape,
      outShape: shape,
      aDtype: a.dtype,
      bDtype: b.dtype,
      outDtype: dtype,
    }),
  );
}

/**
 * A binary kernel on inputs {a, b}. `outDtype` is fixed ('bool' for comparisons) or, when
 * omitted, a's dtype (tfjs-backend-cpu's rule; tfjs ops make both dtypes match first).
 */
export function binaryKernel(kernelName: string, outDtype?: DataType): NativeKernelConfig {
  return {
    kernelName,
    kernelFunc: ({inputs, backend}) => {
      const {a, b} = inputs as {a: TensorInfo; b: TensorInfo};
      return runBinary(kernelName, backend, a, b, outDtype ?? a.dtype);
    },
  };
}

export interface UnaryOptions {
  /** Output dtype; the input's when omitted. */
  outDtype?: DataType;
  /** Dtypes accepted (default float32, int32, bool). */
  dtypes?: readonly DataType[];
  /** Scalar attributes passed to the native op: alpha (slope / minimum), beta (maximum). */
  params?: (attrs: NamedAttrMap) => {alpha?: number; beta?: number};
}

/** `op(x)` element-wise, same shape. */
export function runUnary(
  kernel: string,
  backend: NativeCpuBackend,
  x: TensorInfo,
  attrs: NamedAttrMap | undefined,
  options: UnaryOptions = {},
): TensorInfo {
  checkDtypes(kernel, [x], options.dtypes);
  const dtype = options.outDtype ?? x.dtype;
  const params = options.params ? options.params(attrs ?? {}) : {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'number') throw new Error(`${kernel}: attribute ${name} must be a number, got ${value}`);
  }
  const size = util.sizeFromShape(x.shape);
  const out = backend.makeOutput(x.shape.slice(), dtype);
  if (size === 0) return out;
  return withOutput(backend, out, () =>
    backend.run('unary', {
      op: kernel,
      x: backend.bufferOf(x, kernel),
      out: backend.bufferOf(out, kernel),
      size,
      xDtype: x.dtype,
      outDtype: dtype,
      ...params,
    }),
  );
}

/** A unary kernel on input {x}. */
export function unaryKernel(kernelName: string, options: UnaryOptions = {}): NativeKernelConfig {
  return {
    kernelName,
    kernelFunc: ({inputs, backend, attrs}) => runUnary(kernelName, backend, inputs.x as TensorInfo, attrs, options),
  };
}
