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
import {broadcastToConfig} from './kernels/BroadcastTo.js';
import {castConfig} from './kernels/Cast.js';
import {concatConfig} from './kernels/Concat.js';
import {expandDimsConfig} from './kernels/ExpandDims.js';
import {fillConfig} from './kernels/Fill.js';
import {gatherNdConfig} from './kernels/GatherNd.js';
import {gatherV2Config} from './kernels/GatherV2.js';
import {mirrorPadConfig} from './kernels/MirrorPad.js';
import {oneHotConfig} from './kernels/OneHot.js';
import {onesLikeConfig} from './kernels/OnesLike.js';
import {packConfig} from './kernels/Pack.js';
import {padV2Config} from './kernels/PadV2.js';
import {rangeConfig} from './kernels/Range.js';
import {reverseConfig} from './kernels/Reverse.js';
import {sliceConfig} from './kernels/Slice.js';
import {splitVConfig} from './kernels/SplitV.js';
import {stridedSliceConfig} from './kernels/StridedSlice.js';
import {tileConfig} from './kernels/Tile.js';
import {transposeConfig} from './kernels/Transpose.js';
import {unpackConfig} from './kernels/Unpack.js';
import {zerosLikeConfig} from './kernels/ZerosLike.js';
import type {NativeKernelConfig} from './kernels/types.js';
import {loadCpuAddon} from './native.js';

/** Every kernel the native CPU backend implements. */
export const kernelConfigs: NativeKernelConfig[] = [
  identityConfig,
  reshapeConfig,
  // layout
  transposeConfig,
  concatConfig,
  packConfig,
  unpackConfig,
  sliceConfig,
  stridedSliceConfig,
  splitVConfig,
  padV2Config,
  mirrorPadConfig,
  tileConfig,
  broadcastToConfig,
  reverseConfig,
  expandDimsConfig,
  gatherV2Config,
  gatherNdConfig,
  castConfig,
  fillConfig,
  onesLikeConfig,
  zerosLikeConfig,
  oneHotConfig,
  rangeConfig,
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
