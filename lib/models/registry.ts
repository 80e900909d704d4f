/**
 * Every variant of lib/models by name, for tools that train outside a notebook (`npx tsgan train <variant>`):
 * a builder from the shape of a dataset and a few options to the `GanSpec` or `Game` that `train()` runs, the
 * paper it comes from in one line, and the kinds of data it trains on.
 *
 * Two kinds of data: images [height, width, channels] (MNIST, Fashion-MNIST) and 2-D points (the ring and the
 * grid of Gaussians). On points a variant trains where its builders take MLPs: mlp.ts's networks (the vanilla
 * GAN, PacGAN, the WGANs through their generator and critic overrides, feature matching), mlp.ts's conditioning
 * input (CGAN), BiGAN's and MRGAN's data shapes. The others (DCGAN's convolutions, the VAEs' image decoders,
 * ACGAN's two-headed D, SN-GAN's normalised critic) are refused on points with an error that names the
 * datasets they train on. Conditional variants read class labels: the digit or clothing class for images, the
 * index of the mode a point was drawn from for the ring and grid.
 *
 * The builders draw initial weights from `Math.random`: call `seed(n)` first to make a build reproducible.
 */
import * as tf from "@tensorflow/tfjs";
import { classIds } from "../losses";
import { GanSpec, isGame, normalLatent } from "../train/gan-spec";
import type { Game, LatentBatch, Network } from "../train/types";
import { acganSpec } from "./acgan";
import { biganGame, buildBiganEncoder } from "./bigan";
import { cganSpec, requireLabels } from "./cgan";
import { dcganSpec } from "./dcgan";
import { featureMatchingGame } from "./feature-matching";
import { mlpDiscriminator, mlpGanSpec, mlpGenerator } from "./mlp";
import { mrganGame } from "./mrgan";
import { pacganSpec, pacMlpGanSpec } from "./pacgan";
import { snganSpec } from "./sngan";
import { buildVaeGanDiscriminator, vaeGame, vaeGanGame } from "./vae-gan";
import { buildVanillaDiscriminator, buildVanillaGenerator, vanillaGanSpec } from "./vanilla-gan";
import { wganSpec } from "./wgan";
import { wganGpSpec } from "./wgan-gp";

/** "images": examples [height, width, channels] in [−1, 1]; "points": 2-D vectors [2]. */
export type DataKind = "images" | "points";

/** What a builder needs to know about the data: its kind, the shape of one example and the number of classes. */
export interface DataShape {
  kind: DataKind;
  /** One example: [h, w, c] for images, [d] for points. */
  shape: number[];
  /** Labels are 0 … numClasses − 1 (classes of images; modes of a toy mixture). */
  numClasses: number;
}

