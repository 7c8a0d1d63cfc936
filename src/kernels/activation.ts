// Maps tfjs's fused-op activation names to the native engine's codes (cpp/include/effnet/common.h).
import type {backend_util} from '@tensorflow/tfjs-core';

export const ACTIVATION_CODES: Record<backend_util.Activation | 'swish', number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  prelu: 5,
  sigmoid: 6,
  swish: 7,
};

/** The native code of `activation` (undefined means 'linear'); throws naming the kernel otherwise. */
export function activationCode(kernel: string, activation: string | undefined): number {
  const name = activation ?? 'linear';
  const code = (ACTIVATION_CODES as Record<string, number>)[name];
  if (code === undefined) {
    throw new Error(
      `${kernel}: unsupported activation '${name}'; supported: ${Object.keys(ACTIVATION_CODES).join(', ')}`,
    );
  }
  return code;
}
