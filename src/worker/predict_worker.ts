// The prediction worker: loads the package in its own thread (the native addon is context-aware and
// the backends register per thread), rebuilds the model from the folded weights it is sent, and
// answers run requests one at a time, in order.
import {parentPort} from 'node:worker_threads';

import * as tf from '@tensorflow/tfjs-core';

import '../index.js';
import {activateBackend} from '../classify/backends.js';
import {Runner} from '../classify/runner.js';
import type {Reply, Request} from './protocol.js';

if (parentPort == null) throw new Error('predict_worker: must run as a worker thread');
const port = parentPort;
let runner: Runner | null = null;
let starting: Promise<void> | null = null;

function send(reply: Reply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
}

port.on('message', (msg: Request) => {
  if (msg.type === 'init') {
    starting = (async () => {
      try {
        await activateBackend(msg.backend);
        runner = Runner.fromArrays(msg.config, msg.layers, {graphs: msg.graphs});
        send({type: 'ready'});
      } catch (e) {
        send({type: 'init-error', message: (e as Error).message});
      }
    })();
    return;
  }
  const run = () => {
    try {
      if (runner == null) throw new Error('the prediction worker has no model');
      const x = tf.tensor(msg.data, msg.shape, 'float32');
      const out = runner.run(x, msg.features);
      x.dispose();
      const logits = {data: out.logits.dataSync() as Float32Array, shape: out.logits.shape.slice()};
      const features = out.features ? {data: out.features.dataSync() as Float32Array, shape: out.features.shape.slice()} : undefined;
      out.logits.dispose();
      out.features?.dispose();
      const copy = (a: {data: Float32Array; shape: number[]}) => ({data: Float32Array.from(a.data), shape: a.shape});
      const l = copy(logits);
      const f = features && copy(features);
      send({type: 'result', id: msg.id, logits: l, features: f}, f ? [l.data.buffer as ArrayBuffer, f.data.buffer as ArrayBuffer] : [l.data.buffer as ArrayBuffer]);
    } catch (e) {
      send({type: 'error', id: msg.id, message: (e as Error).message});
    }
  };
  // Requests that arrive while the model is being built wait for it, in order.
  if (starting) void starting.then(run);
  else run();
});
