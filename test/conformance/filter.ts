// Which of tfjs-core's own specs run against native-cpu, and why the others do not.
//
// Spec names read "<describe> <env> {} <it>". A spec runs when its describe is listed in SUITES and no
// rule of EXCLUSIONS matches it. Every exclusion says why. Rules that name kernels (`needs`) exclude
// their specs only while one of those kernels is not registered on the backend under test, and rules
// that name a probe (`whileRejected`) only while the backend rejects that call, so both lift by
// themselves when the kernel or the dtype arrives (and never hide one that exists). The kernels of
// REQUIRED_KERNELS are never used to exclude anything: a missing one fails its specs.

export interface FilterDecision {
  run: boolean;
  reason?: string;
}

/** The kernels native-cpu must implement; their suites always run, whatever is registered. */
export const REQUIRED_KERNELS: readonly string[] = [
  'Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'AvgPool', 'MaxPool', 'Mean', 'Sum',
  'Max', 'Min', 'Add', 'AddN', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference', 'Sigmoid',
  'Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Prelu', 'Tanh', 'Exp', 'Log', 'Rsqrt', 'Sqrt', 'Square', 'Neg', 'Abs',
  'ClipByValue', 'Softmax', '_FusedMatMul', 'BatchMatMul', 'FusedBatchNorm', 'PadV2', 'Reshape', 'Transpose',
  'Concat', 'Slice', 'StridedSlice', 'Cast', 'Identity', 'Fill', 'Pack', 'Unpack', 'ExpandDims', 'Squeeze', 'Tile',
  'GatherV2', 'ArgMax', 'ResizeBilinear', 'OnesLike', 'ZerosLike',
];

interface Suite {
  /** The describe name, exactly as the suite spells it (some end with a space). */
  describe: string;
  /** Kernels outside REQUIRED_KERNELS that the suite's specs need (the suite waits for them). */
  needs?: string[];
}

/** Suites of the required kernels (several describes per kernel). */
const KERNEL_SUITES: Suite[] = [
  // Conv2D, FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2D (and ops built on them)
  {describe: 'conv2d'}, {describe: 'fused conv2d'}, {describe: 'conv1d'}, {describe: 'separableConv2d'},
  {describe: 'depthwiseConv2D'}, {describe: 'fused depthwiseConv2D'}, {describe: 'depthwiseConv2d gradients'},
  // AvgPool, MaxPool
  {describe: 'avgPool'}, {describe: 'maxPool'}, {describe: 'pool'},
  // Mean, Sum, Max, Min, ArgMax
  {describe: 'mean'}, {describe: 'sum'}, {describe: 'max'}, {describe: 'min'}, {describe: 'argmax'},
  // Add, AddN, Sub, Multiply, RealDiv, Maximum, Minimum, SquaredDifference
  {describe: 'add'}, {describe: 'addN'}, {describe: 'sub'}, {describe: 'mul'}, {describe: 'div'},
  {describe: 'maximum'}, {describe: 'minimum'}, {describe: 'squaredDifference'},
  // Sigmoid, Relu, Relu6, Elu, LeakyRelu, Prelu, Tanh, Exp, Log, Rsqrt, Sqrt, Square, Neg, Abs, ClipByValue, Softmax
  {describe: 'sigmoid'}, {describe: 'relu'}, {describe: 'relu6'}, {describe: 'elu'}, {describe: 'leakyrelu'},
  {describe: 'prelu'}, {describe: 'tanh'}, {describe: 'exp'}, {describe: 'log'}, {describe: 'rsqrt'},
  {describe: 'sqrt'}, {describe: 'square'}, {describe: 'neg'}, {describe: 'abs'}, {describe: 'clipByValue'},
  {describe: 'softmax'},
  // _FusedMatMul, BatchMatMul
  {describe: 'matmul'}, {describe: 'fused matmul'}, {describe: 'matmulBatch'}, {describe: 'dot'},
  // FusedBatchNorm
  {describe: 'batchNorm4D'}, {describe: 'batchNorm3D'}, {describe: 'batchNorm2D'},
  // PadV2
  {describe: 'pad'}, {describe: 'pad 1d'}, {describe: 'pad 2d'}, {describe: 'pad 3d'}, {describe: 'pad 4d'},
  // Reshape, Transpose, Concat, Slice, StridedSlice, Cast, Identity, Fill, Pack, Unpack, ExpandDims, Squeeze, Tile
  {describe: 'transpose'}, {describe: 'concat1d'}, {describe: 'concat2d'}, {describe: 'concat3d'},
  {describe: 'concat throws for non-tensors'}, {describe: 'memory test'},
  {describe: 'slice1d'}, {describe: 'slice2d'}, {describe: 'slice3d'}, {describe: 'slice4d'}, {describe: 'slice '},
  {describe: 'stridedSlice'}, {describe: 'clone'}, {describe: 'fill'}, {describe: 'stack'}, {describe: 'unstack'},
  {describe: 'expandDims'}, {describe: 'squeeze'}, {describe: 'tile'},
  // GatherV2, ResizeBilinear, OnesLike, ZerosLike
  {describe: 'gather'}, {describe: 'booleanMaskAsync'}, {describe: 'resizeBilinear'}, {describe: 'onesLike'},
  {describe: 'zerosLike'},
];

