// Registers the native backends and every kernel. Adding a kernel: one import and one list entry.
import {findBackendFactory, getKernel, registerBackend, registerKernel} from '@tensorflow/tfjs-core';

import {NativeCpuBackend} from './backend.js';
import {CUDA_UNREGISTERED_KERNELS, NativeCudaBackend} from './backend_cuda.js';
import {applyCudaMBConvEnvironment} from './cuda_mbconv.js';
import {_fusedMatMulConfig} from './kernels/_FusedMatMul.js';
import {batchMatMulConfig} from './kernels/BatchMatMul.js';
import {conv2DConfig} from './kernels/Conv2D.js';
import {avgPoolConfig} from './kernels/AvgPool.js';
import {depthwiseConv2dNativeConfig} from './kernels/DepthwiseConv2dNative.js';
import {fusedConv2DConfig} from './kernels/FusedConv2D.js';
import {fusedDepthwiseConv2DConfig} from './kernels/FusedDepthwiseConv2D.js';
import {effnetMBConvConfig} from './kernels/EffnetMBConv.js';
import {effnetStemMBConvConfig} from './kernels/EffnetStemMBConv.js';
import {effnetConv2DResidualConfig} from './kernels/EffnetConv2DResidual.js';
import {effnetHeadConfig} from './kernels/EffnetHead.js';
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
import {squeezeConfig} from './kernels/Squeeze.js';
import {stridedSliceConfig} from './kernels/StridedSlice.js';
import {tileConfig} from './kernels/Tile.js';
import {transposeConfig} from './kernels/Transpose.js';
import {unpackConfig} from './kernels/Unpack.js';
import {whereConfig} from './kernels/Where.js';
import {zerosLikeConfig} from './kernels/ZerosLike.js';
import {addConfig} from './kernels/Add.js';
import {subConfig} from './kernels/Sub.js';
import {multiplyConfig} from './kernels/Multiply.js';
import {realDivConfig} from './kernels/RealDiv.js';
import {maximumConfig} from './kernels/Maximum.js';
import {minimumConfig} from './kernels/Minimum.js';
import {squaredDifferenceConfig} from './kernels/SquaredDifference.js';
import {addNConfig} from './kernels/AddN.js';
import {preluConfig} from './kernels/Prelu.js';
import {sigmoidConfig} from './kernels/Sigmoid.js';
import {reluConfig} from './kernels/Relu.js';
import {relu6Config} from './kernels/Relu6.js';
import {eluConfig} from './kernels/Elu.js';
import {leakyReluConfig} from './kernels/LeakyRelu.js';
import {tanhConfig} from './kernels/Tanh.js';
import {expConfig} from './kernels/Exp.js';
import {logConfig} from './kernels/Log.js';
import {rsqrtConfig} from './kernels/Rsqrt.js';
import {sqrtConfig} from './kernels/Sqrt.js';
import {squareConfig} from './kernels/Square.js';
import {negConfig} from './kernels/Neg.js';
import {absConfig} from './kernels/Abs.js';
import {clipByValueConfig} from './kernels/ClipByValue.js';
import {sumConfig} from './kernels/Sum.js';
import {meanConfig} from './kernels/Mean.js';
import {maxConfig} from './kernels/Max.js';
import {minConfig} from './kernels/Min.js';
import {argMaxConfig} from './kernels/ArgMax.js';
import {softmaxConfig} from './kernels/Softmax.js';
import {equalConfig} from './kernels/Equal.js';
import {notEqualConfig} from './kernels/NotEqual.js';
import {greaterConfig} from './kernels/Greater.js';
import {greaterEqualConfig} from './kernels/GreaterEqual.js';
import {lessConfig} from './kernels/Less.js';
import {lessEqualConfig} from './kernels/LessEqual.js';
import {logicalAndConfig} from './kernels/LogicalAnd.js';
import {logicalOrConfig} from './kernels/LogicalOr.js';
import {logicalNotConfig} from './kernels/LogicalNot.js';
import {selectConfig} from './kernels/Select.js';
import {stepConfig} from './kernels/Step.js';
import {floorDivConfig} from './kernels/FloorDiv.js';
import {floorConfig} from './kernels/Floor.js';
import {ceilConfig} from './kernels/Ceil.js';
import {roundConfig} from './kernels/Round.js';
import {signConfig} from './kernels/Sign.js';
import {reciprocalConfig} from './kernels/Reciprocal.js';
import {powConfig} from './kernels/Pow.js';
import {modConfig} from './kernels/Mod.js';
import {prodConfig} from './kernels/Prod.js';
import {allConfig} from './kernels/All.js';
import {anyConfig} from './kernels/Any.js';
import {argMinConfig} from './kernels/ArgMin.js';
import {isNanConfig} from './kernels/IsNan.js';
import {erfConfig} from './kernels/Erf.js';
import {softplusConfig} from './kernels/Softplus.js';
import {sinConfig} from './kernels/Sin.js';
import {cosConfig} from './kernels/Cos.js';
import {expm1Config} from './kernels/Expm1.js';
import {log1pConfig} from './kernels/Log1p.js';
import {batchToSpaceNDConfig} from './kernels/BatchToSpaceND.js';
import {einsumConfig} from './kernels/Einsum.js';
import {isFiniteConfig} from './kernels/IsFinite.js';
import {isInfConfig} from './kernels/IsInf.js';
import {seluConfig} from './kernels/Selu.js';
import {linSpaceConfig} from './kernels/LinSpace.js';
import {diagConfig} from './kernels/Diag.js';
import {topKConfig} from './kernels/TopK.js';
import {cumprodConfig} from './kernels/Cumprod.js';
import {cumsumConfig} from './kernels/Cumsum.js';
import {spaceToBatchNDConfig} from './kernels/SpaceToBatchND.js';
import {unsortedSegmentSumConfig} from './kernels/UnsortedSegmentSum.js';
import type {NativeKernelConfig} from './kernels/types.js';
import {loadCpuAddon} from './native.js';
import {loadCudaAddon} from './native_cuda.js';

