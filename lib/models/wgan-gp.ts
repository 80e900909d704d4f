/**
 * WGAN-GP: Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville 2017, "Improved Training of Wasserstein GANs"
 * (NeurIPS; arXiv:1704.00028). What the paper changes from the WGAN, and all this file holds:
 *
 * - the Lipschitz constraint is a soft one: the critic's loss gains λ·E[(‖∇ₓ̂D(x̂)‖₂ − 1)²] on points x̂
 *   between real and generated examples (eq. 3; `gradientPenalty` in lib/losses), λ = 10; no weight clipping;
 * - no batch normalisation in the critic: the penalty is per example, and batch norm makes each score depend
 *   on the whole batch (section 4, "No critic batch normalization"); layer normalisation is the paper's
 *   drop-in. `wganGpSpec` refuses a critic with a batch-norm layer unless told otherwise;
 * - Adam instead of RMSProp: the reference scripts (gan_mnist.py, gan_toy.py) use lr 1e-4 with β = (0.5, 0.9),
 *   which are the defaults here for the MNIST and toy critics; the paper's Algorithm 1 and its CIFAR ResNet use
 *   β = (0, 0.9) (pass `beta1: 0`). n_critic = 5.
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../engine/optimizers";
import { gradientPenalty, GradientPenaltyOptions } from "../losses";
import { GanSpec, normalLatent } from "../train/gan-spec";
import type { Network } from "../train/types";
import { buildDcganGenerator } from "./dcgan";
import { positiveOption } from "./params";
import { buildVanillaDiscriminator, buildVanillaGenerator, SpecOverrides } from "./vanilla-gan";

export type WganGpTrunk = "mlp" | "conv";

export interface WganGpOptions extends SpecOverrides {
  /** "mlp": the vanilla GAN's networks (its critic has no batch norm); "conv": DCGAN's generator and a conv critic. */
  trunk?: WganGpTrunk;
  latentDim?: number;
  imageShape?: [number, number, number];
  /** λ. Default 10 (the paper; its toy experiments use 0.1). */
  penaltyWeight?: number;
  /** The penalty's other options: one-sided, DRAGAN's points, ε inside the square root. */
  penalty?: Omit<GradientPenaltyOptions, "weight" | "mix">;
  /** Critic updates per generator update. Default 5. */
  criticSteps?: number;
  /** Adam's learning rate and βs for both players. Default 1e-4, 0.5, 0.9 (the reference MNIST and toy scripts). */
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  /** Train a batch-norm critic with the penalty anyway (it then penalises a batch-dependent gradient). Default false. */
  allowBatchNorm?: boolean;
}

export const WGAN_GP_DEFAULTS = {
  trunk: "mlp" as WganGpTrunk,
  latentDim: 100,
  imageShape: [28, 28, 1] as [number, number, number],
  penaltyWeight: 10,
  criticSteps: 5,
  learningRate: 1e-4,
  beta1: 0.5,
  beta2: 0.9,
};

const LEAKY_SLOPE = 0.2;

/**
 * The conv critic: the DCGAN discriminator's four convolutions (32, 64, 128, 256 filters, 3×3, strides 2, 2, 2,
 * 1, the same zero padding to an even size), LeakyReLU 0.2, with layer normalisation over (H, W, C) where DCGAN
 * has batch norm (the reference gan_mnist.py normalises over the same axes) and no dropout (the reference
 * critics have none), then one linear score.
 */
export function buildWganGpConvCritic(imageShape: [number, number, number] = WGAN_GP_DEFAULTS.imageShape): tf.Sequential {
  const model = tf.sequential({ name: "wgan_gp_conv_critic" });
  const conv = (filters: number, strides: number, first = false) =>
    tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: "same", ...(first ? { inputShape: imageShape } : {}) });
  // [H, W, C] → [H/2, W/2, 32]; no normalisation on the input layer, as DCGAN
  model.add(conv(32, 2, true));
  model.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
  // → [H/4, W/4, 64], padded to an even size so that the next stride-2 convolution halves it exactly
  model.add(conv(64, 2));
  const quarter = [imageShape[0] / 4, imageShape[1] / 4];
  model.add(tf.layers.zeroPadding2d({ padding: [[0, Math.ceil(quarter[0]) % 2], [0, Math.ceil(quarter[1]) % 2]] }));
  model.add(tf.layers.layerNormalization({ axis: [1, 2, 3] }));
  model.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
  for (const [filters, strides] of [[128, 2], [256, 1]]) {
    model.add(conv(filters, strides));
    model.add(tf.layers.layerNormalization({ axis: [1, 2, 3] }));
    model.add(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE }));
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 1 }));
  return model;
}