/** Suites of other element-wise, comparison, logical and data-movement kernels. */
const OTHER_KERNEL_SUITES: Suite[] = [
  {describe: 'equal', needs: ['Equal']}, {describe: 'notEqual', needs: ['NotEqual']},
  {describe: 'greater', needs: ['Greater']}, {describe: 'greaterEqual', needs: ['GreaterEqual']},
  {describe: 'less', needs: ['Less']}, {describe: 'lessEqual', needs: ['LessEqual']},
  {describe: 'logicalAnd', needs: ['LogicalAnd']}, {describe: 'logicalOr', needs: ['LogicalOr']},
  {describe: 'logicalNot', needs: ['LogicalNot']},
  {describe: 'logicalXor', needs: ['LogicalAnd', 'LogicalOr', 'LogicalNot']},
  {describe: 'where', needs: ['Select', 'LogicalNot']}, {describe: 'whereAsync', needs: ['Where']},
  {describe: 'step kernel', needs: ['Step']},
  {describe: 'floorDiv', needs: ['FloorDiv']}, {describe: 'floor', needs: ['Floor']}, {describe: 'ceil', needs: ['Ceil']},
  {describe: 'round', needs: ['Round']}, {describe: 'sign', needs: ['Sign']},
  {describe: 'reciprocal', needs: ['Reciprocal']}, {describe: 'pow', needs: ['Pow', 'Greater', 'Select']},
  {describe: 'mod', needs: ['Mod', 'Floor']}, {describe: 'isNaN', needs: ['IsNan']}, {describe: 'erf', needs: ['Erf']},
  {describe: 'softplus', needs: ['Softplus']}, {describe: 'sin', needs: ['Sin', 'Cos']},
  {describe: 'cos', needs: ['Cos', 'Sin']}, {describe: 'expm1', needs: ['Expm1']}, {describe: 'log1p', needs: ['Log1p']},
  {describe: 'prod', needs: ['Prod']}, {describe: 'all', needs: ['All']}, {describe: 'any', needs: ['Any']},
  {describe: 'argmin', needs: ['ArgMin']},
  {describe: 'range', needs: ['Range']},
  {describe: 'reverse', needs: ['Reverse']}, {describe: 'reverse1d', needs: ['Reverse']},
  {describe: 'reverse2d', needs: ['Reverse']}, {describe: 'reverse3d', needs: ['Reverse']},
  {describe: 'reverse4d', needs: ['Reverse']},
  {describe: 'split', needs: ['SplitV']}, {describe: 'mirrorPad', needs: ['MirrorPad']},
  {describe: 'oneHot', needs: ['OneHot']}, {describe: 'broadcastTo'}, {describe: 'gatherND', needs: ['GatherNd']},
  {describe: 'eye'}, {describe: 'grayscaleToRGB'},
  {describe: 'spaceToBatchND', needs: ['SpaceToBatchND']}, {describe: 'batchToSpaceND', needs: ['BatchToSpaceND', 'SpaceToBatchND']},
  {describe: 'batchToSpaceND X spaceToBatchND', needs: ['BatchToSpaceND', 'SpaceToBatchND']},
  {describe: 'unsortedSegmentSum', needs: ['UnsortedSegmentSum']},
  {describe: 'einsum', needs: ['Einsum']}, {describe: 'RGBToGrayscale', needs: ['Einsum']},
  {describe: 'isInf', needs: ['IsInf']}, {describe: 'isFinite', needs: ['IsFinite']}, {describe: 'selu', needs: ['Selu']},
  {describe: 'linspace', needs: ['LinSpace']}, {describe: 'diag', needs: ['Diag']}, {describe: 'topk', needs: ['TopK']},
  {describe: 'cumsum', needs: ['Cumsum']}, {describe: 'cumprod', needs: ['Cumprod']},
];

