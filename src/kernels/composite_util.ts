// Helpers for kernels composed of other native kernels (no native code of their own).
import {NamedAttrMap, NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';

import type {NativeCpuBackend} from '../backend.js';
import type {NativeKernelConfig} from './types.js';

/**
 * Runs other kernels' functions on `backend`, disposing every intermediate (also when one throws).
 * `step` returns the kernel's output and records it for disposal unless it is kept.
 */
export class Steps {
  private readonly intermediates: TensorInfo[] = [];

  constructor(private readonly backend: NativeCpuBackend) {}

  run(config: NativeKernelConfig, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const out = config.kernelFunc({inputs, backend: this.backend, attrs}) as TensorInfo;
    this.intermediates.push(out);
    return out;
  }

  /** Records a tensor made by the caller for disposal with the other intermediates. */
  track(t: TensorInfo): TensorInfo {
    this.intermediates.push(t);
    return t;
  }

  /** Disposes every intermediate except `result` and returns it. */
  finish(result: TensorInfo): TensorInfo {
    for (const t of this.intermediates) if (t !== result) this.backend.disposeIntermediateTensorInfo(t);
    this.intermediates.length = 0;
    return result;
  }

  /** Disposes every intermediate (used when a step throws). */
  abandon(): void {
    for (const t of this.intermediates) this.backend.disposeIntermediateTensorInfo(t);
    this.intermediates.length = 0;
  }
}

/** Runs `body` with a Steps; on error disposes what it made and rethrows. */
export function composite(backend: NativeCpuBackend, body: (steps: Steps) => TensorInfo): TensorInfo {
  const steps = new Steps(backend);
  try {
    return steps.finish(body(steps));
  } catch (e) {
    steps.abandon();
    throw e;
  }
}
