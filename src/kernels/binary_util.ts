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
  const compare = STRING_COMPARISONS[kernelName];
  return {
    kernelName,
    kernelFunc: ({inputs, backend}) => {
      const {a, b} = inputs as {a: TensorInfo; b: TensorInfo};
      if (compare !== undefined && a.dtype === 'string' && b.dtype === 'string') {
        return compareStrings(kernelName, backend, a, b, compare);
      }
      return runBinary(kernelName, backend, a, b, outDtype ?? a.dtype);
    },
  };
}

/** Comparison kernels that also accept two string tensors (tfjs-backend-cpu compares JS strings). */
const STRING_COMPARISONS: Record<string, (x: string, y: string) => boolean> = {
  Equal: (x, y) => x === y,
  NotEqual: (x, y) => x !== y,
  Greater: (x, y) => x > y,
  GreaterEqual: (x, y) => x >= y,
  Less: (x, y) => x < y,
  LessEqual: (x, y) => x <= y,
};

/** String comparison with broadcasting, in JavaScript (string tensors never reach native code). */
function compareStrings(
  kernel: string,
  backend: NativeCpuBackend,
  a: TensorInfo,
  b: TensorInfo,
  compare: (x: string, y: string) => boolean,
): TensorInfo {
  const shape = named(kernel, () => backend_util.assertAndGetBroadcastShape(a.shape, b.shape));
  const decode = (t: TensorInfo) => backend_util.fromUint8ToStringArray(backend.readSync(t.dataId) as Uint8Array[]);
  const av = decode(a);
  const bv = decode(b);
  const size = util.sizeFromShape(shape);
  const rank = shape.length;
  const outStrides = util.computeStrides(shape);
  const stridesOf = (s: number[]) => {
    const own = util.computeStrides(s);
    // Stride of each output dim in the operand (0 where it is broadcast or absent).
    return shape.map((_, i) => {
      const k = i - (rank - s.length);
      if (k < 0 || s[k] === 1) return 0;
      return k === s.length - 1 ? 1 : own[k];
    });
  };
  const sa = stridesOf(a.shape);
  const sb = stridesOf(b.shape);
  const values = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    let rem = i;
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      const stride = d === rank - 1 ? 1 : outStrides[d];
      const idx = Math.floor(rem / stride);
      rem -= idx * stride;
      ia += idx * sa[d];
      ib += idx * sb[d];
    }
    values[i] = compare(av[ia], bv[ib]) ? 1 : 0;
  }
  return backend.makeTensorInfo(shape, 'bool', values);
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