/** Ops composed of the kernels above (tfjs-core implements them with several kernel calls). */
const COMPOSITE_SUITES: Suite[] = [
  {describe: 'logSigmoid', needs: ['Softplus']}, {describe: 'logSoftmax'}, {describe: 'logSumExp'},
  {describe: 'moments'}, {describe: 'norm', needs: ['Pow']}, {describe: 'euclideanNorm', needs: ['Pow']},
  {describe: 'absoluteDifference', needs: ['NotEqual']}, {describe: 'computeWeightedLoss', needs: ['NotEqual']},
  {describe: 'cosineDistance', needs: ['NotEqual']}, {describe: 'hingeLoss', needs: ['NotEqual']},
  {describe: 'huberLoss', needs: ['NotEqual']}, {describe: 'logLoss', needs: ['NotEqual']},
  {describe: 'meanSquaredError', needs: ['NotEqual']},
  {describe: 'sigmoidCrossEntropy', needs: ['NotEqual', 'Log1p']},
  {describe: 'softmaxCrossEntropy', needs: ['NotEqual']},
  {describe: 'dropout', needs: ['Floor']}, {describe: 'basicLSTMCell'}, {describe: 'basicLSTMCell throws with non-tensor'},
  {describe: 'lstm'}, {describe: 'multiRNN throws when passed non-tensor'},
  {describe: 'bandPart', needs: ['Range', 'LessEqual', 'GreaterEqual', 'LogicalAnd', 'Select', 'Less']},
  {describe: 'gramSchmidt-tiny', needs: ['Pow', 'SplitV']}, {describe: 'qr', needs: ['Pow', 'Greater', 'Select']},
  {describe: 'confusionMatrix', needs: ['OneHot']}, {describe: 'movingAverage', needs: ['Pow']},
  {describe: 'frame'}, {describe: 'threshold', needs: ['SplitV', 'Greater', 'LessEqual']},
  // tf.meshgrid's describes
  {describe: 'no input'}, {describe: 'single input'}, {describe: 'simple inputs'},
  {describe: 'higher dimensional input'}, {describe: 'dtypes'}, {describe: 'scalars'}, {describe: 'invalid arguments'},
  // gradients and training (the forward kernels above; optimizers update variables in place)
  {describe: 'gradients', needs: ['Step', 'Pow', 'LogicalAnd']}, {describe: 'valueAndGradients', needs: ['Step']},
  {describe: 'higher-order gradients'}, {describe: 'customGradient', needs: ['Pow']},
  {describe: 'backpropagateGradients'}, {describe: 'tensor grad', needs: ['Pow']},
  {describe: 'optimizer'}, {describe: 'SGDOptimizer'}, {describe: 'MomentumOptimizer'},
  {describe: 'AdagradOptimizer', needs: ['Pow']}, {describe: 'AdadeltaOptimizer'},
  {describe: 'AdamOptimizer', needs: ['Pow']}, {describe: 'AdamaxOptimizer'}, {describe: 'RMSPropOptimizer'},
];

/**
 * The backend's storage and the engine around it: tensors of every dtype written, read (sync and
 * async), cloned, disposed and counted (numDataIds, memory), variables, tidy, profiling.
 */
