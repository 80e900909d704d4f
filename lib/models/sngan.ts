/**
 * SN-GAN: Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral Normalization for Generative Adversarial
 * Networks" (ICLR, arXiv:1802.05957). The critic's every dense and convolution kernel is divided by its
 * spectral norm (lib/layers/spectral-norm.ts), so each layer is 1-Lipschitz and, with 1-Lipschitz LeakyReLUs
 * and no other weights, so is the critic; its output is a raw score for the hinge loss (Lim & Ye 2017), as in
 * the authors' code.
 *
 * Critic, trunk "mlp" (the vanilla GAN discriminator's sizes, lib/models/vanilla-gan.ts):
 *   image → Flatten → SN-Dense 512 → LeakyReLU → SN-Dense 256 → LeakyReLU → SN-Dense 1
 * Critic, trunk "conv" (the DCGAN discriminator's convolutions, lib/models/dcgan.ts, 3×3 kernels):
 *   image → SN-Conv 32 (stride 2) → LeakyReLU → SN-Conv 64 (stride 2) → zero-pad to an even size → LeakyReLU
 *         → SN-Conv 128 (stride 2) → LeakyReLU → SN-Conv 256 (stride 1) → LeakyReLU → Flatten → SN-Dense 1
 *   For 28×28: 28 → 14 → 7 → (pad) 8 → 4 → 4, so the output layer sees 4·4·256 = 4096 features.
 *
 * What changed from the DCGAN discriminator, and why:
 *   - no batch normalisation: Miyato et al.'s critics have none. Batch norm makes D's output for one example
 *     depend on the rest of the batch, and its learned scale γ multiplies the features after the normalised
 *     kernel, so it would undo the Lipschitz bound that spectral normalisation exists to give (section 2.1
 *     bounds ‖D‖_Lip by the product of the layers' norms; a layer outside that product breaks it).
 *   - no dropout: the paper's critics have none; spectral normalisation is the regulariser here, and random
 *     masks would make the scores the hinge loss compares noisier for nothing.
 *   - LeakyReLU slope 0.1 for the conv trunk (Miyato et al., Table 3: "lReLU" with slope 0.1 in the standard
 *     CNN); 0.2 for the mlp trunk, the vanilla discriminator's, so that SN is the only difference between the
 *     two MLP critics. Either is overridable (`leakySlope`).
 *   - the output layer is spectrally normalised too, and linear: a score, not a logit.
 *   The widths, kernels, strides and padding are DCGAN's (not Miyato's 64–512 CNN) so the chapter compares
 *   WGAN, WGAN-GP and SN-GAN critics of one architecture: what differs is how each keeps it Lipschitz.
 *
 * The generator is the trunk's own: the vanilla MLP generator or the DCGAN generator (with batch norm, as
 * Miyato et al.'s generators have).
 *
 * Defaults of `snganSpec`, those of the authors' code (pfnet-research/sngan_projection,
 * configs/sn_cifar10_unconditional.yml): the hinge loss, Adam(α = 2e-4, β1 = 0, β2 = 0.9) for both players
 * and n_dis = 5 critic updates per generator update. One power iteration per training call (Algorithm 1):
 * every training-mode call of the critic advances each layer's u once, so a round of the loop advances it 11
 * times (real and fake batch in each of the 5 critic updates, and the generator's update), as the reference
 * updater, which calls D in training mode the same way; sampling and evaluation (inference mode) leave it.
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../engine/optimizers";
import { GanSpec, normalLatent } from "../train/gan-spec";
import { spectralNormConv2d, spectralNormDense } from "../layers/spectral-norm";
import { buildVanillaGenerator, SpecOverrides } from "./vanilla-gan";
import { buildDcganGenerator } from "./dcgan";

export type SnganTrunk = "mlp" | "conv";

export interface SnganOptions {
  /** "conv" (default; the DCGAN discriminator's convolutions and the DCGAN generator) or "mlp" (the vanilla GAN's). */
  trunk?: SnganTrunk;
  /** [height, width, channels]. MNIST: [28, 28, 1]. The conv trunk's generator needs multiples of 4. */
  imageShape?: [number, number, number];
  /** Length of z (spec only). Default 100. */
  latentDim?: number;
  /** Slope of every LeakyReLU. Default 0.1 for "conv" (Miyato et al., Table 3), 0.2 for "mlp" (the vanilla GAN's). */
  leakySlope?: number;
  /** Power iterations per training call of each layer. Default 1 (Algorithm 1). */
  powerIterations?: number;
}

