/**
 * Stacked MNIST: the 1,000-mode test bed for mode collapse on images.
 *
 * Each example puts three MNIST digits, drawn independently and uniformly at random from the set, into the
 * three channels of one 28×28×3 image; its mode is the three-digit number 100·d₁ + 10·d₂ + d₃ (0–999).
 *
 * Sources:
 * - Metz, Poole, Pfau & Sohl-Dickstein (2017), "Unrolled Generative Adversarial Networks": introduced the set,
 *   three randomly chosen MNIST digits stacked along the channel axis, 1,000 discrete modes.
 * - Srivastava, Valkov, Russell, Gutmann & Sutton (2017), "VEEGAN": the protocol we follow, classify each
 *   channel with a pretrained MNIST classifier, count the modes hit and KL(p_generated ‖ uniform) over the 1,000
 *   modes; DCGAN 99 modes (KL 3.4), VEEGAN 150 (KL 2.95).
 * - Lin, Khetan, Fanti & Oh (2018), "PacGAN", Table 2 (VEEGAN's setting): PacDCGAN2 hits all 1,000 (KL 0.06).
 *   Their code (fjxmlzn/PacGAN, stacked_MNIST_experiments/VEEGAN_experiment/model.py) draws each channel with
 *   `np.random.randint` over MNIST's 70,000 digits, trains on a FIXED set of 25,600 stacks and scores 26,000
 *   generated samples. A fixed set here is `stackedMnist(data, 25600, {seed})` fed to `shuffledBatches`;
 *   `stackedMnistBatches` instead draws fresh stacks for every batch.
 * The metric lives in lib/metrics/stacked-mnist.ts; the published numbers are in shared/REFERENCES.md.
 *
 * The draw is uniform over the SET, so the digit frequencies follow the set's class frequencies (the embedded
 * 10,000 digits range from 863 fives to 1,127 ones): the true distribution over the 1,000 modes is close to
 * uniform but not exactly (KL = 3·KL(class frequencies ‖ uniform over 10), see `stackedMnistTrueKL`).
 *
 * Pixels keep the source's range: [−1, 1] for `loadMnist` data (as `mnistTensors`). Draws use
 * `makeRandom(seed)` of lib/engine/seed.ts, never the global stream, so a set or a batch depends only on its
 * seed (and the batch index).
 */
import * as tf from "@tensorflow/tfjs";
import { makeRandom } from "../engine/seed";
import type { Batch, BatchSource } from "../train/types";
import type { MnistData } from "./mnist";

/** Channels of a stacked example, and its modes: 10³. */
export const STACKED_MNIST_CHANNELS = 3;
export const STACKED_MNIST_MODES = 1000;

const PIXELS = 28 * 28;

/** Labelled 28×28 digits: `loadMnist()`'s result, or any images (count·784, image-major) with their labels 0–9. */
export type StackedMnistSource = MnistData | { images: Float32Array; labels: ArrayLike<number> };

export interface StackedMnistOptions {
  /** Seed of the draw (`makeRandom(seed)`); default 0, so the same call gives the same set. */
  seed?: number;
}

export interface StackedMnistSet {
  /** [count, 28, 28, 3], channel c of example i being source image `sources[3i + c]`; the caller disposes it. */
  x: tf.Tensor4D;
  /** count modes 100·d₁ + 10·d₂ + d₃, in [0, 1000). */
  modes: Int32Array;
  /** count·3 digits, example-major: digits[3i + c] is the label of channel c of example i. */
  digits: Int32Array;
  /** count·3 rows of the source set, example-major, the images stacked. */
  sources: Int32Array;
}

/** The mode of a stack of digits d1, d2, d3 (channels 0, 1, 2): 100·d1 + 10·d2 + d3. */
export function stackedModeIndex(d1: number, d2: number, d3: number): number {
  for (const [name, d] of [["d1", d1], ["d2", d2], ["d3", d3]] as const) {
    if (!Number.isInteger(d) || d < 0 || d > 9) {
      throw new Error(`tsgan.data.stackedModeIndex: ${name} must be a digit, an integer 0–9, got ${d}.`);
    }
  }
  return 100 * d1 + 10 * d2 + d3;
}