const STORAGE_SUITES: Suite[] = [
  {describe: 'tensor'}, {describe: 'tensor.toString'}, {describe: 'tensor with 0 in shape'},
  {describe: 'tensor.bytes()'}, {describe: 'tensor.data'}, {describe: 'tensor dataSync'},
  {describe: 'tensor arraySync'}, {describe: 'tensor debug mode'}, {describe: 'x instanceof Tensor'},
  {describe: 'convertToTensor'}, {describe: 'convertToTensor debug mode'},
  {describe: 'variable'}, {describe: 'x instanceof Variable'}, {describe: 'disposeVariables'},
  {describe: 'memory'}, {describe: 'tidy'}, {describe: 'profile'}, {describe: 'debug on', needs: ['Pow']},
  {describe: 'debug off'}, {describe: 'Detects memory leaks in kernels'},
  {describe: 'zeros'}, {describe: 'ones'}, {describe: 'epsilon'}, {describe: 'toPixels no canvas'},
  {describe: 'rand'}, {describe: 'randomNormal'}, {describe: 'randomStandardNormal'}, {describe: 'randomUniform'},
  {describe: 'randomUniformInt'}, {describe: 'randomGamma'}, {describe: 'truncatedNormal'},
  {describe: 'encodeWeights'}, {describe: 'decodeWeights'}, {describe: 'inTopKAsync'}, {describe: 'setdiff1dAsync'},
  {describe: 'hammingWindow'}, {describe: 'hannWindow'}, {describe: 'ensureShape'},
];

export const SUITES: readonly Suite[] = [...KERNEL_SUITES, ...OTHER_KERNEL_SUITES, ...COMPOSITE_SUITES, ...STORAGE_SUITES];

interface Exclusion {
  /** Describe names the rule applies to (all listed suites when absent). */
  suites?: string[];
  /** Substrings of the spec's `it` name; the rule matches when one is found (every spec when absent). */
  specs?: string[];
  /** Kernels the matched specs need: the rule holds only while one of them is not registered. */
  needs?: string[];
  /** A PROBES entry: the rule holds only while the probe fails on the backend under test. */
  whileRejected?: keyof typeof PROBES;
  reason: string;
}

/**
 * Calls that native kernels reject with an error today. The harness runs each on the backend under
 * test before the suite; an exclusion that names a probe lifts by itself once the call works.
 */
export const PROBES = {
  'string comparison': (tf: typeof import('@tensorflow/tfjs-core')) =>
    tf.tidy(() => tf.equal(tf.tensor(['a', 'b']), tf.tensor(['a', 'c'])).dataSync()),
  'int32 matmul': (tf: typeof import('@tensorflow/tfjs-core')) =>
    tf.tidy(() => tf.matMul(tf.ones([2, 3], 'int32'), tf.ones([3, 2], 'int32')).dataSync()),
  'NCHW convolution': (tf: typeof import('@tensorflow/tfjs-core')) =>
    tf.tidy(() => tf.conv2d(tf.ones([1, 2, 3, 3]) as import('@tensorflow/tfjs-core').Tensor4D, tf.ones([1, 1, 2, 1]) as import('@tensorflow/tfjs-core').Tensor4D, 1, 'same', 'NCHW').dataSync()),
};

const BACKPROP = 'backprop kernel; native-cpu implements inference (forward) kernels only';

