// Layer descriptions shared by the model builders, the shape walk (parameter and multiply-add
// counts, weight specs) and the fused MBConv op: convolution specs, padding rules, output sizes.
import type {PaddingMode} from './scaling.js';

export type {PaddingMode} from './scaling.js';

/** Padding of one conv or pool: a model's mode, or 'valid' (no padding). */
export type LayerPadding = PaddingMode | 'valid';

/** Activation applied after a conv (after its folded batch norm). Swish is x * sigmoid(x). */
export type Activation = 'linear' | 'relu' | 'swish' | 'sigmoid';

/**
 * A batch norm applied to a conv's output channels. A batch norm that spans several convs whose
 * outputs are concatenated (AmoebaNet's factorized reduction) is referenced by each conv with its
 * `offset` into the `channels` of the batch norm.
 */
export interface BatchNormRef {
  /** Parameters at `${name}/{gamma,beta,mean,variance}`. */
  name: string;
  /** Channels of the whole batch norm (default: the conv's filters). */
  channels?: number;
  /** First channel of this conv's output within the batch norm (default 0). */
  offset?: number;
  /**
   * This batch norm ends a residual branch (its output is added to the block's input). Only seeded random
   * weights read it: they draw its gamma small (see randomWeightValues in graph.ts).
   */
  endsResidualBranch?: boolean;
}

/** A 2-D convolution (or depthwise convolution) with optional bias, batch norm and activation. */
export interface ConvSpec {
  /** Kernel at `${name}/kernel` (HWIO, depthwise [k, k, C, 1]); bias, when present, at `${name}/bias`. */
  name: string;
  /** Output channels; for a depthwise conv (multiplier 1) the input channels. */
  filters: number;
  /** Square kernel size. */
  kernel: number;
  stride?: number;
  dilation?: number;
  padding: LayerPadding;
  depthwise?: boolean;
  /** The conv has its own bias (besides the one batch-norm folding creates). */
  bias?: boolean;
  bn?: BatchNormRef;
  activation?: Activation;
}

/** Pads [top, bottom, left, right]. */
export type Pads = [number, number, number, number];

/** tfjs's explicit padding for NHWC. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Padding amounts of a conv or pool on an h x w input.
 * - 'same': TF's rule, pad_total = max((ceil(n/s) - 1) * s + k_eff - n, 0), the smaller half
 *   before (stride 2 on even sizes pads one more at the bottom/right);
 * - 'symmetric': (k_eff - 1) / 2 on every side (torchvision), k_eff must be odd;
 * - 'valid': none.
 * k_eff = (k - 1) * dilation + 1.
 */
export function padAmounts(
  mode: LayerPadding,
  kernel: number,
  stride: number,
  dilation: number,
  h: number,
  w: number,
): Pads {
  const k = (kernel - 1) * dilation + 1;
  if (mode === 'valid') return [0, 0, 0, 0];
  if (mode === 'symmetric') {
    if ((k - 1) % 2 !== 0) {
      throw new Error(`padding 'symmetric' needs an odd effective kernel size, got ${k}; use 'same'`);
    }
    const p = (k - 1) / 2;
    return [p, p, p, p];
  }
  if (mode === 'same') {
    const along = (n: number) => Math.max((Math.ceil(n / stride) - 1) * stride + k - n, 0);
    const ph = along(h);
    const pw = along(w);
    return [Math.floor(ph / 2), ph - Math.floor(ph / 2), Math.floor(pw / 2), pw - Math.floor(pw / 2)];
  }
  throw new Error(`unknown padding '${mode as string}'; supported: same, symmetric, valid`);
}

/** Output size along one axis of a conv or pool with the given pads. */
export function outputSize(n: number, kernel: number, stride: number, dilation: number, before: number, after: number): number {
  const k = (kernel - 1) * dilation + 1;
  return Math.floor((n + before + after - k) / stride) + 1;
}

/**
 * The `pad` argument for tfjs conv and pool ops that realises `mode`: 'valid' when nothing is
 * padded, 'same' for TF's rule at stride 1 (symmetric there for odd kernels), explicit pads
 * otherwise (TF's asymmetric SAME pads at stride 2, torchvision's (k-1)/2).
 */
export function tfPadding(
  mode: LayerPadding,
  kernel: number,
  stride: number,
  dilation: number,
  h: number,
  w: number,
): 'valid' | 'same' | ExplicitPadding {
  const [t, b, l, r] = padAmounts(mode, kernel, stride, dilation, h, w);
  if (t === 0 && b === 0 && l === 0 && r === 0) return 'valid';
  if (mode === 'same' && stride === 1) return 'same';
  return [[0, 0], [t, b], [l, r], [0, 0]];
}