/** The critic of a trunk: the vanilla discriminator (MLP, no batch norm), or the conv critic above. */
export function buildWganGpCritic(opts: Pick<WganGpOptions, "trunk" | "imageShape"> = {}): tf.LayersModel {
  const trunk = opts.trunk ?? WGAN_GP_DEFAULTS.trunk;
  if (trunk !== "mlp" && trunk !== "conv") throw new Error(`buildWganGpCritic: trunk must be "mlp" or "conv", got ${JSON.stringify(trunk)}.`);
  const imageShape = opts.imageShape ?? WGAN_GP_DEFAULTS.imageShape;
  return trunk === "conv" ? buildWganGpConvCritic(imageShape) : buildVanillaDiscriminator({ imageShape });
}

/** Names of the batch-normalisation layers of a network, nested models included. */
export function batchNormLayers(network: Network): string[] {
  const found: string[] = [];
  const visit = (layers: tf.layers.Layer[] | undefined) => {
    for (const layer of layers ?? []) {
      if (layer.getClassName() === "BatchNormalization") found.push(layer.name);
      visit((layer as unknown as { layers?: tf.layers.Layer[] }).layers);
    }
  };
  visit((network as unknown as { layers?: tf.layers.Layer[] }).layers);
  return found;
}

/**
 * A WGAN-GP for `train()`: the Wasserstein pair, the gradient penalty as the critic's named term
 * `gradientPenalty`, Adam(1e-4, β = (0.5, 0.9)) for both players and 5 critic updates per generator update.
 */
export function wganGpSpec(opts: WganGpOptions = {}): GanSpec {
  const trunk = opts.trunk ?? WGAN_GP_DEFAULTS.trunk;
  if (trunk !== "mlp" && trunk !== "conv") throw new Error(`wganGpSpec: trunk must be "mlp" or "conv", got ${JSON.stringify(trunk)}.`);
  const latentDim = positiveOption(opts.latentDim ?? WGAN_GP_DEFAULTS.latentDim, "latentDim", "wganGpSpec", true);
  const imageShape = opts.imageShape ?? WGAN_GP_DEFAULTS.imageShape;
  const lambda = opts.penaltyWeight ?? WGAN_GP_DEFAULTS.penaltyWeight;
  if (!(Number.isFinite(lambda) && lambda >= 0)) throw new Error(`wganGpSpec: penaltyWeight must be a finite number ≥ 0, got ${lambda}.`);
  const k = positiveOption(opts.criticSteps ?? WGAN_GP_DEFAULTS.criticSteps, "criticSteps", "wganGpSpec", true);
  const lr = positiveOption(opts.learningRate ?? WGAN_GP_DEFAULTS.learningRate, "learningRate", "wganGpSpec");
  const beta1 = opts.beta1 ?? WGAN_GP_DEFAULTS.beta1, beta2 = opts.beta2 ?? WGAN_GP_DEFAULTS.beta2;
  const critic = opts.discriminator ?? buildWganGpCritic({ trunk, imageShape });
  const norms = batchNormLayers(critic);
  if (norms.length > 0 && !opts.allowBatchNorm) {
    throw new Error(
      `wganGpSpec: the critic has batch normalisation (${norms.join(", ")}). The gradient penalty is taken per example, ` +
        "but batch norm makes each example's score depend on the whole batch (Gulrajani et al. 2017, section 4). Use " +
        "layer normalisation (buildWganGpCritic), or pass allowBatchNorm: true to train it anyway.",
    );
  }
  const generator = opts.generator
    ?? (trunk === "conv" ? buildDcganGenerator({ latentDim, imageShape }) : buildVanillaGenerator({ latentDim, imageShape }));
  return {
    generator,
    discriminator: critic,
    latent: normalLatent(latentDim),
    objective: opts.objective ?? "wasserstein",
    extraDiscriminatorLoss: ({ real, fake, discriminate }) => ({
      gradientPenalty: gradientPenalty((x) => discriminate(x, real.labels).logits, real.x, fake, { ...opts.penalty, weight: lambda }),
    }),
    discriminatorSteps: opts.discriminatorSteps ?? k,
    optimizers: {
      generator: opts.optimizers?.generator ?? (() => adam(lr, beta1, beta2)),
      discriminator: opts.optimizers?.discriminator ?? (() => adam(lr, beta1, beta2)),
    },
  };
}
