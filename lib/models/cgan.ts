/**
 * The conditional GAN: Mirza & Osindero 2014, "Conditional Generative Adversarial Nets" (arXiv:1411.1784),
 * in the form of the book chapter "Generating images with GANs" (MNIST), with the paper's concatenation as an
 * option. Both players get the class label y as a second input, so the game becomes
 *   min_G max_D  E[log D(x | y)] + E[log(1 − D(G(z | y) | y))],
 * and D must also reject an image that does not match its label. Nothing else changes: the losses, the
 * optimizers and the training loop are those of the unconditional GAN.
 *
 * Generator (`conditioning: "multiply"`, the chapter):
 *   z [latentDim], label [1] → Embedding(numClasses, latentDim) → Flatten → z ⊙ embedding
 *     → the vanilla GAN's MLP generator (Dense 256 → … → Dense H·W·C, tanh → reshape [H, W, C])
 * Discriminator (the chapter):
 *   image [H, W, C] → Flatten; label [1] → Embedding(numClasses, H·W·C) → Flatten; flat ⊙ embedding
 *     → Dense 512 → LeakyReLU 0.2 → Dense 512 → LeakyReLU → Dropout 0.4 → Dense 512 → LeakyReLU
 *     → Dropout 0.4 → Dense 1 (a logit; the chapter's sigmoid lives in the loss)
 * With `conditioning: "concatenate"` (the paper) the label enters as a one-hot vector appended to z, and to
 * the flattened image, instead of the learned multiplicative embedding; the MLPs are the same, only their
 * first layer is wider. (The paper's own MNIST networks differ further: separate ReLU/maxout layers for z or
 * x and for y before joining them, and dropout; the MLPs here keep the two forms comparable.)
 *
 * The chapter's generator listing lacks the batch normalisation after its 512-unit block, but marks only the
 * conditioning lines as changes from the vanilla generator; we read that as a slip and reuse the vanilla
 * generator unchanged, as its text says.
 *
 * Labels are class ids. The networks take them as a [batch, 1] column (the chapter's `Input(shape=(1,))`);
 * the spec's hooks accept [batch] ids, [batch, 1] columns or [batch, numClasses] one-hot rows.
 */
import * as tf from "@tensorflow/tfjs";
import { fusedDense } from "../layers/fused-dense";
import { nextSeed, random } from "../engine/seed";
import type { GanSpec } from "../train/gan-spec";
import type { LatentBatch, LatentSampler, Network } from "../train/types";
import { classIds } from "../losses";
import { buildVanillaGenerator, SpecOverrides } from "./vanilla-gan";

export type CganConditioning = "multiply" | "concatenate";

export interface CganOptions {
  /** Length of the noise vector z. The chapter uses 100. */
  latentDim?: number;
  /** [height, width, channels]. MNIST: [28, 28, 1]. */
  imageShape?: [number, number, number];
  /** Number of classes (labels 0 … numClasses − 1). MNIST: 10. */
  numClasses?: number;
  /** "multiply": the chapter's learned embedding ⊙ input; "concatenate": the paper's one-hot appended. */
  conditioning?: CganConditioning;
  /**
   * Only for the generator under "multiply". "learned" (the chapter): z ⊙ e_y with e_y a free embedding row.
   * "normalized": z ⊙ ê_y with ê_y = (e_y − mean(e_y)) / sqrt(var(e_y) + 1e-3), a LayerNormalization of the
   * row with its scale and offset frozen at 1 and 0. At the embedding's initial scale (var ≈ 8e-4) this
   * multiplies each row by about 23, so z enters the trunk at about unit scale instead of ≈ 0.03. Measured in
   * lesson 6 (seed 606, 1,000 steps): with "learned" the row of digit 1 shrank from norm 0.26 to 0.01 within
   * 250 steps and digit 1 was never drawn (z ⊙ e_1 ≈ 0 gives one image whatever z is); with "normalized" the
   * same row shrank to 0.10 only and digit 1 was drawn as asked 100 % of the time.
   */
  labelEmbedding?: CganLabelEmbedding;
}

export type CganLabelEmbedding = "learned" | "normalized";

export const CGAN_DEFAULTS = {
  latentDim: 100,
  imageShape: [28, 28, 1] as [number, number, number],
  numClasses: 10,
  conditioning: "multiply" as CganConditioning,
  labelEmbedding: "learned" as CganLabelEmbedding,
};

export interface ResolvedCganOptions {
  latentDim: number;
  imageShape: [number, number, number];
  numClasses: number;
  conditioning: CganConditioning;
  labelEmbedding: CganLabelEmbedding;
}

