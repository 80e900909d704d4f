/**
 * The benchmark's models: the book chapters' networks and the toy rows, each with its data shape and, for
 * the toy rows, its own batch. Shared by `npm run bench` (run.ts) and the per-kernel profile (profile.ts).
 */
import { type GanSpec } from "../lib/train/gan-spec";
import * as tf from "@tensorflow/tfjs";
import { type Batch, type Game } from "../lib/train/types";
import { adam } from "../lib/engine/optimizers";
import { mlpDiscriminator, mlpGanSpec, mlpGenerator } from "../lib/models/mlp";
import { vanillaGanSpec } from "../lib/models/vanilla-gan";
import { dcganSpec } from "../lib/models/dcgan";
import { cganSpec } from "../lib/models/cgan";
import { acganSpec } from "../lib/models/acgan";
import { wganGpSpec } from "../lib/models/wgan-gp";
import { snganSpec } from "../lib/models/sngan";
import { biganGame } from "../lib/models/bigan";
import { vaeGanGame } from "../lib/models/vae-gan";

export const IMAGE_SHAPE: [number, number, number] = [28, 28, 1];
export const LATENT_DIM = 100;
/** Distinct real batches cycled through, so no step reuses the previous one's input tensor. */
export const REAL_POOL = 8;
/** The reference gan_toy.py's WGAN-GP (Gulrajani et al. 2017): three ReLU layers of 512, batch 256, λ = 0.1. */
const TOY_WGAN_GP = { hidden: [512, 512, 512], batch: 256, penaltyWeight: 0.1 };

export interface BenchModel {
  describe: string;
  /** Whether the real batches carry labels (conditional models). */
  labelled: boolean;
  /** Shape of one real example. Default MNIST's [28, 28, 1]; the toy rows' 2-D points: [2]. */
  dataShape?: number[];
  /** The row's own batch, part of its setting (the toy rows); `--batch` sets the batch of the rows without one. */
  batch?: number;
  /** A two-player GanSpec, or a Game of named players and networks (BiGAN, VAE-GAN). */
  gan(): GanSpec | Game;
}

export const MODELS: Record<string, BenchModel> = {
  vanilla: {
    describe: "chapter's MLP GAN",
    labelled: false,
    gan: () => vanillaGanSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE }),
  },
  dcgan: {
    describe: "chapter's DCGAN (UpSampling2D + Conv)",
    labelled: false,
    gan: () => dcganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE }),
  },
  "dcgan-transposed": {
    describe: "DCGAN with the paper's Conv2DTranspose generator",
    labelled: false,
    gan: () => dcganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, upsampling: "transposed" }),
  },
  cgan: {
    describe: "chapter's CGAN (label embedding multiplied in, MLPs)",
    labelled: true,
    gan: () => cganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, conditioning: "multiply" }),
  },
  acgan: {
    describe: "ACGAN on the DCGAN networks (source + class heads)",
    labelled: true,
    gan: () => acganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, trunk: "conv" }),
  },
  "wgan-gp": {
    describe: "WGAN-GP on the chapter's MLPs: 5 critic updates with the penalty's double backprop, 1 G update",
    labelled: false,
    gan: () => wganGpSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, trunk: "mlp" }),
  },
  "sngan-mlp": {
    describe: "SN-GAN: the chapter's MLP critic spectrally normalised, hinge loss, 5 critic updates, 1 G update",
    labelled: false,
    gan: () => snganSpec({ latentDim: LATENT_DIM, imageShape: IMAGE_SHAPE, trunk: "mlp" }),
  },
  bigan: {
    describe: "BiGAN: MLP encoder, generator and joint D(x, z), 512-512, z ~ U(-1, 1)^50; D, then E and G with one Adam",
    labelled: false,
    // The game's defaults: MNIST's shape, latent 50 (uniform), hidden [512, 512], Adam(2e-4, β1 0.5).
    gan: () => biganGame({ dataShape: [...IMAGE_SHAPE] }),
  },
  "vae-gan": {
    describe: "VAE-GAN: MLP encoder (μ, log σ²), the chapter's MLP generator as decoder, D → [logit, features]; D, E, G",
    labelled: false,
    // The game's defaults: MNIST's shape, latent 32, hidden [512, 256], γ = 1e-2, Adam(3e-4, β1 0.5).
    gan: () => vaeGanGame({ imageShape: IMAGE_SHAPE }),
  },
  "toy-gan": {
    describe: "lesson 04's toy GAN on 2-D points: G 2→64→64→2, D 2→64→64→1 (a logit), LeakyReLU 0.2, z ~ N(0, I)^2, non-saturating, batch 100, Adam(1e-3, β1 0.5)",
    labelled: false,
    dataShape: [2],
    batch: 100,
    // notebooks/04-mode-collapse.ipynb's ring and grid runs: mlpGanSpec on points, z ~ N(0, I)^2, non-saturating, k = 1.
    gan: () => mlpGanSpec({
      latentSize: 2, dataSize: 2, hiddenSizes: [64, 64],
      optimizers: { generator: () => adam(1e-3, 0.5), discriminator: () => adam(1e-3, 0.5) },
    }),
  },
  "wgan-gp-toy": {
    describe: "WGAN-GP as gan_toy.py: G 2→512→512→512→2, critic 2→512→512→512→1, ReLU, z ~ N(0, I)^2, batch 256, λ 0.1, 5 critic updates, Adam(1e-4, 0.5, 0.9)",
    labelled: false,
    dataShape: [2],
    batch: TOY_WGAN_GP.batch,
    // Gulrajani et al.'s gan_toy.py (../shared/REFERENCES.md): DIM 512, CRITIC_ITERS 5, BATCH_SIZE 256, LAMBDA 0.1
    // ("a smaller lambda seems to help for toy tasks", as lib/models/registry.ts's toy WGAN-GP), Adam(1e-4, 0.5, 0.9).
    gan: () => wganGpSpec({
      generator: mlpGenerator({ latentSize: 2, dataSize: 2, hiddenSizes: TOY_WGAN_GP.hidden, activation: "relu" }),
      discriminator: mlpDiscriminator({ dataSize: 2, hiddenSizes: TOY_WGAN_GP.hidden, activation: "relu" }),
      latentDim: 2, penaltyWeight: TOY_WGAN_GP.penaltyWeight, criticSteps: 5, learningRate: 1e-4, beta1: 0.5, beta2: 0.9,
    }),
  },
};

export const DEFAULT_MODELS = ["vanilla", "dcgan", "cgan", "acgan", "wgan-gp", "sngan-mlp", "bigan", "vae-gan", "toy-gan", "wgan-gp-toy"];


/**
 * The real batches a benchmark run cycles through: `REAL_POOL` random tensors of the model's data shape
 * (uniform in [-1, 1]; speed does not depend on values), with random labels for the conditional models.
 * The loop disposes every batch it is given, so `data` hands out clones (new handles on the same data);
 * `dispose` frees the pool.
 */
export function benchBatches(model: BenchModel, batch: number): { data: (n: number, i: number) => Batch; dispose(): void } {
  const reals = Array.from({ length: REAL_POOL }, () => tf.randomUniform([batch, ...(model.dataShape ?? IMAGE_SHAPE)], -1, 1));
  const labels = Array.from({ length: REAL_POOL }, () => tf.randomUniform([batch], 0, 10, "int32"));
  return {
    data: (_n, i) =>
      model.labelled ? { x: reals[i % REAL_POOL].clone(), labels: labels[i % REAL_POOL].clone() } : { x: reals[i % REAL_POOL].clone() },
    dispose: () => tf.dispose([...reals, ...labels]),
  };
}