export const SNGAN_DEFAULTS = {
  trunk: "conv" as SnganTrunk,
  imageShape: [28, 28, 1] as [number, number, number],
  latentDim: 100,
  powerIterations: 1,
  /** Miyato et al., Table 3 (standard CNN); the vanilla GAN discriminator's slope for the MLP. */
  leakySlope: { conv: 0.1, mlp: 0.2 } as Record<SnganTrunk, number>,
  /** sngan_projection's configs: Adam's α, β1, β2 and n_dis. */
  learningRate: 2e-4,
  beta1: 0,
  beta2: 0.9,
  discriminatorSteps: 5,
};

interface ResolvedSnganOptions {
  trunk: SnganTrunk;
  imageShape: [number, number, number];
  latentDim: number;
  leakySlope: number;
  powerIterations: number;
}

function resolveOptions(opts: SnganOptions, builder: string): ResolvedSnganOptions {
  const trunk = opts.trunk ?? SNGAN_DEFAULTS.trunk;
  if (trunk !== "mlp" && trunk !== "conv") {
    throw new Error(`${builder}: trunk must be "mlp" (the vanilla GAN's sizes) or "conv" (the DCGAN's convolutions), got ${JSON.stringify(opts.trunk)}.`);
  }
  const s = opts.imageShape ?? SNGAN_DEFAULTS.imageShape;
  if (!Array.isArray(s) || s.length !== 3 || !s.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(
      `${builder}: imageShape must be [height, width, channels] of positive integers (MNIST: [28, 28, 1]), got ${JSON.stringify(s)}.`,
    );
  }
  const latentDim = opts.latentDim ?? SNGAN_DEFAULTS.latentDim;
  if (!Number.isInteger(latentDim) || latentDim < 1) throw new Error(`${builder}: latentDim must be a positive integer, got ${latentDim}.`);
  const leakySlope = opts.leakySlope ?? SNGAN_DEFAULTS.leakySlope[trunk];
  if (!Number.isFinite(leakySlope) || leakySlope < 0 || leakySlope >= 1) {
    throw new Error(`${builder}: leakySlope must be in [0, 1) (a slope above 1 is not 1-Lipschitz), got ${leakySlope}.`);
  }
  const powerIterations = opts.powerIterations ?? SNGAN_DEFAULTS.powerIterations;
  if (!Number.isInteger(powerIterations) || powerIterations < 1) {
    throw new Error(`${builder}: powerIterations must be a positive integer, got ${powerIterations}.`);
  }
  return { trunk, imageShape: [...s] as [number, number, number], latentDim, leakySlope, powerIterations };
}

function assertOutputShape(model: tf.LayersModel, expected: (number | null)[], builder: string): void {
  const actual = model.outputs[0].shape;
  tf.util.assert(
    actual.length === expected.length && actual.every((d, i) => d === expected[i]),
    () => `${builder}: output shape ${JSON.stringify(actual)} differs from the contract ${JSON.stringify(expected)}.`,
  );
}

/** The vanilla discriminator's 512 → 256 → 1, every dense layer spectrally normalised. */
function mlpCritic(o: ResolvedSnganOptions): tf.Sequential {
  const model = tf.sequential({ name: "sngan_mlp_critic" });
  model.add(tf.layers.flatten({ inputShape: o.imageShape }));
  for (const units of [512, 256]) {
    model.add(spectralNormDense({ units, powerIterations: o.powerIterations }));
    model.add(tf.layers.leakyReLU({ alpha: o.leakySlope }));
  }
  model.add(spectralNormDense({ units: 1, powerIterations: o.powerIterations })); // a score: no activation
  return model;
}