const LEAKY_SLOPE = 0.2;
/** The chapter's dropout rate in the conditional discriminator. */
const D_DROPOUT = 0.4;
/** Width of each of the chapter's three discriminator layers. */
const D_UNITS = 512;

/** Fills in the defaults and checks every option, naming the builder in the message. */
export function resolveCganOptions(opts: CganOptions, builder: string): ResolvedCganOptions {
  const defined = Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined));
  const o = { ...CGAN_DEFAULTS, ...defined } as ResolvedCganOptions;
  for (const key of ["latentDim", "numClasses"] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`${builder}: ${key} must be a positive integer, got ${o[key]}.`);
  }
  const s = o.imageShape;
  if (!Array.isArray(s) || s.length !== 3 || !s.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(
      `${builder}: imageShape must be [height, width, channels] of positive integers (MNIST: [28, 28, 1]), got ${JSON.stringify(s)}.`,
    );
  }
  if (o.conditioning !== "multiply" && o.conditioning !== "concatenate") {
    throw new Error(
      `${builder}: conditioning must be "multiply" (the chapter) or "concatenate" (Mirza & Osindero), got ${JSON.stringify(o.conditioning)}.`,
    );
  }
  if (o.labelEmbedding !== "learned" && o.labelEmbedding !== "normalized") {
    throw new Error(`${builder}: labelEmbedding must be "learned" (the chapter) or "normalized", got ${JSON.stringify(o.labelEmbedding)}.`);
  }
  return { ...o, imageShape: [...s] as [number, number, number] };
}

/**
 * Joins a feature vector with its label: `features ⊙ Embedding(label)` (multiply; the embedding has the
 * features' width) or `[features, onehot(label)]` (concatenate). The one-hot code is an Embedding frozen at
 * the identity matrix, so both forms read the same [batch, 1] id column.
 */
export function conditionOnLabel(
  features: tf.SymbolicTensor, label: tf.SymbolicTensor, numClasses: number, conditioning: CganConditioning, name: string,
  labelEmbedding: CganLabelEmbedding = "learned",
): tf.SymbolicTensor {
  const width = features.shape[features.shape.length - 1] as number;
  if (conditioning === "multiply") {
    const embedded = tf.layers.embedding({ inputDim: numClasses, outputDim: width, name: `${name}_label_embedding` }).apply(label);
    let flat = tf.layers.flatten({ name: `${name}_label_flatten` }).apply(embedded) as tf.SymbolicTensor;
    if (labelEmbedding === "normalized") {
      // Each row to mean 0, divided by sqrt(var + 1e-3) (LayerNormalization's epsilon). The layer's scale and
      // offset stay frozen at 1 and 0 (2·width untrained weights), so the trainable parameter count is the chapter's. (tfjs's LayerNormalization
      // without them, center = scale = false, fails in the backward pass.)
      flat = tf.layers.layerNormalization({ trainable: false, name: `${name}_label_normalize` }).apply(flat) as tf.SymbolicTensor;
    }
    return tf.layers.multiply({ name: `${name}_multiply` }).apply([features, flat]) as tf.SymbolicTensor;
  }
  const oneHot = tf.layers.embedding({
    inputDim: numClasses, outputDim: numClasses, embeddingsInitializer: "identity", trainable: false, name: `${name}_one_hot`,
  }).apply(label);
  const flat = tf.layers.flatten({ name: `${name}_one_hot_flatten` }).apply(oneHot) as tf.SymbolicTensor;
  return tf.layers.concatenate({ name: `${name}_concatenate` }).apply([features, flat]) as tf.SymbolicTensor;
}

/**
 * Turns an unconditional generator into G(z | y): the label joins z (see `conditionOnLabel`) before
 * `buildTrunk(inputSize)`, an ordinary generator of inputs of that size. ACGAN reuses it with a DCGAN trunk.
 */
export function conditionalGenerator(
  buildTrunk: (inputSize: number) => tf.LayersModel, opts: CganOptions = {}, name = "cgan_generator",
): tf.LayersModel {
  const { latentDim, numClasses, conditioning, imageShape, labelEmbedding } = resolveCganOptions(opts, name);
  const z = tf.input({ shape: [latentDim], name: `${name}_z` });
  const label = tf.input({ shape: [1], dtype: "int32", name: `${name}_label` });
  // [latentDim] → [latentDim] (multiply) or [latentDim + numClasses] (concatenate)
  const joined = conditionOnLabel(z, label, numClasses, conditioning, name, labelEmbedding);
  const trunk = buildTrunk(joined.shape[1] as number);
  const image = trunk.apply(joined) as tf.SymbolicTensor; // → [H, W, C] in [-1, 1]
  const model = tf.model({ inputs: [z, label], outputs: image, name });
  assertShape(model.outputs[0].shape, [null, ...imageShape], name);
  return model;
}

