// effnet-native: importing this module registers the `native` and `native-cpu` tfjs backends.
import {registerNativeBackends} from './register.js';
import {applyCudaPrecisionEnvironment} from './cuda_precision.js';
import {IsaLevel, loadCpuAddon, NativeInfo, WinogradMode} from './native.js';

registerNativeBackends();
applyCudaPrecisionEnvironment();

export {NativeCpuBackend} from './backend.js';
export {NativeCudaBackend} from './backend_cuda.js';
export {cudaStatus} from './native_cuda.js';
export {getCudaMBConvFusion, setCudaMBConvFusion} from './cuda_mbconv.js';
export {CUDA_PRECISIONS, getCudaPrecision, setCudaPrecision} from './cuda_precision.js';
export type {CudaPrecision} from './cuda_precision.js';
export {captureCudaGraph} from './cuda_graph.js';
export {captureCpuGraph} from './cpu_graph.js';
export {captureGraph} from './capture_graph.js';
export type {NativeGraph} from './native_graph.js';
export {HEAD_KERNEL, hasFusedHead, head, headComposite, setHeadFusion} from './models/head.js';
export type {CaptureOptions, CudaGraph} from './cuda_graph.js';
export type {CudaDeviceInfo, CudaStatus} from './native_cuda.js';
export {BACKEND_NAMES, kernelConfigs, registerNativeBackends} from './register.js';
export type {NativeBackendName} from './register.js';
export type {IsaLevel, NativeInfo, WinogradMode} from './native.js';

// Weights (src/weights): safetensors and Keras .h5 loading, torchvision/timm/Keras name maps.
export {loadWeights, saveWeights, serializeWeights} from './weights/load.js';
export type {LoadedWeights, LoadWeightsOptions, WeightSpecEntry} from './weights/load.js';
export {
  parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors,
} from './weights/safetensors.js';
export type {NamedArray, SafetensorsContents, SafetensorsDType, WritableArray} from './weights/safetensors.js';
export {readKerasH5} from './weights/keras.js';
export {detectScheme, familyNumerics, fromCanonical, toCanonical, WEIGHT_SCHEMES} from './weights/names.js';
export type {FamilyNumerics, MappedWeights, ModelFamily, SchemeDetection, WeightScheme} from './weights/names.js';

// Models (src/models): definitions, configs, counts, weight specs, seeded random weights.
export {
  buildEfficientNet,
  efficientNetGraph,
  efficientNetWeightSpec,
  randomEfficientNetWeights,
} from './models/efficientnet.js';
export type {EfficientNet} from './models/efficientnet.js';
export {
  B0_STAGES,
  compoundScale,
  EFFICIENTNET_VARIANTS,
  efficientNetBlocks,
  efficientNetConfig,
  PAPER_COEFFICIENTS,
  roundFilters,
  roundRepeats,
} from './models/scaling.js';
export type {
  CompoundCoefficients,
  CompoundScaled,
  EfficientNetConfig,
  EfficientNetOptions,
  EfficientNetVariant,
  MBConvBlockSpec,
  PaddingMode,
} from './models/scaling.js';
export {buildResNet, randomResNetWeights, resNetConfig, resNetGraph, resNetWeightSpec} from './models/resnet.js';
export type {ResNet, ResNetConfig, ResNetDepth, ResNetOptions} from './models/resnet.js';
export {
  AMOEBANET_B_NORMAL,
  AMOEBANET_B_REDUCTION,
  amoebaNetConfig,
  amoebaNetGraph,
  amoebaNetWeightSpec,
  buildAmoebaNet,
  randomAmoebaNetWeights,
} from './models/amoebanet.js';
export type {AmoebaNet, AmoebaNetConfig, AmoebaNetOptions, CellGenotype} from './models/amoebanet.js';
export {countMultiplyAdds, countParams, layerSummary, traceModel, weightSpec} from './models/count.js';
export type {ModelConfig} from './models/count.js';
export {randomWeights} from './models/graph.js';
export type {Model, Ops, Trace, WeightSpec} from './models/graph.js';
export {backendFusesSwish, hasFusedMBConv, MBCONV_KERNEL, mbconv, mbconvComposite, setMBConvFusion} from './models/mbconv.js';
export type {MBConvAttrs, MBConvConfig, MBConvWeights} from './models/mbconv.js';
export {hasFusedStemMBConv, STEM_MBCONV_KERNEL, stemMBConv} from './models/stem_mbconv.js';
export type {StemConv} from './models/stem_mbconv.js';
export {formatTablesMarkdown, table2Rows, table7Rows} from './models/tables.js';
export type {Table2Row, Table7Row} from './models/tables.js';

