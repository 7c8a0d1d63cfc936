// Registers the native backends and every kernel. Adding a kernel: one import and one list entry.
import {findBackendFactory, getKernel, registerBackend, registerKernel} from '@tensorflow/tfjs-core';

import {NativeCpuBackend} from './backend.js';
import {_fusedMatMulConfig} from './kernels/_FusedMatMul.js';
import {batchMatMulConfig} from './kernels/BatchMatMul.js';
import {conv2DConfig} from './kernels/Conv2D.js';
import {avgPoolConfig} from './kernels/AvgPool.js';
import {depthwiseConv2dNativeConfig} from './kernels/DepthwiseConv2dNative.js';
import {fusedConv2DConfig} from './kernels/FusedConv2D.js';
import {fusedDepthwiseConv2DConfig} from './kernels/FusedDepthwiseConv2D.js';
import {fusedBatchNormConfig} from './kernels/FusedBatchNorm.js';
import {identityConfig} from './kernels/Identity.js';
import {maxPoolConfig} from './kernels/MaxPool.js';
import {reshapeConfig} from './kernels/Reshape.js';
import {resizeBilinearConfig} from './kernels/ResizeBilinear.js';
import type {NativeKernelConfig} from './kernels/types.js';
import {loadCpuAddon} from './native.js';

/** Every kernel the native CPU backend implements. */
export const kernelConfigs: NativeKernelConfig[] = [
  identityConfig,
  reshapeConfig,
  conv2DConfig,
  fusedConv2DConfig,
  batchMatMulConfig,
  _fusedMatMulConfig,
  depthwiseConv2dNativeConfig,
  fusedDepthwiseConv2DConfig,
  avgPoolConfig,
  maxPoolConfig,
  fusedBatchNormConfig,
  resizeBilinearConfig,
];

/** Backend names this package registers. `native` is the best one available on this machine. */
export const BACKEND_NAMES = ['native-cpu', 'native'] as const;
export type NativeBackendName = (typeof BACKEND_NAMES)[number];

// Priorities above tfjs's own backends (cpu 1, wasm/webgl 2, tfjs-node 3) make `native` the default.
const PRIORITY: Record<NativeBackendName, number> = {'native-cpu': 4, native: 5};

/** Registers the backends and kernels once; later calls (or a second copy of the module) do nothing. */
export function registerNativeBackends(): void {
  for (const name of BACKEND_NAMES) {
    if (findBackendFactory(name) == null) {
      registerBackend(name, () => new NativeCpuBackend(loadCpuAddon()), PRIORITY[name]);
    }
    for (const kernel of kernelConfigs) {
      if (getKernel(kernel.kernelName, name) == null) {
        registerKernel({
          kernelName: kernel.kernelName,
          backendName: name,
          kernelFunc: kernel.kernelFunc as never,
        });
      }
    }
  }
}