/** The digits [d1, d2, d3] of a mode in [0, 1000): the inverse of `stackedModeIndex`. */
export function stackedModeDigits(mode: number): [number, number, number] {
  if (!Number.isInteger(mode) || mode < 0 || mode >= STACKED_MNIST_MODES) {
    throw new Error(`tsgan.data.stackedModeDigits: mode must be an integer in [0, 1000), got ${mode}.`);
  }
  return [Math.floor(mode / 100), Math.floor(mode / 10) % 10, mode % 10];
}

/** Checks a source set once and returns its size. */
function checkSource(data: StackedMnistSource, fn: string): number {
  if (data == null || !(data.images instanceof Float32Array) || data.labels == null) {
    throw new Error(`tsgan.data.${fn}: data must be {images: Float32Array, labels}, e.g. loadMnist().`);
  }
  const n = data.labels.length;
  if (n === 0) throw new Error(`tsgan.data.${fn}: the source set is empty; give at least one labelled digit (e.g. loadMnist()).`);
  if (data.images.length !== n * PIXELS) {
    throw new Error(
      `tsgan.data.${fn}: ${n} labels need ${n}·784 = ${n * PIXELS} pixels, got ${data.images.length}; ` +
        "images must be 28×28 single-channel digits, image-major (as loadMnist returns them).",
    );
  }
  for (let i = 0; i < n; i++) {
    const y = data.labels[i];
    if (!Number.isInteger(y) || y < 0 || y > 9) {
      throw new Error(`tsgan.data.${fn}: label ${y} at row ${i} is not a digit 0–9; Stacked MNIST needs MNIST's ten classes.`);
    }
  }
  return n;
}

function checkCount(count: number, fn: string, what = "count"): void {
  if (!Number.isInteger(count) || count <= 0) {
    throw new Error(`tsgan.data.${fn}: ${what} must be a positive integer (the number of stacked examples), got ${count}.`);
  }
}

/** 3·count source rows drawn independently and uniformly from 0..n−1. */
function drawSources(n: number, count: number, rng: () => number): Int32Array {
  const sources = new Int32Array(count * STACKED_MNIST_CHANNELS);
  for (let i = 0; i < sources.length; i++) sources[i] = Math.min(n - 1, Math.floor(rng() * n));
  return sources;
}

/** Pixels, modes and digits of the stacks of `sources` (rows already checked), channels last. */
function stackRows(data: StackedMnistSource, sources: ArrayLike<number>): { pixels: Float32Array; modes: Int32Array; digits: Int32Array } {
  const count = sources.length / STACKED_MNIST_CHANNELS;
  const pixels = new Float32Array(count * PIXELS * STACKED_MNIST_CHANNELS);
  const modes = new Int32Array(count);
  const digits = new Int32Array(sources.length);
  for (let i = 0; i < count; i++) {
    let mode = 0;
    for (let c = 0; c < STACKED_MNIST_CHANNELS; c++) {
      const row = sources[i * STACKED_MNIST_CHANNELS + c];
      const digit = data.labels[row];
      digits[i * STACKED_MNIST_CHANNELS + c] = digit;
      mode = 10 * mode + digit;
      const from = row * PIXELS;
      const to = i * PIXELS * STACKED_MNIST_CHANNELS + c;
      for (let p = 0; p < PIXELS; p++) pixels[to + p * STACKED_MNIST_CHANNELS] = data.images[from + p];
    }
    modes[i] = mode;
  }
  return { pixels, modes, digits };
}

/**
 * The stacks of given source rows: example i stacks rows sources[3i], sources[3i + 1], sources[3i + 2] into
 * channels 0, 1, 2. The deterministic half of `stackedMnist`, for building a chosen set (one mode, a test).
 */