/** Every kernel the native CPU backend implements. */
export const kernelConfigs: NativeKernelConfig[] = [
  identityConfig,
  reshapeConfig,
  // element-wise, reductions, softmax
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  maximumConfig,
  minimumConfig,
  squaredDifferenceConfig,
  addNConfig,
  preluConfig,
  sigmoidConfig,
  reluConfig,
  relu6Config,
  eluConfig,
  leakyReluConfig,
  tanhConfig,
  expConfig,
  logConfig,
  rsqrtConfig,
  sqrtConfig,
  squareConfig,
  negConfig,
  absConfig,
  clipByValueConfig,
  sumConfig,
  meanConfig,
  maxConfig,
  minConfig,
  argMaxConfig,
  softmaxConfig,
  equalConfig,
  notEqualConfig,
  greaterConfig,
  greaterEqualConfig,
  lessConfig,
  lessEqualConfig,
  logicalAndConfig,
  logicalOrConfig,
  logicalNotConfig,
  selectConfig,
  stepConfig,
  floorDivConfig,
  floorConfig,
  ceilConfig,
  roundConfig,
  signConfig,
  reciprocalConfig,
  powConfig,
  modConfig,
  prodConfig,
  allConfig,
  anyConfig,
  argMinConfig,
  isNanConfig,
  erfConfig,
  softplusConfig,
  sinConfig,
  cosConfig,
  expm1Config,
  log1pConfig,
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
  squeezeConfig,
  gatherV2Config,
  gatherNdConfig,
  castConfig,
  fillConfig,
  onesLikeConfig,
  zerosLikeConfig,
  oneHotConfig,
  rangeConfig,
  whereConfig,
  conv2DConfig,
  fusedConv2DConfig,
  batchMatMulConfig,
  _fusedMatMulConfig,
  depthwiseConv2dNativeConfig,
  fusedDepthwiseConv2DConfig,
  effnetMBConvConfig,
  effnetStemMBConvConfig,
  effnetConv2DResidualConfig,
  effnetHeadConfig,
  avgPoolConfig,
  maxPoolConfig,
  fusedBatchNormConfig,
  resizeBilinearConfig,
  // composed of the kernels above
  spaceToBatchNDConfig,
  batchToSpaceNDConfig,
  unsortedSegmentSumConfig,
  einsumConfig,
  isInfConfig,
  isFiniteConfig,
  seluConfig,
  linSpaceConfig,
  diagConfig,
  topKConfig,
  cumsumConfig,
  cumprodConfig,
];

/**
 * Backend names this package registers. `native` is the best one available on this machine:
 * `native-cuda` where the CUDA addon loads and a usable GPU exists (then registered too), else `native-cpu`.
 */
export const BACKEND_NAMES = ['native-cpu', 'native-cuda', 'native'] as const;
export type NativeBackendName = (typeof BACKEND_NAMES)[number];

// Priorities above tfjs's own backends (cpu 1, wasm/webgl 2, tfjs-node 3) make `native` the default.
const PRIORITY: Record<NativeBackendName, number> = {'native-cpu': 4, 'native-cuda': 4, native: 5};

/** Registers the backends and kernels once; later calls (or a second copy of the module) do nothing. */
export function registerNativeBackends(): void {
  const cuda = loadCudaAddon();  // undefined without a built CUDA addon, a driver and a usable GPU
  for (const name of BACKEND_NAMES) {
    if (name === 'native-cuda' && cuda === undefined) continue;
    const onGpu = name !== 'native-cpu' && cuda !== undefined;
    if (findBackendFactory(name) == null) {
      registerBackend(name, () => (onGpu ? new NativeCudaBackend(cuda) : new NativeCpuBackend(loadCpuAddon())), PRIORITY[name]);
    }
    for (const kernel of kernelConfigs) {
      if (onGpu && CUDA_UNREGISTERED_KERNELS.includes(kernel.kernelName)) continue;
      if (getKernel(kernel.kernelName, name) == null) {
        registerKernel({
          kernelName: kernel.kernelName,
          backendName: name,
          kernelFunc: kernel.kernelFunc as never,
        });
      }
    }
  }
  applyCudaMBConvEnvironment();
}