export const EXCLUSIONS: readonly Exclusion[] = [
  // Gradients of convolution, pooling and resize need backprop kernels this backend does not implement.
  {
    suites: ['conv2d', 'fused conv2d', 'conv1d'], specs: ['gradient', 'backProp'],
    needs: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'], reason: `needs Conv2DBackpropInput/Filter (${BACKPROP})`,
  },
  {
    suites: ['fused depthwiseConv2D', 'depthwiseConv2d gradients'], specs: ['gradient', 'wrt input', 'wrt filter'],
    needs: ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
    reason: `needs DepthwiseConv2dNativeBackpropInput/Filter (${BACKPROP})`,
  },
  {suites: ['avgPool'], specs: ['gradient'], needs: ['AvgPoolGrad'], reason: `needs AvgPoolGrad (${BACKPROP})`},
  {suites: ['elu', 'fused conv2d'], specs: ['derivative', 'gradient'], needs: ['EluGrad'], reason: `needs EluGrad (${BACKPROP})`},
  {suites: ['gather'], specs: ['gradient'], needs: ['UnsortedSegmentSum'], reason: 'gather\'s gradient uses UnsortedSegmentSum'},
  {suites: ['prod'], specs: ['gradients'], needs: ['Cumprod'], reason: 'prod\'s gradient uses Cumprod'},

  // Gradients of required kernels that tfjs-core builds from other kernels (they wait for those kernels).
  {suites: ['max', 'min'], specs: ['gradient'], needs: ['Equal'], reason: 'max/min gradients use Equal'},
  {suites: ['maximum'], specs: ['gradient'], needs: ['GreaterEqual', 'Less'], reason: 'maximum\'s gradient uses GreaterEqual, Less'},
  {suites: ['minimum'], specs: ['gradient'], needs: ['LessEqual', 'Greater'], reason: 'minimum\'s gradient uses LessEqual, Greater'},
  {suites: ['relu', 'abs', 'fused conv2d', 'fused depthwiseConv2D', 'fused matmul'], specs: ['gradient'], needs: ['Step'], reason: 'relu/abs gradients use Step'},
  {suites: ['relu6', 'fused matmul'], specs: ['gradients: relu6', 'relu6 and gradients'], needs: ['LessEqual', 'Step'], reason: 'relu6\'s gradient uses LessEqual, Step'},
  {suites: ['leakyrelu', 'prelu'], specs: ['gradient', 'derivative'], needs: ['Greater', 'Select'], reason: 'leakyRelu/prelu gradients use Greater, Select'},
  {suites: ['rsqrt'], specs: ['gradient'], needs: ['Pow'], reason: 'rsqrt\'s gradient uses Pow'},
  {suites: ['clipByValue'], specs: ['gradient'], needs: ['GreaterEqual', 'LessEqual', 'LogicalAnd', 'Select'], reason: 'clipByValue\'s gradient uses GreaterEqual, LessEqual, LogicalAnd, Select'},
  {suites: ['concat3d'], specs: ['gradient'], needs: ['SplitV'], reason: 'concat\'s gradient uses SplitV'},
  {suites: ['gather'], specs: ['axis=1 shape=[4, 2] 1D indices batchDims 1'], needs: ['SplitV'], reason: 'this gather gradient uses SplitV'},
  {suites: ['div'], specs: ['integer division', 'upcasts when dtypes dont match', 'with int32', '1d<int32>'], needs: ['FloorDiv'], reason: 'int32 division is FloorDiv'},
  {suites: ['div'], specs: ['divNoNan'], needs: ['Equal', 'Select'], reason: 'divNoNan uses Equal, Select'},
  {suites: ['avgPool', 'maxPool'], specs: ['1x1 pool size'], needs: ['Range'], reason: 'these specs build their input with tf.range'},
  {suites: ['max'], specs: ['6D, axis=[5]'], needs: ['Range'], reason: 'builds its input with tf.range'},
  {suites: ['add'], specs: ['6D+scalar', '6D+2D'], needs: ['Range'], reason: 'builds its input with tf.range'},
  {suites: ['mul'], specs: ['broadcast 5D + 2D', 'broadcast 6D + 2D'], needs: ['Range'], reason: 'builds its input with tf.range'},
  {suites: ['log'], specs: ['log 6D'], needs: ['Range'], reason: 'builds its input with tf.range'},
  {suites: ['gather'], specs: ['chaining, axis=1', 'indices not int32 throws error'], needs: ['Range'], reason: 'builds its input with tf.range'},

  // Ops outside this backend's kernel set.
  {suites: ['pool'], specs: [' d=2'], needs: ['SpaceToBatchND', 'BatchToSpaceND'], reason: 'dilated tf.pool uses SpaceToBatchND/BatchToSpaceND'},
  {suites: ['threshold'], specs: ['method otsu'], needs: ['Bincount'], reason: 'the otsu method uses Bincount'},

  // Data types and layouts.
  {
    specs: ['complex64', 'Complex64', 'complex number', 'complex input', 'complex dtype', 'Mixed dtype tensors', 'with a complex tensor',
      'ones with complex type'],
    needs: ['Complex'], reason: 'complex64: native-cpu stores float32, int32, bool and string tensors only',
  },
  {
    suites: ['add', 'sub'], specs: ['upcasts when dtypes dont match'], needs: ['Complex'],
    reason: 'this spec adds a complex64 tensor (native-cpu stores float32, int32, bool and string tensors only)',
  },
  {
    suites: ['equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual'], specs: ['should support string comparison'],
    whileRejected: 'string comparison', reason: 'string tensors: native-cpu comparison kernels take float32, int32 and bool (strings stay in JavaScript) and reject strings with an error',
  },
  {
    suites: ['confusionMatrix'],
    whileRejected: 'int32 matmul', reason: 'int32 matmul: native-cpu BatchMatMul takes float32 only and rejects int32 with an error (tf.confusionMatrix multiplies int32 one-hot matrices)',
  },
  {
    suites: ['matmul'], specs: ['upcasts when dtypes dont match'],
    whileRejected: 'int32 matmul', reason: 'int32 matmul: native-cpu BatchMatMul takes float32 only and rejects int32 with an error',
  },
  {
    suites: ['dtypes'], specs: ['Should use the input tensor dtype'],
    whileRejected: 'int32 matmul', reason: 'int32 matmul (tf.meshgrid of int32 inputs): native-cpu BatchMatMul takes float32 only and rejects int32 with an error',
  },
  {
    suites: ['conv2d', 'fused conv2d', 'conv1d', 'depthwiseConv2D', 'fused depthwiseConv2D', 'separableConv2d', 'avgPool', 'maxPool'],
    specs: ['NCHW'], whileRejected: 'NCHW convolution',
    reason: 'NCHW (channels-first): native-cpu kernels take NHWC and reject NCHW with an error',
  },
];