export function stackedMnistFrom(data: StackedMnistSource, sources: ArrayLike<number>): StackedMnistSet {
  const n = checkSource(data, "stackedMnistFrom");
  if (sources == null || sources.length === 0 || sources.length % STACKED_MNIST_CHANNELS !== 0) {
    throw new Error(
      `tsgan.data.stackedMnistFrom: sources must hold 3 source rows per example (a positive multiple of 3), got ${sources?.length}.`,
    );
  }
  for (let i = 0; i < sources.length; i++) {
    const r = sources[i];
    if (!Number.isInteger(r) || r < 0 || r >= n) {
      throw new Error(`tsgan.data.stackedMnistFrom: source row ${r} at ${i} is not a row of the ${n}-digit set (0…${n - 1}).`);
    }
  }
  const { pixels, modes, digits } = stackRows(data, sources);
  const count = modes.length;
  return { x: tf.tensor4d(pixels, [count, 28, 28, STACKED_MNIST_CHANNELS]), modes, digits, sources: Int32Array.from(sources) };
}

/**
 * `count` Stacked MNIST examples, each channel an independent uniform draw from `data` (with replacement),
 * drawn from `makeRandom(seed)`: the same seed gives the same set.
 */
export function stackedMnist(data: StackedMnistSource, count: number, options: StackedMnistOptions = {}): StackedMnistSet {
  const n = checkSource(data, "stackedMnist");
  checkCount(count, "stackedMnist");
  const sources = drawSources(n, count, makeRandom(options.seed ?? 0));
  const { pixels, modes, digits } = stackRows(data, sources);
  return { x: tf.tensor4d(pixels, [count, 28, 28, STACKED_MNIST_CHANNELS]), modes, digits, sources };
}

export interface StackedMnistBatchesOptions {
  /** Seed of the draws; batch i is drawn from a generator seeded from (seed, i). Default 0. */
  seed?: number;
  /** Also serve each example's mode as `labels` (int32 [batchSize], 0–999). Default false: `{x}` only. */
  withModes?: boolean;
}

/** The generator of batch `batchIndex`: a pure function of (seed, batchIndex). */
function batchRandom(seed: number, batchIndex: number): () => number {
  return makeRandom((Math.floor(seed) ^ Math.imul(batchIndex + 1, 0x85ebca6b)) >>> 0);
}

/**
 * A batch source of fresh Stacked MNIST examples: batch i of size b holds b stacks drawn from a generator
 * seeded from (seed, i), so it depends only on (seed, b, i) and a resumed run sees the batches an uninterrupted
 * one would. There are no epochs: every batch is a new draw from the 10³-mode distribution (≈ n³ possible
 * stacks). Each call returns new tensors, which the loop disposes.
 */
export function stackedMnistBatches(data: StackedMnistSource, options: StackedMnistBatchesOptions = {}): BatchSource {
  const n = checkSource(data, "stackedMnistBatches");
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new Error(`tsgan.data.stackedMnistBatches: seed must be a finite number, got ${seed}.`);
  const withModes = options.withModes ?? false;
  const source = (batchSize: number, batchIndex: number): Batch => {
    checkCount(batchSize, "stackedMnistBatches", "batchSize");
    if (!Number.isInteger(batchIndex) || batchIndex < 0) {
      throw new Error(`tsgan.data.stackedMnistBatches: batchIndex must be an integer ≥ 0 (0, 1, 2, … as the loop draws), got ${batchIndex}.`);
    }
    const { pixels, modes } = stackRows(data, drawSources(n, batchSize, batchRandom(seed, batchIndex)));
    const x = tf.tensor4d(pixels, [batchSize, 28, 28, STACKED_MNIST_CHANNELS]);
    return withModes ? { x, labels: tf.tensor1d(modes, "int32") } : { x };
  };
  return Object.assign(source, {
    order: { kind: "stacked-mnist", seed, examples: n, channels: STACKED_MNIST_CHANNELS, fields: withModes ? ["x", "labels"] : ["x"] },
  });
}

/**
 * KL(true stacked distribution ‖ uniform over 1,000 modes) for channels drawn uniformly from `data`:
 * the modes' probabilities are products of the class frequencies, so it is 3·KL(class frequencies ‖ U₁₀).
 * 0 for a class-balanced set; the floor a perfect generator of this data would reach with infinite samples.
 */
export function stackedMnistTrueKL(data: StackedMnistSource): number {
  const n = checkSource(data, "stackedMnistTrueKL");
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) counts[data.labels[i]]++;
  let kl = 0;
  for (const c of counts) if (c > 0) kl += (c / n) * Math.log((10 * c) / n);
  return STACKED_MNIST_CHANNELS * kl;
}
