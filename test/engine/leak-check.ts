/**
 * The leak check the engine's kernel tests share: after one warm-up call of `step`, `repeats` more calls leave
 * tfjs's tensor count and the wasm backend's heap buffers exactly where they were.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";

/** Buffers the wasm backend holds in its heap. */
export function wasmHeapBuffers(): number {
  return (tf.engine().findBackend("wasm") as unknown as { numDataIds(): number }).numDataIds();
}

export function assertLeavesNothing(step: () => unknown, repeats = 3): void {
  step();
  const tensors = tf.memory().numTensors;
  const buffers = wasmHeapBuffers();
  for (let i = 0; i < repeats; i++) step();
  assert.equal(tf.memory().numTensors, tensors, "tensors left behind");
  assert.equal(wasmHeapBuffers(), buffers, "wasm heap buffers left behind");
}
