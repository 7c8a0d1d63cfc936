// The shape of a kernel in this package: a tfjs kernel function bound to the native backend.
import {NamedAttrMap, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';

export interface NativeKernelArgs {
  inputs: NamedTensorInfoMap;
  backend: NativeCpuBackend;
  attrs?: NamedAttrMap;
}

export type NativeKernelFunc = (args: NativeKernelArgs) => TensorInfo | TensorInfo[];

/** A kernel, registered by register.ts for every native backend name. */
export interface NativeKernelConfig {
  kernelName: string;
  kernelFunc: NativeKernelFunc;
}