// Classifying images (src/api.ts, src/image.ts, src/cam.ts): loaders, async/sync prediction, CAMs.
export {
  ImageClassifier, labelsFor, loadAmoebaNet, loadEfficientNet, loadResNet, MODEL_BACKENDS, preprocessingFor, softmax, topK,
} from './api.js';
export type {CamResult, ClassifyOptions, LoadModelOptions, ModelBackend, Prediction} from './api.js';
export {
  cropForModel, decodeImage, encodePng, IMAGENET_MEAN, IMAGENET_STD, normalizeImage, preprocessBatch, preprocessImage, resizeImage,
} from './image.js';
export type {ImageInput, Interpolation, PreprocessedBatch, PreprocessedImage, PreprocessMode, PreprocessOptions, RgbImage} from './image.js';
export {computeCam, jet, overlayCam, writeCamPng} from './cam.js';
export type {ClassActivationMap} from './cam.js';
export {IMAGENET_LABELS} from './labels/imagenet.js';

/**
 * Sets the number of threads the native kernels use (the calling thread included). 1 means all
 * work runs on one thread. The default is EFFNET_NUM_THREADS or the number of available cores.
 */
export function setThreads(count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`setThreads: expected an integer >= 1, got ${count}`);
  }
  return loadCpuAddon().setThreads(count);
}

/** The number of threads the native kernels use. */
export function getThreads(): number {
  return loadCpuAddon().info().threads;
}

/**
 * Limits the instruction set the kernels use ('portable', 'avx2', 'avx512'); never above what the
 * CPU supports. EFFNET_ISA sets the same limit at load time. Returns the level in effect.
 */
export function setIsaLevel(level: IsaLevel): IsaLevel {
  const levels: IsaLevel[] = ['portable', 'avx2', 'avx512'];
  if (!levels.includes(level)) {
    throw new Error(`setIsaLevel: unknown level '${level}'; supported: ${levels.join(', ')}`);
  }
  return loadCpuAddon().setIsa(level);
}

/**
 * Chooses how the CPU engine runs 3x3 stride-1 convolutions with >= 16 input and output channels:
 * 'f2' (the default) Winograd F(2x2,3x3), about 1.3x faster on ResNet-152, with an error against exact
 * sums like tfjs-backend-cpu's own; 'f4' Winograd F(4x4,3x3), a little faster still and about one digit
 * less accurate; 'off' direct GEMM convolution, summing in tfjs-backend-cpu's order. EFFNET_WINOGRAD sets the
 * mode at load time. Returns the mode in effect.
 */
export function setWinograd(mode: WinogradMode): WinogradMode {
  const modes: WinogradMode[] = ['f2', 'f4', 'off'];
  if (!modes.includes(mode)) {
    throw new Error(`setWinograd: unknown mode '${String(mode)}'; supported: ${modes.join(', ')}`);
  }
  return loadCpuAddon().winogradMode(mode);
}

/** How 3x3 stride-1 convolutions with >= 16 channels run now (see setWinograd). */
export function getWinograd(): WinogradMode {
  return loadCpuAddon().winogradMode();
}

/** The CPU engine's state: ISA levels, threads, native memory in use. */
export function nativeInfo(): NativeInfo {
  return loadCpuAddon().info();
}
