/**
 * Batch sources whose order is a pure function of (seed, batch index), so that a training run resumed
 * from a checkpoint sees exactly the batches an uninterrupted run would have seen.
 */
import * as tf from "@tensorflow/tfjs";
import { makeRandom } from "../engine/seed";

/** One batch of real data; `labels` (one-hot or class ids) for conditional variants. */
export interface Batch {
  x: tf.Tensor;
  labels?: tf.Tensor;
}

/**
 * Where real data comes from. A function gets the batch size and the index of the batch within the run
 * (0, 1, 2, ... across discriminator steps), or an iterator yields batches. The loop takes ownership of what
 * it gets and disposes it after the step, so return fresh tensors (a `tf.gather`, a `tf.randomNormal`), not a
 * tensor you keep.
 */
export type BatchSource =
  | ((batchSize: number, batchIndex: number) => tf.Tensor | Batch)
  | Iterator<tf.Tensor | Batch>
  | Iterable<tf.Tensor | Batch>;

/** The epoch's shuffled order: Fisher–Yates driven by a generator seeded from (seed, epoch). */
function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  const next = makeRandom((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

export interface ShuffledBatchesOptions {
  /** Seed of the data order; each epoch reshuffles with a seed derived from it. Default 0. */
  seed?: number;
}

/**
 * Mini-batches of `x` (and `labels`, first axis = examples) in a reshuffled order every epoch, dropping the
 * last incomplete batch. Batch `i` depends only on (seed, i): resuming at any step reproduces the order.
 * The caller keeps ownership of `x` and `labels`; each batch is a new tensor.
 */
export function shuffledBatches(x: tf.Tensor, labels?: tf.Tensor, options: ShuffledBatchesOptions = {}): BatchSource {
  const n = x.shape[0];
  if (labels !== undefined && labels.shape[0] !== n) {
    throw new Error(`shuffledBatches: x has ${n} examples but labels has ${labels.shape[0]}; they must match.`);
  }
  const seed = options.seed ?? 0;
  let cachedEpoch = -1;
  let cachedOrder = new Int32Array(0);
  return (batchSize: number, batchIndex: number): Batch => {
    if (batchSize > n) {
      throw new Error(`shuffledBatches: batch size ${batchSize} is larger than the ${n} examples; lower it.`);
    }
    const perEpoch = Math.floor(n / batchSize);
    const epoch = Math.floor(batchIndex / perEpoch);
    if (epoch !== cachedEpoch) {
      cachedOrder = epochOrder(n, seed, epoch);
      cachedEpoch = epoch;
    }
    const start = (batchIndex % perEpoch) * batchSize;
    return tf.tidy(() => {
      const idx = tf.tensor1d(cachedOrder.subarray(start, start + batchSize), "int32");
      const batch: Batch = { x: tf.gather(x, idx) };
      if (labels !== undefined) batch.labels = tf.gather(labels, idx);
      return batch as unknown as tf.TensorContainer;
    }) as unknown as Batch;
  };
}