/** Whether a spec runs on `env` (the test env's name), given which kernels the backend has. */
export function decide(
  name: string,
  env: string,
  hasKernel: (kernelName: string) => boolean,
  rejects: (probe: keyof typeof PROBES) => boolean = () => true,
): FilterDecision {
  const suite = SUITES.find((s) => name.startsWith(`${s.describe} ${env} {} `));
  if (suite == null) {
    if (!name.includes(` ${env} {} `)) {
      return {run: false, reason: 'backend-independent spec (a plain describe, not run per test env: utilities, flags, io)'};
    }
    return {run: false, reason: 'suite not included: its ops are not kernels of this backend (see SUITES for those that are)'};
  }
  const spec = name.slice(`${suite.describe} ${env} {} `.length);
  const missing = (kernels: string[] | undefined) =>
    (kernels ?? []).filter((k) => !REQUIRED_KERNELS.includes(k) && !hasKernel(k));

  for (const rule of EXCLUSIONS) {
    if (rule.suites != null && !rule.suites.includes(suite.describe)) continue;
    if (rule.specs != null && !rule.specs.some((s) => spec.includes(s))) continue;
    if (rule.whileRejected != null) {
      if (rejects(rule.whileRejected)) return {run: false, reason: rule.reason};
      continue;
    }
    if (rule.needs == null) return {run: false, reason: rule.reason};
    const absent = missing(rule.needs);
    if (absent.length > 0) return {run: false, reason: `${rule.reason} [not registered: ${absent.join(', ')}]`};
  }
  const absent = missing(suite.needs);
  if (absent.length > 0) return {run: false, reason: `suite waits for kernels not registered yet: ${absent.join(', ')}`};
  return {run: true};
}

/** Suites of SUITES that match no spec name, and rules of EXCLUSIONS that match none (typos, renamed specs). */
export function staleEntries(names: readonly string[], env: string): string[] {
  const stale: string[] = [];
  const bySuite = new Map<string, string[]>();
  for (const suite of SUITES) {
    const prefix = `${suite.describe} ${env} {} `;
    const specs = names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
    bySuite.set(suite.describe, specs);
    if (specs.length === 0) stale.push(`suite '${suite.describe}' matches no spec`);
  }
  EXCLUSIONS.forEach((rule, i) => {
    const suites = rule.suites ?? SUITES.map((s) => s.describe);
    for (const suite of suites) {
      if (!bySuite.has(suite)) stale.push(`exclusion ${i} (${rule.reason}) names suite '${suite}', which SUITES does not list`);
    }
    const matched = suites.some((suite) =>
      (bySuite.get(suite) ?? []).some((spec) => rule.specs == null || rule.specs.some((s) => spec.includes(s))),
    );
    if (!matched) stale.push(`exclusion ${i} (${rule.reason}) matches no spec`);
  });
  return stale;
}
