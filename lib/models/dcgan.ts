/**
 * DCGAN: Radford, Metz & Chintala 2015, "Unsupervised Representation Learning with Deep Convolutional
 * Generative Adversarial Networks" (arXiv:1511.06434), in the form of the book chapter "Generating images
 * with GANs" (MNIST, 28×28×1), with the paper's transposed-convolution generator as an option.
 *
 * Generator (chapter, `upsampling: "upsample"`):
 *   z → Dense 128·(H/4)·(W/4), ReLU → reshape [H/4, W/4, 128]
 *     → UpSampling2D → Conv 128 (3×3, same) → BN (momentum 0.8) → ReLU
 *     → UpSampling2D → Conv 64 (3×3, same) → BN → ReLU → Conv C (3×3, same) → tanh
 * Generator (paper, `upsampling: "transposed"`): each "UpSampling2D → Conv 3×3" pair becomes one
 *   fractionally-strided convolution (Conv2DTranspose, stride 2, 5×5 kernels as in the paper), the rest
 *   unchanged, so the two generators differ only in how they double the resolution.
 * Discriminator (the chapter's accompanying code; the chapter's text describes it: strided convolutions
 *   instead of pooling, BN, LeakyReLU, no dense layer but the output):
 *   image → Conv 32 (3×3, stride 2) → LeakyReLU 0.2 → Dropout 0.25
 *         → Conv 64 (stride 2) → zero-pad to an even size → BN 0.8 → LeakyReLU → Dropout
 *         → Conv 128 (stride 2) → BN → LeakyReLU → Dropout
 *         → Conv 256 (stride 1) → BN → LeakyReLU → Dropout → Flatten → Dense 1
 *   For 28×28: 28 → 14 → 7 → (pad) 8 → 4 → 4, so Dense 1 sees 4·4·256 = 4096 features.
 *
 * The discriminator returns a LOGIT (the chapter ends it with a sigmoid; tsgan's losses take logits, which
 * they can evaluate stably). `tf.sigmoid(logit)` is the chapter's D(x).
 *
 * Initialisation: by default the TensorFlow.js defaults: Glorot-normal kernels (a normal of variance
 * 2/(fan_in + fan_out) truncated at two standard deviations) and zero biases; Keras, which the chapter uses,
 * defaults to Glorot-uniform, of the same scale. `weightInit: "dcgan"` draws every dense and convolution kernel from N(0, 0.02), as the
 * paper does ("all weights were initialized from a zero-centered Normal distribution with standard deviation
 * 0.02"); biases stay zero and BN scales one (the paper says nothing about them). Both draw from
 * `Math.random`, which `seed(n)` seeds.
 */
import * as tf from "@tensorflow/tfjs";
import { GanSpec, normalLatent } from "../train/gan-spec";
import type { SpecOverrides } from "./vanilla-gan";

export type DcganUpsampling = "upsample" | "transposed";
export type DcganWeightInit = "default" | "dcgan";

export interface DcganOptions {
  /** Length of the noise vector z. The chapter uses 100. */
  latentDim?: number;
  /** [height, width, channels]; height and width must be multiples of 4 (two doublings). MNIST: [28, 28, 1]. */
  imageShape?: [number, number, number];
  /** Generator only: the chapter's UpSampling2D + Conv ("upsample") or the paper's Conv2DTranspose. */
  upsampling?: DcganUpsampling;
  /** "default": TensorFlow.js's truncated Glorot-normal; "dcgan": N(0, 0.02) kernels as in Radford et al. 2015. */
  weightInit?: DcganWeightInit;
}

export const DCGAN_DEFAULTS = {
  latentDim: 100,
  imageShape: [28, 28, 1] as [number, number, number],
  upsampling: "upsample" as DcganUpsampling,
  weightInit: "default" as DcganWeightInit,
};

const LEAKY_SLOPE = 0.2;
const BN_MOMENTUM = 0.8;
/** The chapter's discriminator dropout rate. */
const D_DROPOUT = 0.25;
/** Radford et al. 2015 use 5×5 kernels in their fractionally-strided convolutions. */
const TRANSPOSED_KERNEL = 5;
/** Radford et al. 2015, section 4: standard deviation of the initial weights. */
const DCGAN_INIT_STDDEV = 0.02;

interface ResolvedDcganOptions {
  latentDim: number;
  imageShape: [number, number, number];
  upsampling: DcganUpsampling;
  weightInit: DcganWeightInit;
}

function resolveOptions(opts: DcganOptions, builder: string): ResolvedDcganOptions {
  const o = { ...DCGAN_DEFAULTS, ...stripUndefined(opts) };
  if (!Number.isInteger(o.latentDim) || o.latentDim < 1) {
    throw new Error(`${builder}: latentDim must be a positive integer, got ${o.latentDim}.`);
  }
  const s = o.imageShape;
  if (!Array.isArray(s) || s.length !== 3 || !s.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(
      `${builder}: imageShape must be [height, width, channels] of positive integers (MNIST: [28, 28, 1]), ` +
        `got ${JSON.stringify(s)}.`,
    );
  }
  if (s[0] % 4 !== 0 || s[1] % 4 !== 0) {
    throw new Error(
      `${builder}: height and width must be multiples of 4 (the generator doubles a [H/4, W/4] map twice), ` +
        `got ${s[0]}×${s[1]}. Pad or crop the images, e.g. to 28×28 or 32×32.`,
    );
  }
  if (o.upsampling !== "upsample" && o.upsampling !== "transposed") {
    throw new Error(`${builder}: upsampling must be "upsample" (the chapter) or "transposed" (the paper), got ${JSON.stringify(o.upsampling)}.`);
  }
  if (o.weightInit !== "default" && o.weightInit !== "dcgan") {
    throw new Error(`${builder}: weightInit must be "default" (tfjs Glorot-normal) or "dcgan" (N(0, 0.02)), got ${JSON.stringify(o.weightInit)}.`);
  }
  return { ...o, imageShape: [...s] as [number, number, number] };
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Kernel initialiser for dense and convolution layers, or nothing for tfjs's default. */
function kernelInit(weightInit: DcganWeightInit): { kernelInitializer?: ReturnType<typeof tf.initializers.randomNormal> } {
  // No seed: tfjs then draws one from Math.random, which tsgan's seed() controls.
  return weightInit === "dcgan" ? { kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: DCGAN_INIT_STDDEV }) } : {};
}

