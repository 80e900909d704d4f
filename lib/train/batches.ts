/**
 * Batch sources whose order is a pure function of (seed, batch index), so that a training run resumed from a
 * checkpoint sees exactly the batches an uninterrupted run would have seen. This is the library's one
 * batching path: the loop takes only functions of the batch index (an iterator cannot be rewound on resume).
 */
import * as tf from "@tensorflow/tfjs";
import { makeRandom, permutation } from "../engine/seed";
import type { Batch, BatchSource } from "./types";

export type { Batch, BatchSource } from "./types";

/** The epoch's order: `permutation` driven by a generator seeded from (seed, epoch). */
function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return permutation(n, makeRandom((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0));
}

export interface ShuffledBatchesOptions {
  /** Seed of the data order; each epoch reshuffles with a seed derived from it. Default 0. */
  seed?: number;
}

/** Tensors that share their first axis (examples) and are served in one order: a paired data set. */
export type BatchTensors = { x: tf.Tensor } & Partial<Omit<Batch, "x">>;

/**
 * Mini-batches in a reshuffled order every epoch, dropping the last incomplete batch. Batch `i` depends only
 * on (seed, i): resuming at any step reproduces the order. Give `x` (and `labels`), or a record of tensors
 * that share the first axis (`{x, target}` for pix2pix's pairs), which are gathered with one order.
 * The caller keeps ownership of the tensors; each batch is new.
 */
export function shuffledBatches(x: tf.Tensor, labels?: tf.Tensor, options?: ShuffledBatchesOptions): BatchSource;
export function shuffledBatches(tensors: BatchTensors, options?: ShuffledBatchesOptions): BatchSource;
export function shuffledBatches(
  first: tf.Tensor | BatchTensors, second?: tf.Tensor | ShuffledBatchesOptions, third?: ShuffledBatchesOptions,
): BatchSource {
  let tensors: Record<string, tf.Tensor>;
  let options: ShuffledBatchesOptions;
  if (first instanceof tf.Tensor) {
    tensors = second instanceof tf.Tensor ? { x: first, labels: second } : { x: first };
    // shuffledBatches(x, labels, options), shuffledBatches(x, undefined, options) or shuffledBatches(x, options).
    options = (second instanceof tf.Tensor || second === undefined ? third : second) ?? {};
  } else {
    if (first == null || !(first.x instanceof tf.Tensor)) {
      throw new Error("shuffledBatches: give x (a tensor of examples) or a record {x, labels?, target?, domainB?} of tensors.");
    }
    tensors = Object.fromEntries(Object.entries(first).filter(([, t]) => t !== undefined)) as Record<string, tf.Tensor>;
    options = (second as ShuffledBatchesOptions | undefined) ?? {};
  }
  const n = tensors.x.shape[0];
  for (const [key, t] of Object.entries(tensors)) {
    if (!(t instanceof tf.Tensor)) throw new Error(`shuffledBatches: ${key} must be a tf.Tensor, got ${typeof t}.`);
    if (t.shape[0] !== n) {
      throw new Error(`shuffledBatches: x has ${n} examples but ${key} has ${t.shape[0]}; they must match.`);
    }
  }
  const seed = options.seed ?? 0;
  let cachedEpoch = -1;
  let cachedOrder = new Int32Array(0);
  const source = (batchSize: number, batchIndex: number): Batch => {
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
      const batch: Record<string, tf.Tensor> = {};
      for (const [key, t] of Object.entries(tensors)) batch[key] = tf.gather(t, idx);
      return batch as unknown as tf.TensorContainer;
    }) as unknown as Batch;
  };
  return Object.assign(source, { order: { kind: "shuffled", seed, examples: n, fields: Object.keys(tensors) } });
}

/**
 * Two unpaired sources served together (CycleGAN's domains): batch i holds `a`'s batch i as `x` and `b`'s as
 * `domainB`. Give the two sources different seeds, or their orders are the same permutation.
 */
export function unpairedBatches(a: BatchSource, b: BatchSource): BatchSource {
  if (typeof a !== "function" || typeof b !== "function") {
    throw new Error("unpairedBatches: a and b must be batch sources (functions of (batchSize, batchIndex)), e.g. shuffledBatches(x).");
  }
  const source = (batchSize: number, batchIndex: number): Batch => {
    const fromA = a(batchSize, batchIndex), fromB = b(batchSize, batchIndex);
    const xA = fromA instanceof tf.Tensor ? fromA : fromA.x;
    const xB = fromB instanceof tf.Tensor ? fromB : fromB.x;
    // Anything else the two batches carried is not part of an unpaired batch: free it.
    if (!(fromA instanceof tf.Tensor)) tf.dispose(Object.values(fromA).filter((t) => t !== xA));
    if (!(fromB instanceof tf.Tensor)) tf.dispose(Object.values(fromB).filter((t) => t !== xB));
    return { x: xA, domainB: xB };
  };
  return Object.assign(source, { order: { kind: "unpaired", a: a.order ?? null, b: b.order ?? null } });
}