/** The chapter's conditional generator: [z [n, latentDim], label [n, 1]] → images [n, H, W, C] in [-1, 1]. */
export function buildCganGenerator(opts: CganOptions = {}): tf.LayersModel {
  const { imageShape } = resolveCganOptions(opts, "buildCganGenerator");
  return conditionalGenerator((inputSize) => buildVanillaGenerator({ latentDim: inputSize, imageShape }), opts, "cgan_generator");
}

/** The chapter's conditional discriminator: [images [n, H, W, C], label [n, 1]] → logits [n, 1]. */
export function buildCganDiscriminator(opts: CganOptions = {}): tf.LayersModel {
  const name = "cgan_discriminator";
  const { imageShape, numClasses, conditioning } = resolveCganOptions(opts, "buildCganDiscriminator");
  const image = tf.input({ shape: imageShape, name: `${name}_image` });
  const label = tf.input({ shape: [1], dtype: "int32", name: `${name}_label` });
  // [H, W, C] → [H·W·C] → joined with the label → [512] → [512] → [512] → [1]
  const flat = tf.layers.flatten({ name: `${name}_flatten` }).apply(image) as tf.SymbolicTensor;
  let h = conditionOnLabel(flat, label, numClasses, conditioning, name);
  for (let i = 1; i <= 3; i++) {
    // Dense → LeakyReLU as one layer, one op each way (lib/layers/fused-dense.ts): the same numbers.
    h = fusedDense({ units: D_UNITS, leakyAlpha: LEAKY_SLOPE, name: `${name}_dense${i}` }).apply(h) as tf.SymbolicTensor;
    // The chapter drops out after the second and third blocks only.
    if (i > 1) h = tf.layers.dropout({ rate: D_DROPOUT, name: `${name}_dropout${i}` }).apply(h) as tf.SymbolicTensor;
  }
  const logit = tf.layers.dense({ units: 1, name: `${name}_logit` }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [image, label], outputs: logit, name });
  assertShape(model.outputs[0].shape, [null, 1], "buildCganDiscriminator");
  return model;
}

function assertShape(actual: (number | null)[], expected: (number | null)[], builder: string): void {
  tf.util.assert(
    actual.length === expected.length && actual.every((d, i) => d === expected[i]),
    () => `${builder}: output shape ${JSON.stringify(actual)} differs from the contract ${JSON.stringify(expected)}.`,
  );
}

/**
 * Labels as the [batch, 1] int32 id column the networks read. Accepts [batch] ids, a [batch, 1] column or
 * [batch, numClasses] one-hot rows (their argmax).
 */
export function labelColumn(labels: tf.Tensor, numClasses: number): tf.Tensor2D {
  return tf.tidy(() => classIds(labels, numClasses).reshape([-1, 1]) as tf.Tensor2D);
}

/** `count` class ids drawn uniformly from tsgan's seeded stream (so `seed(n)` fixes them). */
export function sampleClassIds(count: number, numClasses: number): Int32Array {
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) ids[i] = Math.floor(random() * numClasses);
  return ids;
}

/**
 * The latent sampler of a conditional GAN: standard normal z and uniformly drawn labels ([batch] int32), as
 * the chapter's training loop samples them for the generator step. The loop hands the labels to G and, with
 * the generated images, to D.
 */
export function conditionalLatent(latentDim: number, numClasses: number): LatentSampler {
  for (const [key, v] of [["latentDim", latentDim], ["numClasses", numClasses]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`conditionalLatent: ${key} must be a positive integer, got ${v}.`);
  }
  return (batchSize: number): LatentBatch => ({
    z: tf.randomNormal([batchSize, latentDim], 0, 1, "float32", nextSeed()),
    labels: tf.tensor1d(sampleClassIds(batchSize, numClasses), "int32"),
  });
}

export function requireLabels(labels: tf.Tensor | undefined, who: string): tf.Tensor {
  if (labels === undefined) {
    throw new Error(
      `${who}: this conditional GAN needs labels: give the real batches labels (shuffledBatches(x, labels)) ` +
        "and sample the latent with conditionalLatent(latentDim, numClasses).",
    );
  }
  return labels;
}

/** The `generate` hook of a conditional generator: G([z, label column]). ACGAN shares it. */
export function labelledGenerate(numClasses: number, who: string): NonNullable<GanSpec["generate"]> {
  return (g: Network, latent: LatentBatch, training: boolean) =>
    tf.tidy(() => g.apply([latent.z, labelColumn(requireLabels(latent.labels, who), numClasses)], { training }) as tf.Tensor);
}