function assertOutputShape(model: tf.LayersModel, expected: (number | null)[], builder: string): void {
  const actual = model.outputs[0].shape;
  tf.util.assert(
    actual.length === expected.length && actual.every((d, i) => d === expected[i]),
    () => `${builder}: output shape ${JSON.stringify(actual)} differs from the contract ${JSON.stringify(expected)}.`,
  );
}

/** The DCGAN generator: z → an image in [-1, 1]. */
export function buildDcganGenerator(opts: DcganOptions = {}): tf.Sequential {
  const { latentDim, imageShape, upsampling, weightInit } = resolveOptions(opts, "buildDcganGenerator");
  const [height, width, channels] = imageShape;
  const init = kernelInit(weightInit);
  const model = tf.sequential({ name: upsampling === "upsample" ? "dcgan_generator" : "dcgan_transposed_generator" });
  // [latentDim] → [128·H/4·W/4] → [H/4, W/4, 128]   (MNIST: [7, 7, 128])
  model.add(tf.layers.dense({ units: 128 * (height / 4) * (width / 4), activation: "relu", inputShape: [latentDim], ...init }));
  model.add(tf.layers.reshape({ targetShape: [height / 4, width / 4, 128] }));
  // Two doublings: [H/4, W/4, 128] → [H/2, W/2, 128] → [H, W, 64]   (MNIST: 7 → 14 → 28)
  for (const filters of [128, 64]) {
    if (upsampling === "upsample") {
      model.add(tf.layers.upSampling2d({ size: [2, 2] })); // nearest neighbour, as Keras's default
      model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: "same", ...init }));
    } else {
      model.add(tf.layers.conv2dTranspose({ filters, kernelSize: TRANSPOSED_KERNEL, strides: 2, padding: "same", ...init }));
    }
    model.add(tf.layers.batchNormalization({ momentum: BN_MOMENTUM }));
    model.add(tf.layers.activation({ activation: "relu" }));
  }
  // [H, W, 64] → [H, W, C] in [-1, 1]
  model.add(tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: "same", activation: "tanh", ...init }));
  assertOutputShape(model, [null, height, width, channels], "buildDcganGenerator");
  return model;
}

/** The DCGAN discriminator: an image → one logit (see the module comment). `upsampling` is ignored. */
export function buildDcganDiscriminator(opts: DcganOptions = {}): tf.Sequential {
  const { imageShape, weightInit } = resolveOptions(opts, "buildDcganDiscriminator");
  const init = kernelInit(weightInit);
  const conv = (filters: number, strides: number, first = false): tf.layers.Layer =>
    tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: "same", ...(first ? { inputShape: imageShape } : {}), ...init });
  const model = tf.sequential({ name: "dcgan_discriminator" });
  // [H, W, C] → [H/2, W/2, 32]   (MNIST: 14×14); no BN on the input layer, as the paper advises
  model.add(conv(32, 2, true));
  model.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
  model.add(tf.layers.dropout({ rate: D_DROPOUT }));
  // → [H/4, W/4, 64]   (MNIST: 7×7), padded at the bottom and right to an even size (MNIST: 8×8)
  // so that the next stride-2 convolution halves it exactly.
  model.add(conv(64, 2));
  const quarter = [imageShape[0] / 4, imageShape[1] / 4];
  model.add(tf.layers.zeroPadding2d({ padding: [[0, quarter[0] % 2], [0, quarter[1] % 2]] }));
  model.add(tf.layers.batchNormalization({ momentum: BN_MOMENTUM }));
  model.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
  model.add(tf.layers.dropout({ rate: D_DROPOUT }));
  // → [⌈H/8⌉, ⌈W/8⌉, 128] → same size, 256 channels   (MNIST: 4×4×128 → 4×4×256)
  for (const [filters, strides] of [[128, 2], [256, 1]]) {
    model.add(conv(filters, strides));
    model.add(tf.layers.batchNormalization({ momentum: BN_MOMENTUM }));
    model.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
    model.add(tf.layers.dropout({ rate: D_DROPOUT }));
  }
  // → [⌈H/8⌉·⌈W/8⌉·256] → [1], a logit
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 1, ...init }));
  assertOutputShape(model, [null, 1], "buildDcganDiscriminator");
  return model;
}

/**
 * The DCGAN for `train()`: the chapter's networks (or the paper's transposed generator with `upsampling`),
 * standard normal z, the non-saturating objective and Adam(2e-4, β1 0.5) for each player (Radford et al.
 * 2015, section 4: "learning rate of 0.0002", "β1 at 0.5"), k = 1 — each overridable.
 */
export function dcganSpec(opts: DcganOptions & SpecOverrides = {}): GanSpec {
  const resolved = resolveOptions(opts, "dcganSpec");
  return {
    generator: opts.generator ?? buildDcganGenerator(resolved),
    discriminator: opts.discriminator ?? buildDcganDiscriminator(resolved),
    latent: normalLatent(resolved.latentDim),
    objective: opts.objective ?? "non-saturating",
    optimizers: opts.optimizers,
    discriminatorSteps: opts.discriminatorSteps,
  };
}