export const DATASET_NAMES = ["mnist", "mnist-train", "fashion-mnist", "ring", "grid"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** A dataset the command line trains on: its shape and a line saying what it is. */
export interface DatasetInfo extends DataShape {
  name: DatasetName;
  description: string;
}

export const TRAINING_DATASETS: Readonly<Record<DatasetName, DatasetInfo>> = Object.freeze({
  mnist: {
    name: "mnist", kind: "images", shape: [28, 28, 1], numClasses: 10,
    description: "handwritten digits, 28×28 grey, 10 classes (the 10,000 embedded in the course, no download)",
  },
  // Lesson 8's protocol: the judge and the reference generators never see the held-out fifth, so it can serve
  // as unseen real data (Fréchet distance, nearest neighbours).
  "mnist-train": {
    name: "mnist-train", kind: "images", shape: [28, 28, 1], numClasses: 10,
    description: "the 8,000 training digits of the embedded split (every fifth digit held out, as the stored classifier was trained)",
  },
  "fashion-mnist": {
    name: "fashion-mnist", kind: "images", shape: [28, 28, 1], numClasses: 10,
    description: "Zalando's clothing images, 28×28 grey, 10 classes (needs data/fashion-mnist/ or Debian's dataset-fashion-mnist)",
  },
  ring: {
    name: "ring", kind: "points", shape: [2], numClasses: 8,
    description: "8 Gaussians on the unit circle, σ = 0.01 (PacGAN's 2D-ring); label = mode index",
  },
  grid: {
    name: "grid", kind: "points", shape: [2], numClasses: 25,
    description: "25 Gaussians on {−4, −2, 0, 2, 4}², σ = 0.05 (PacGAN's 2D-grid); label = mode index",
  },
} satisfies Record<DatasetName, DatasetInfo>);

/** Options a variant's builder takes beyond the data; anything left out is the variant's (its paper's) default. */
export interface VariantOptions {
  /** Length of the noise vector z. */
  latentDim?: number;
  /** The networks' family on images, for the variants that offer one: "mlp" or "conv". */
  trunk?: string;
  /** Hidden layer widths of every MLP on 2-D points (default [64, 64]); images have their chapters' networks. */
  hiddenSizes?: number[];
}

export interface VariantInfo {
  /** The name on the command line: "wgan-gp". */
  name: string;
  /** Authors, year and title. */
  paper: string;
  /** What the variant is, in one line. */
  summary: string;
  /** The kinds of data it trains on. */
  kinds: DataKind[];
  /** True when it needs class labels with the real data (and generates for asked labels). */
  conditional: boolean;
  /** Its choice of network family on images, default first; absent when it has none. */
  trunks?: string[];
  /** Batch sizes must be a multiple of this (PacGAN's packs). Default 1. */
  batchMultiple?: number;
  /** Builds the variant's networks and players for data of this shape. Checked options only: use `buildVariant`. */
  build(data: DataShape, options: VariantOptions): GanSpec | Game;
}

/** Hidden layers of every MLP on 2-D points: lesson 11's toy networks (mlp.ts's default [32, 32] is too small for 25 modes). */
const POINT_HIDDEN = [64, 64];
/** z on points: mlp.ts's default size. */
const POINT_LATENT = 8;
/** PacGAN's m: two samples per discriminator input, the paper's smallest packing. */
const PACKING = 2;
/** λ of WGAN-GP on toy data: the reference gan_toy.py's (the paper's 10 is for images). */
const TOY_PENALTY_WEIGHT = 0.1;

function imageShape(data: DataShape): [number, number, number] {
  return data.shape as [number, number, number];
}

/** The hidden layers of a variant's MLPs on points: the options' or the registry's default. */
function pointHidden(options: VariantOptions): number[] {
  return options.hiddenSizes ?? POINT_HIDDEN;
}

/** A 2-D point MLP generator and discriminator with the options' hidden layers. */
function pointNetworks(data: DataShape, latentDim: number, options: VariantOptions, conditionSize = 0) {
  const dataSize = data.shape[0];
  const hiddenSizes = pointHidden(options);
  return {
    generator: mlpGenerator({ latentSize: latentDim, dataSize, hiddenSizes, conditionSize }),
    discriminator: mlpDiscriminator({ dataSize, hiddenSizes, conditionSize }),
  };
}

/**
 * A conditional GAN of two MLPs on points: mlp.ts's conditioning input takes one-hot labels concatenated to
 * the input (Mirza & Osindero 2014, section 4.1), so the cganSpec's hooks, which hand its networks an id
 * column, are replaced by ones that hand them one-hot rows.
 */
function pointCgan(data: DataShape, latentDim: number, options: VariantOptions): GanSpec {
  const k = data.numClasses;
  const oneHot = (labels: tf.Tensor | undefined) => tf.oneHot(classIds(requireLabels(labels, "cgan"), k), k).toFloat();
  const networks = pointNetworks(data, latentDim, options, k);
  return {
    ...cganSpec({ ...networks, latentDim, numClasses: k }),
    generate: (g: Network, latent: LatentBatch, training: boolean) =>
      tf.tidy(() => g.apply([latent.z, oneHot(latent.labels)], { training }) as tf.Tensor),
    discriminate: (d: Network, x: tf.Tensor, labels: tf.Tensor | undefined, training: boolean) =>
      tf.tidy(() => d.apply([x, oneHot(labels)], { training }) as tf.Tensor),
  };
}

/**
 * A discriminator that also returns its last hidden layer, as feature matching needs: [logit, features].
 * Images: the vanilla GAN's discriminator layout (flatten → 512 → 256 → 1, buildVaeGanDiscriminator has it with
 * the two outputs); points: mlp.ts's discriminator, viewed with a second output at its last hidden layer (after the activation).
 */
function discriminatorWithFeatures(data: DataShape, options: VariantOptions): tf.LayersModel {
  if (data.kind === "images") return buildVaeGanDiscriminator({ imageShape: imageShape(data), hiddenSizes: [512, 256] });
  const hiddenSizes = pointHidden(options);
  const d = mlpDiscriminator({ dataSize: data.shape[0], hiddenSizes });
  const features = d.getLayer(`discriminator_dense${hiddenSizes.length}`).output as tf.SymbolicTensor;
  return tf.model({ inputs: d.inputs, outputs: [d.outputs[0], features], name: "discriminator_with_features" });
}

/** MRGAN's networks on images: BiGAN's image encoder and the vanilla GAN's generator and discriminator(s). */
function mrganImageNetworks(data: DataShape, latentDim: number, mdgan: boolean) {
  const shape = imageShape(data);
  return {
    encoder: buildBiganEncoder({ dataShape: shape, latentDim }),
    generator: buildVanillaGenerator({ latentDim, imageShape: shape }),
    discriminator: buildVanillaDiscriminator({ imageShape: shape }),
    ...(mdgan ? { manifoldDiscriminator: buildVanillaDiscriminator({ imageShape: shape }) } : {}),
  };
}

function mrganVariant(data: DataShape, options: VariantOptions, mdgan: boolean): Game {
  if (data.kind === "images") {
    const latentDim = options.latentDim ?? 100;
    return mrganGame({ ...mrganImageNetworks(data, latentDim, mdgan), latentSize: latentDim, mdgan });
  }
  return mrganGame({ dataSize: data.shape[0], latentSize: options.latentDim ?? POINT_LATENT, hiddenSizes: pointHidden(options), mdgan });
}

/** The variants, in the order of the course. */
export const GAN_VARIANTS: readonly VariantInfo[] = Object.freeze([
  {
    name: "vanilla",
    paper: "Goodfellow et al. 2014, Generative Adversarial Nets",
    summary: "the original GAN: MLP generator and discriminator, non-saturating loss",
    kinds: ["images", "points"],
    conditional: false,
    build: (data, o) => data.kind === "images"
      ? vanillaGanSpec({ latentDim: o.latentDim, imageShape: imageShape(data) })
      : mlpGanSpec({ latentSize: o.latentDim ?? POINT_LATENT, dataSize: data.shape[0], hiddenSizes: pointHidden(o) }),
  },
  {
    name: "dcgan",
    paper: "Radford, Metz & Chintala 2016, Unsupervised Representation Learning with Deep Convolutional GANs",
    summary: "convolutional generator and discriminator with batch normalisation",
    kinds: ["images"],
    conditional: false,
    build: (data, o) => dcganSpec({ latentDim: o.latentDim, imageShape: imageShape(data) }),
  },
  {
    name: "cgan",
    paper: "Mirza & Osindero 2014, Conditional Generative Adversarial Nets",
    summary: "conditional GAN: generator and discriminator both see the class label",
    kinds: ["images", "points"],
    conditional: true,
    build: (data, o) => data.kind === "images"
      ? cganSpec({ latentDim: o.latentDim, imageShape: imageShape(data), numClasses: data.numClasses })
      : pointCgan(data, o.latentDim ?? POINT_LATENT, o),
  },
  {
    name: "acgan",
    paper: "Odena, Olah & Shlens 2017, Conditional Image Synthesis with Auxiliary Classifier GANs",
    summary: "conditional generator; the discriminator also predicts the class of every image",
    kinds: ["images"],
    conditional: true,
    trunks: ["conv", "mlp"],
    build: (data, o) => acganSpec({
      latentDim: o.latentDim, imageShape: imageShape(data), numClasses: data.numClasses, trunk: o.trunk as "conv" | "mlp" | undefined,
    }),
  },
  {
    name: "wgan",
    paper: "Arjovsky, Chintala & Bottou 2017, Wasserstein GAN",
    summary: "Wasserstein critic kept Lipschitz by weight clipping; 5 critic steps per G step, RMSProp",
    kinds: ["images", "points"],
    conditional: false,
    trunks: ["mlp", "conv"],
    build: (data, o) => data.kind === "images"
      ? wganSpec({ latentDim: o.latentDim, imageShape: imageShape(data), trunk: o.trunk as "mlp" | "conv" | undefined })
      : wganSpec({ ...pointNetworks(data, o.latentDim ?? POINT_LATENT, o), latentDim: o.latentDim ?? POINT_LATENT }),
  },
  {
    name: "wgan-gp",
    paper: "Gulrajani et al. 2017, Improved Training of Wasserstein GANs",
    summary: "Wasserstein critic kept 1-Lipschitz by a gradient penalty; Adam, 5 critic steps",
    kinds: ["images", "points"],
    conditional: false,
    trunks: ["mlp", "conv"],
    build: (data, o) => data.kind === "images"
      ? wganGpSpec({ latentDim: o.latentDim, imageShape: imageShape(data), trunk: o.trunk as "mlp" | "conv" | undefined })
      : wganGpSpec({
        ...pointNetworks(data, o.latentDim ?? POINT_LATENT, o), latentDim: o.latentDim ?? POINT_LATENT, penaltyWeight: TOY_PENALTY_WEIGHT,
      }),
  },
  {
    name: "sngan",
    paper: "Miyato, Kataoka, Koyama & Yoshida 2018, Spectral Normalization for GANs",
    summary: "every critic layer divided by its spectral norm; hinge loss, 5 critic steps",
    kinds: ["images"],
    conditional: false,
    trunks: ["conv", "mlp"],
    build: (data, o) => snganSpec({ latentDim: o.latentDim, imageShape: imageShape(data), trunk: o.trunk as "conv" | "mlp" | undefined }),
  },
  {
    name: "bigan",
    paper: "Donahue, Krähenbühl & Darrell 2017, Adversarial Feature Learning (= ALI, Dumoulin et al. 2017)",
    summary: "an encoder beside the generator; the discriminator judges (x, z) pairs",
    kinds: ["images", "points"],
    conditional: false,
    build: (data, o) => data.kind === "images"
      ? biganGame({ dataShape: data.shape, latentDim: o.latentDim })
      : biganGame({ dataShape: data.shape, latentDim: o.latentDim ?? POINT_LATENT, hiddenSizes: pointHidden(o) }),
  },
  {
    name: "vae-gan",
    paper: "Larsen, Sønderby, Larochelle & Winther 2016, Autoencoding beyond pixels using a learned similarity metric",
    summary: "a VAE whose reconstruction error is measured in the discriminator's features",
    kinds: ["images"],
    conditional: false,
    build: (data, o) => vaeGanGame({ imageShape: imageShape(data), latentDim: o.latentDim }),
  },
  {
    name: "vae",
    paper: "Kingma & Welling 2014, Auto-Encoding Variational Bayes",
    summary: "the plain variational autoencoder VAE-GAN starts from (no discriminator), for comparison",
    kinds: ["images"],
    conditional: false,
    build: (data, o) => vaeGame({ imageShape: imageShape(data), latentDim: o.latentDim }),
  },
  {
    name: "feature-matching",
    paper: "Salimans et al. 2016, Improved Techniques for Training GANs (section 3.1)",
    summary: "the generator matches the mean of D's last hidden layer on real and generated batches",
    kinds: ["images", "points"],
    conditional: false,
    build: (data, o) => {
      const latentDim = o.latentDim ?? (data.kind === "images" ? 100 : POINT_LATENT);
      const generator = data.kind === "images"
        ? buildVanillaGenerator({ latentDim, imageShape: imageShape(data) })
        : mlpGenerator({ latentSize: latentDim, dataSize: data.shape[0], hiddenSizes: pointHidden(o) });
      return featureMatchingGame({ generator, discriminator: discriminatorWithFeatures(data, o), latent: normalLatent(latentDim) });
    },
  },
  {
    name: "pacgan",
    paper: "Lin, Khetan, Fanti & Oh 2018, PacGAN: The power of two samples in GANs",
    summary: `the discriminator judges packs of ${PACKING} samples at once, which penalises mode collapse`,
    kinds: ["images", "points"],
    conditional: false,
    batchMultiple: PACKING,
    build: (data, o) => {
      if (data.kind === "points") {
        return pacMlpGanSpec({ latentSize: o.latentDim ?? POINT_LATENT, dataSize: data.shape[0], hiddenSizes: pointHidden(o), packing: PACKING });
      }
      const [h, w, c] = imageShape(data);
      // The vanilla GAN with a discriminator whose input has PACKING × the channels: packs lie side by side there.
      const discriminator = buildVanillaDiscriminator({ imageShape: [h, w, PACKING * c] });
      return pacganSpec(vanillaGanSpec({ latentDim: o.latentDim, imageShape: [h, w, c], discriminator }), { packing: PACKING });
    },
  },
  {
    name: "mrgan",
    paper: "Che, Li, Jacob, Bengio & Li 2017, Mode Regularized GANs",
    summary: "an encoder, and geometric and mode regularisers that pull G towards every mode of the data",
    kinds: ["images", "points"],
    conditional: false,
    build: (data, o) => mrganVariant(data, o, false),
  },
  {
    name: "mdgan",
    paper: "Che, Li, Jacob, Bengio & Li 2017, Mode Regularized GANs (section 3.3)",
    summary: "MRGAN's manifold-diffusion training: a second discriminator for the reconstructions",
    kinds: ["images", "points"],
    conditional: false,
    build: (data, o) => mrganVariant(data, o, true),
  },
] satisfies VariantInfo[]);

/** The names of the variants, in the course's order. */
export function variantNames(): string[] {
  return GAN_VARIANTS.map((v) => v.name);
}

/** A variant by name, or an error naming the valid ones. */
export function getVariant(name: string): VariantInfo {
  const variant = GAN_VARIANTS.find((v) => v.name === name);
  if (!variant) throw new Error(`unknown variant "${name}"; the variants are ${variantNames().join(", ")}.`);
  return variant;
}

/** A dataset by name, or an error naming the valid ones. */
export function getDataset(name: string): DatasetInfo {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown dataset "${name}"; the datasets are ${DATASET_NAMES.join(", ")}.`);
  }
  return TRAINING_DATASETS[name as DatasetName];
}

/** The datasets a variant trains on. */
export function supportedDatasets(variant: VariantInfo | string): DatasetName[] {
  const v = typeof variant === "string" ? getVariant(variant) : variant;
  return DATASET_NAMES.filter((d) => v.kinds.includes(TRAINING_DATASETS[d].kind));
}

const KIND_WORDS: Record<DataKind, string> = { images: "images", points: "2-D points" };

/**
 * Checks that `variant` trains on `data` with `options`, and throws an error that says which datasets or
 * option values it does take otherwise. `dataName` names the data in the message.
 */
export function checkVariant(variant: VariantInfo, data: DataShape, options: VariantOptions = {}, dataName?: string): void {
  const what = dataName ? `"${dataName}" (${KIND_WORDS[data.kind]})` : KIND_WORDS[data.kind];
  if (!variant.kinds.includes(data.kind)) {
    throw new Error(`variant "${variant.name}" does not train on ${what}; it trains on ${supportedDatasets(variant).join(", ")}.`);
  }
  if (options.latentDim !== undefined && !(Number.isInteger(options.latentDim) && options.latentDim > 0)) {
    throw new Error(`latentDim must be a positive integer, got ${options.latentDim}.`);
  }
  if (options.hiddenSizes !== undefined) {
    const h = options.hiddenSizes;
    if (!Array.isArray(h) || h.length === 0 || !h.every((n) => Number.isInteger(n) && n > 0)) {
      throw new Error(`hiddenSizes must be a non-empty list of positive integers (one width per hidden layer), got ${JSON.stringify(h)}.`);
    }
    if (data.kind !== "points") {
      throw new Error(`hiddenSizes sets the MLPs on 2-D points; on ${what} "${variant.name}" builds its chapter's networks${variant.trunks ? " (choose them with trunk)" : ""}.`);
    }
  }
  if (options.trunk !== undefined) {
    const offer = GAN_VARIANTS.filter((v) => v.trunks).map((v) => v.name).join(", ");
    if (!variant.trunks) throw new Error(`variant "${variant.name}" has no choice of trunk (${offer} have one).`);
    if (data.kind !== "images") throw new Error(`the trunk is a choice for images; on ${what} "${variant.name}" uses MLPs.`);
    if (!variant.trunks.includes(options.trunk)) {
      throw new Error(`variant "${variant.name}" has no trunk "${options.trunk}"; its trunks are ${variant.trunks.join(", ")}.`);
    }
  }
}

/**
 * Builds a variant by name for a dataset (by name, or any data shape): the `GanSpec` or `Game` to hand to
 * `train()`. Throws, naming what it does take, for a variant that does not train on that data or an option it
 * does not have.
 */
export function buildVariant(name: string, data: DatasetName | DataShape, options: VariantOptions = {}): GanSpec | Game {
  const variant = getVariant(name);
  const shape = typeof data === "string" ? getDataset(data) : data;
  checkVariant(variant, shape, options, typeof data === "string" ? data : undefined);
  return variant.build(shape, options);
}

/** The named networks of a built variant. */
export function variantNetworks(gan: GanSpec | Game): Record<string, Network> {
  return isGame(gan) ? gan.networks : { generator: gan.generator, discriminator: gan.discriminator };
}

/** Frees the weights of a built variant's networks (those that are tf.LayersModels, which all registry builds are). */
export function disposeVariant(gan: GanSpec | Game): void {
  for (const net of Object.values(variantNetworks(gan))) {
    const model = net as Partial<tf.LayersModel>;
    if (typeof model.dispose === "function") model.dispose();
  }
}