/** Length after a stride-2 "same" convolution. */
const halved = (n: number) => Math.ceil(n / 2);

/** The DCGAN discriminator's convolutions without batch norm or dropout, every kernel spectrally normalised. */
function convCritic(o: ResolvedSnganOptions): tf.Sequential {
  const { imageShape, leakySlope, powerIterations } = o;
  const conv = (filters: number, strides: number, first = false) =>
    spectralNormConv2d({ filters, kernelSize: 3, strides, padding: "same", powerIterations, ...(first ? { inputShape: imageShape } : {}) });
  const model = tf.sequential({ name: "sngan_conv_critic" });
  // [H, W, C] → [H/2, W/2, 32]   (MNIST: 14×14)
  model.add(conv(32, 2, true));
  model.add(tf.layers.leakyReLU({ alpha: leakySlope }));
  // → [H/4, W/4, 64]   (MNIST: 7×7), padded at the bottom and right to an even size (MNIST: 8×8), as DCGAN's,
  // so that the next stride-2 convolution halves it exactly and the shapes match the DCGAN critic's.
  model.add(conv(64, 2));
  const quarter = [halved(halved(imageShape[0])), halved(halved(imageShape[1]))];
  model.add(tf.layers.zeroPadding2d({ padding: [[0, quarter[0] % 2], [0, quarter[1] % 2]] }));
  model.add(tf.layers.leakyReLU({ alpha: leakySlope }));
  // → [⌈H/8⌉, ⌈W/8⌉, 128] → same size, 256 channels   (MNIST: 4×4×128 → 4×4×256)
  for (const [filters, strides] of [[128, 2], [256, 1]]) {
    model.add(conv(filters, strides));
    model.add(tf.layers.leakyReLU({ alpha: leakySlope }));
  }
  model.add(tf.layers.flatten());
  model.add(spectralNormDense({ units: 1, powerIterations })); // a score: no activation
  return model;
}

/** The SN-GAN critic: an image → one score (see the module comment). `latentDim` is ignored. */
export function buildSnganDiscriminator(opts: SnganOptions = {}): tf.Sequential {
  const o = resolveOptions(opts, "buildSnganDiscriminator");
  const model = o.trunk === "mlp" ? mlpCritic(o) : convCritic(o);
  assertOutputShape(model, [null, 1], "buildSnganDiscriminator");
  return model;
}

/** A fresh Adam(2e-4, β1 = 0, β2 = 0.9), the authors' optimizer for both players (a factory: one per run). */
export function snganOptimizer(): tf.Optimizer {
  return adam(SNGAN_DEFAULTS.learningRate, SNGAN_DEFAULTS.beta1, SNGAN_DEFAULTS.beta2);
}

/**
 * SN-GAN for `train()`: the trunk's generator (vanilla MLP or DCGAN), the spectrally normalised critic,
 * standard normal z, the hinge loss, Adam(2e-4, β1 0, β2 0.9) for each player and 5 critic updates per
 * generator update — each overridable.
 */
export function snganSpec(opts: SnganOptions & SpecOverrides = {}): GanSpec {
  const o = resolveOptions(opts, "snganSpec");
  const { latentDim, imageShape } = o;
  return {
    generator: opts.generator ?? (o.trunk === "mlp" ? buildVanillaGenerator({ latentDim, imageShape }) : buildDcganGenerator({ latentDim, imageShape })),
    discriminator: opts.discriminator ?? buildSnganDiscriminator(o),
    latent: normalLatent(latentDim),
    objective: opts.objective ?? "hinge",
    optimizers: {
      generator: opts.optimizers?.generator ?? snganOptimizer,
      discriminator: opts.optimizers?.discriminator ?? snganOptimizer,
    },
    discriminatorSteps: opts.discriminatorSteps ?? SNGAN_DEFAULTS.discriminatorSteps,
  };
}
