/**
 * The vanilla GAN of the book chapter "Generating images with GANs" (MNIST): a multilayer-perceptron
 * generator and discriminator, after Goodfellow et al. 2014, "Generative Adversarial Nets"
 * (arXiv:1406.2661), with the batch normalisation (Ioffe & Szegedy 2015) and LeakyReLU the chapter adds.
 *
 * Generator:     z (latentDim) → Dense 256 → LeakyReLU 0.2 → BN (momentum 0.8)
 *                              → Dense 512 → LeakyReLU 0.2 → BN → Dense 1024 → LeakyReLU 0.2 → BN
 *                              → Dense H·W·C, tanh → reshape [H, W, C]
 * Discriminator: image → Flatten → Dense 512 → LeakyReLU 0.2 → Dense 256 → LeakyReLU 0.2 → Dense 1
 *
 * The discriminator returns a LOGIT, not a probability: the chapter ends it with a sigmoid and trains with
 * binary cross-entropy, but tsgan's losses take logits (the log-sigmoid of a logit is computed stably; the
 * log of a saturated sigmoid is not). `tf.sigmoid(logit)` gives the chapter's D(x).
 *
 * Weights keep the TensorFlow.js defaults: Glorot-normal kernels (variance 2/(fan_in + fan_out), truncated at
 * two standard deviations) and zero biases. The chapter keeps Keras's defaults, Glorot-uniform, of the same
 * scale. They draw from `Math.random`, so `seed(n)` beforehand makes them reproducible.
 */
import * as tf from "@tensorflow/tfjs";
import { fusedDense } from "../layers/fused-dense";
import { GanObjective, GanSpec, normalLatent } from "../train/gan-spec";
import type { OptimizerChoice } from "../train/types";

export interface VanillaGanOptions {
  /** Length of the noise vector z. The chapter uses 100. */
  latentDim?: number;
  /** [height, width, channels] of an image. MNIST: [28, 28, 1]. */
  imageShape?: [number, number, number];
}

/** The chapter's settings: z of length 100, 28×28 grey-scale images. */
export const VANILLA_GAN_DEFAULTS = { latentDim: 100, imageShape: [28, 28, 1] as [number, number, number] };

/** The chapter's slope for negative inputs of every LeakyReLU. */
const LEAKY_SLOPE = 0.2;
/** Keras's BatchNormalization(momentum=0.8): the moving averages keep 80 % of their old value per step. */
const BN_MOMENTUM = 0.8;

function resolveOptions(opts: VanillaGanOptions, builder: string): { latentDim: number; imageShape: [number, number, number] } {
  const latentDim = opts.latentDim ?? VANILLA_GAN_DEFAULTS.latentDim;
  const imageShape = opts.imageShape ?? VANILLA_GAN_DEFAULTS.imageShape;
  if (!Number.isInteger(latentDim) || latentDim < 1) {
    throw new Error(`${builder}: latentDim must be a positive integer, got ${latentDim}.`);
  }
  if (!Array.isArray(imageShape) || imageShape.length !== 3 || !imageShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(
      `${builder}: imageShape must be [height, width, channels] of positive integers (MNIST: [28, 28, 1]), ` +
        `got ${JSON.stringify(imageShape)}.`,
    );
  }
  return { latentDim, imageShape: [...imageShape] as [number, number, number] };
}

/** tfjs-examples style: the builder checks the contract it promises before handing the model out. */
function assertOutputShape(model: tf.LayersModel, expected: (number | null)[], builder: string): void {
  const actual = model.outputs[0].shape;
  tf.util.assert(
    actual.length === expected.length && actual.every((d, i) => d === expected[i]),
    () => `${builder}: output shape ${JSON.stringify(actual)} differs from the contract ${JSON.stringify(expected)}.`,
  );
}

/**
 * The chapter's MLP generator: maps z ∈ R^latentDim to an image in [-1, 1] (tanh), the range the
 * chapter rescales MNIST to (x / 127.5 − 1).
 */
export function buildVanillaGenerator(opts: VanillaGanOptions = {}): tf.Sequential {
  const { latentDim, imageShape } = resolveOptions(opts, "buildVanillaGenerator");
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  const model = tf.sequential({ name: "vanilla_generator" });
  // [latentDim] → [256] → [512] → [1024]: each block is Dense → LeakyReLU (one fusedDense layer) → BN, in the chapter's order
  // (the normalisation after the activation, not before as in Ioffe & Szegedy).
  [256, 512, 1024].forEach((units, i) => {
    // Dense and LeakyReLU as one op each way (lib/layers/fused-dense.ts): the same numbers, fewer engine ops.
    model.add(fusedDense(i === 0 ? { units, leakyAlpha: LEAKY_SLOPE, inputShape: [latentDim] } : { units, leakyAlpha: LEAKY_SLOPE }));
    model.add(tf.layers.batchNormalization({ momentum: BN_MOMENTUM }));
  });
  // [1024] → [H·W·C] in [-1, 1] → [H, W, C]
  model.add(tf.layers.dense({ units: pixels, activation: "tanh" }));
  model.add(tf.layers.reshape({ targetShape: imageShape }));
  assertOutputShape(model, [null, ...imageShape], "buildVanillaGenerator");
  return model;
}

/** The chapter's MLP discriminator; returns one logit per image (see the module comment). */
export function buildVanillaDiscriminator(opts: VanillaGanOptions = {}): tf.Sequential {
  const { imageShape } = resolveOptions(opts, "buildVanillaDiscriminator");
  const model = tf.sequential({ name: "vanilla_discriminator" });
  // [H, W, C] → [H·W·C] → [512] → [256] → [1]
  model.add(tf.layers.flatten({ inputShape: imageShape }));
  model.add(fusedDense({ units: 512, leakyAlpha: LEAKY_SLOPE }));
  model.add(fusedDense({ units: 256, leakyAlpha: LEAKY_SLOPE }));
  model.add(tf.layers.dense({ units: 1 })); // a logit: no sigmoid
  assertOutputShape(model, [null, 1], "buildVanillaDiscriminator");
  return model;
}

/** What a variant's spec builder takes besides its networks' options: the caller's overrides of its defaults. */
export interface SpecOverrides<N = tf.LayersModel> {
  /** Networks to use instead of freshly built ones (e.g. restored from a checkpoint). */
  generator?: N;
  discriminator?: N;
  /** The loss pair or its `GAN_LOSSES` name. */
  objective?: GanObjective | string;
  /** The players' optimizers (instances or factories). */
  optimizers?: { generator?: OptimizerChoice; discriminator?: OptimizerChoice };
  /** k, discriminator updates per generator update, or a function of the step. */
  discriminatorSteps?: number | ((step: number) => number);
}

/**
 * The chapter's vanilla GAN for `train()`: its MLPs, standard normal z of length latentDim, the
 * non-saturating objective (the chapter trains with binary cross-entropy and labels 1 for G's samples) and
 * Adam(2e-4, β1 0.5) for each player, k = 1 — each overridable.
 */
export function vanillaGanSpec(opts: VanillaGanOptions & SpecOverrides = {}): GanSpec {
  const { latentDim, imageShape } = resolveOptions(opts, "vanillaGanSpec");
  return {
    generator: opts.generator ?? buildVanillaGenerator({ latentDim, imageShape }),
    discriminator: opts.discriminator ?? buildVanillaDiscriminator({ imageShape }),
    latent: normalLatent(latentDim),
    objective: opts.objective ?? "non-saturating",
    optimizers: opts.optimizers,
    discriminatorSteps: opts.discriminatorSteps,
  };
}