/** The networks' options and the caller's overrides; the objective defaults to "non-saturating" (the chapter's binary cross-entropy). */
export type CganSpecOptions = CganOptions & SpecOverrides;

/**
 * A conditional GAN for `train()`: the chapter's networks (or the ones given), labelled noise from
 * `conditionalLatent`, and hooks that feed each player its images with their labels as an id column.
 */
export function cganSpec(opts: CganSpecOptions = {}): GanSpec {
  const { latentDim, numClasses } = resolveCganOptions(opts, "cganSpec");
  return {
    generator: opts.generator ?? buildCganGenerator(opts),
    discriminator: opts.discriminator ?? buildCganDiscriminator(opts),
    latent: conditionalLatent(latentDim, numClasses),
    objective: opts.objective ?? "non-saturating",
    generate: labelledGenerate(numClasses, "cganSpec"),
    discriminate: (d: Network, x: tf.Tensor, labels: tf.Tensor | undefined, training: boolean) =>
      tf.tidy(() => d.apply([x, labelColumn(requireLabels(labels, "cganSpec"), numClasses)], { training }) as tf.Tensor),
    optimizers: opts.optimizers,
    discriminatorSteps: opts.discriminatorSteps,
  };
}

/**
 * `n` samples of one class from a trained conditional generator (inference mode: BN uses its moving
 * statistics): images [n, H, W, C] in [-1, 1]. Noise comes from `nextSeed()`, so `seed(s)` fixes the draw.
 */
export function generateDigits(generator: tf.LayersModel, digit: number, n: number): tf.Tensor {
  if (!Array.isArray(generator?.inputs) || generator.inputs.length !== 2) {
    throw new Error("generateDigits: the generator must be a conditional model with inputs [z, label] (buildCganGenerator).");
  }
  if (!Number.isInteger(n) || n < 1) throw new Error(`generateDigits: n must be a positive integer, got ${n}.`);
  const latentDim = generator.inputs[0].shape[1] as number;
  const embedding = generator.layers.find((l) => l.getClassName() === "Embedding");
  const numClasses = (embedding?.getConfig().inputDim as number | undefined) ?? Infinity;
  if (!Number.isInteger(digit) || digit < 0 || digit >= numClasses) {
    throw new Error(`generateDigits: digit must be an integer class id in [0, ${numClasses}), got ${digit}.`);
  }
  return tf.tidy(() => {
    const z = tf.randomNormal([n, latentDim], 0, 1, "float32", nextSeed());
    const labels = tf.fill([n, 1], digit, "int32");
    return generator.apply([z, labels], { training: false }) as tf.Tensor;
  });
}

/**
 * `perClass` samples of every class from a trained conditional generator, class by class (inference mode):
 * images [numClasses·perClass, H, W, C] and the class each was asked for, ready for `askedClassAccuracy`.
 */
export function generateEachClass(
  generator: tf.LayersModel, perClass: number, numClasses = CGAN_DEFAULTS.numClasses,
): { images: tf.Tensor; asked: Int32Array } {
  const asked = new Int32Array(numClasses * perClass);
  for (let c = 0; c < numClasses; c++) asked.fill(c, c * perClass, (c + 1) * perClass);
  const images = tf.tidy(() => tf.concat(Array.from({ length: numClasses }, (_, c) => generateDigits(generator, c, perClass))));
  return { images, asked };
}

/**
 * A grid of a trained conditional generator's samples (inference mode): row d asks for class d, and column j
 * uses the same noise vector z[j] in every row, so a column shows one "style" across the classes.
 * Returns images [numClasses·columns, H, W, C] in row order, for `showImages(grid, {cols: columns})`.
 */
export function digitGrid(generator: tf.LayersModel, z: tf.Tensor2D | tf.Tensor, numClasses = CGAN_DEFAULTS.numClasses): tf.Tensor {
  if (!Array.isArray(generator?.inputs) || generator.inputs.length !== 2) {
    throw new Error("digitGrid: the generator must be a conditional model with inputs [z, label] (buildCganGenerator, buildAcganGenerator).");
  }
  if (!(z instanceof tf.Tensor) || z.rank !== 2) throw new Error("digitGrid: z must be [columns, latentDim], one noise vector per column.");
  return tf.tidy(() => {
    const columns = z.shape[0];
    const labels = tf.tensor2d(Int32Array.from({ length: numClasses * columns }, (_, i) => Math.floor(i / columns)), [numClasses * columns, 1], "int32");
    return generator.apply([tf.tile(z, [numClasses, 1]), labels], { training: false }) as tf.Tensor;
  });
}
