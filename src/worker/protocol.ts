// Messages between a model and its prediction worker (worker_threads). Requests are answered in the
// order they arrive, each with the id it came with.
import type {FoldedArrays} from '../classify/runner.js';
import type {ModelConfig} from '../models/count.js';

export interface InitMessage {
  type: 'init';
  config: ModelConfig;
  backend: string;
  layers: FoldedArrays[];
  /** RunnerOptions.graphs of the model being mirrored. */
  graphs: boolean;
}

export interface RunMessage {
  type: 'run';
  id: number;
  data: Float32Array;
  shape: number[];
  features: boolean;
}

export type Request = InitMessage | RunMessage;

export interface ArrayResult {
  data: Float32Array;
  shape: number[];
}

export type Reply =
  | {type: 'ready'}
  | {type: 'init-error'; message: string}
  | {type: 'result'; id: number; logits: ArrayResult; features?: ArrayResult}
  | {type: 'error'; id: number; message: string};
