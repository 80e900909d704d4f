/**
 * PacGAN: Lin, Khetan, Fanti & Oh 2018, "PacGAN: The power of two samples in generative adversarial networks"
 * (NeurIPS; arXiv:1712.04086). What the paper changes, and all this file holds: the discriminator judges m
 * samples at once, all real or all generated, concatenated into one input ("packing", section 3). Nothing else:
 * the generator, the losses and the optimizers are the base GAN's. A generator that has collapsed onto a few
 * modes puts out packs of near-duplicates that real packs rarely are, and packing makes the divergence the
 * discriminator estimates grow faster with the mass a generator leaves out (the paper's analysis: the total
 * variation distance between the m-fold product distributions), so collapse is penalised harder.
 *
 * As the reference code (fjxmlzn/PacGAN): samples are concatenated along the feature axis for vectors (the 2-D
 * ring and grid, `tensor.concatenate(x_tildes, axis=1)` in synthetic_data_experiments/PacGAN/pacgan/bricks.py)
 * and along the channels for images (stacked MNIST, `tf.concat(self.G_sep, 3)`), and only the discriminator's
 * input becomes m times as wide. Pack k holds the consecutive examples k·m, …, k·m + m − 1 of a batch.
 *
 * Counting: here a batch of n examples gives D n/m packed inputs (the batch size must be a multiple of m). The
 * reference draws m batches of noise per step instead, so that its D sees batch_size packs of m·batch_size
 * samples: pass `batchSize: m·n` to `train()` to match it (PacGAN's 2-D experiments use 100 packs per batch).
 */
import * as tf from "@tensorflow/tfjs";
import { GanSpec, isGame } from "../train/gan-spec";
import type { Network } from "../train/types";
import { MlpActivation, mlpDiscriminator, mlpGanSpec } from "./mlp";
import { positiveOption } from "./params";
import type { SpecOverrides } from "./vanilla-gan";

export interface PacganOptions {
  /** m, the samples per discriminator input. Default 2 (PacGAN2, the paper's smallest packing). */
  packing?: number;
}

export const PACGAN_DEFAULTS = { packing: 2 };

/**
 * m examples per row: [n, ...rest, c] → [n/m, ...rest, m·c], the m consecutive examples of each pack side by
 * side on the last axis ([n, f] → [n/m, m·f] for vectors; [n, h, w, c] → [n/m, h, w, m·c] for images).
 */
export function packSamples(x: tf.Tensor, m: number): tf.Tensor {
  positiveOption(m, "packing", "packSamples", true);
  if (!(x instanceof tf.Tensor) || x.rank < 2) {
    throw new Error(
      `packSamples: expects [n, features] or [n, h, w, c] samples, got ${x instanceof tf.Tensor ? `shape [${x.shape}]` : typeof x}; ` +
        "reshape a vector of n values to [n, 1].",
    );
  }
  const [n, ...rest] = x.shape;
  if (n % m !== 0) {
    throw new Error(`packSamples: a batch of ${n} does not split into packs of ${m}; use a batch size that is a multiple of ${m}.`);
  }
  const c = rest[rest.length - 1], inner = rest.slice(0, -1);
  return tf.tidy(() => {
    if (inner.length === 0) return tf.reshape(x, [n / m, m * c]); // row-major: the m rows of a pack, end to end
    // [n/m, m, ...inner, c] → move the pack's member axis next to the channels → [n/m, ...inner, m, c] → merge.
    const grouped = tf.reshape(x, [n / m, m, ...inner, c]);
    const perm = [0, ...inner.map((_, i) => i + 2), 1, inner.length + 2];
    return tf.reshape(tf.transpose(grouped, perm), [n / m, ...inner, m * c]);
  });
}

/**
 * Labels packed like their samples, so a conditional D sees the m labels of its m samples: [n] class ids become
 * [n/m, m], [n, k] one-hot rows become [n/m, m·k].
 */
export function packLabels(labels: tf.Tensor, m: number): tf.Tensor {
  return labels.rank === 1 ? tf.tidy(() => packSamples(tf.expandDims(labels, 1), m)) : packSamples(labels, m);
}

/** The input shape a network declares (a tf.LayersModel's first input), or null when it declares none. */
function declaredInputShape(network: Network): (number | null)[] | null {
  const inputs = (network as unknown as { inputs?: { shape: (number | null)[] }[] }).inputs;
  return Array.isArray(inputs) && inputs.length > 0 && Array.isArray(inputs[0].shape) ? inputs[0].shape : null;
}

function widthFix(m: number, width: number): string {
  return `build it with inputs ${m}× as wide as one sample (${width}): pacMlpGanSpec, mlpDiscriminator({ dataSize: ${width} }), ` +
    `or an image discriminator of ${width} channels`;
}

/**
 * A PacGAN of a two-player spec: the same spec, whose discriminator sees packs of m samples. The `discriminate`
 * hook (the spec's own, or the default `D.apply`) is called on `packSamples(x, m)` and, for conditional specs,
 * on `packLabels(labels, m)`; for unconditional ones the labels stay undefined. Every other hook is kept, and
 * sees D's outputs per pack ([n/m, 1]); hooks that call `discriminate` (WGAN-GP's penalty) get packs too.
 * The spec's discriminator must take inputs m times as wide as one sample (`pacMlpGanSpec` builds one).
 */
export function pacganSpec(spec: GanSpec, opts: PacganOptions = {}): GanSpec {
  if (spec == null || typeof spec !== "object" || isGame(spec as never)) {
    throw new Error("pacganSpec: expects a two-player GanSpec (e.g. mlpGanSpec(...)); packing a Game's players is not supported.");
  }
  const m = positiveOption(opts.packing ?? PACGAN_DEFAULTS.packing, "packing", "pacganSpec", true);
  const declared = declaredInputShape(spec.discriminator);
  const declaredWidth = declared?.[declared.length - 1];
  if (declaredWidth != null && declaredWidth % m !== 0) {
    throw new Error(
      `pacganSpec: the discriminator takes inputs of width ${declaredWidth}, which is not a multiple of the packing ${m}: ` +
        `a packed input is ${m} samples side by side; build it with ${m} × the data size (pacMlpGanSpec, or ` +
        `mlpDiscriminator({ dataSize: ${m} * dataSize })).`,
    );
  }
  const inner = spec.discriminate
    ?? ((d: Network, x: tf.Tensor, labels: tf.Tensor | undefined, training: boolean) => d.apply(labels ? [x, labels] : x, { training }) as tf.Tensor | tf.Tensor[]);
  return {
    ...spec,
    discriminate: (discriminator, x, labels, training) => {
      const packed = packSamples(x, m);
      if (declaredWidth != null && declared !== null) {
        const want = declared.slice(1), got = packed.shape.slice(1);
        if (want.length !== got.length || want.some((d, i) => d != null && d !== got[i])) {
          const sample = x.shape.slice(1);
          packed.dispose();
          throw new Error(
            `pacganSpec: the discriminator takes inputs [${want.map((d) => d ?? "?")}], but packs of ${m} samples of shape [${sample}] ` +
              `are [${got}]; ${widthFix(m, m * sample[sample.length - 1])}.`,
          );
        }
      }
      return inner(discriminator, packed, labels ? packLabels(labels, m) : undefined, training);
    },
  };
}

export interface PacMlpGanSpecOptions extends SpecOverrides<tf.LayersModel>, PacganOptions {
  /** Size of the noise vector z. Default 8 (mlpGanSpec's). */
  latentSize?: number;
  /** Size of ONE example (2 for the ring and grid); the discriminator takes packing × dataSize. Default 1. */
  dataSize?: number;
  /** Hidden layers of both networks. Default [32, 32]. */
  hiddenSizes?: number[];
  activation?: MlpActivation;
}

/**
 * A toy PacGAN of two MLPs (the paper's 2-D ring and grid use MLPs, after the VEEGAN experiments):
 * `mlpGanSpec`'s generator and a `mlpDiscriminator` with packing·dataSize inputs, packed by `pacganSpec`.
 */
export function pacMlpGanSpec(opts: PacMlpGanSpecOptions = {}): GanSpec {
  const m = positiveOption(opts.packing ?? PACGAN_DEFAULTS.packing, "packing", "pacMlpGanSpec", true);
  const dataSize = positiveOption(opts.dataSize ?? 1, "dataSize", "pacMlpGanSpec", true);
  const discriminator = opts.discriminator
    ?? mlpDiscriminator({ dataSize: m * dataSize, hiddenSizes: opts.hiddenSizes, activation: opts.activation });
  return pacganSpec(mlpGanSpec({ ...opts, dataSize, discriminator }), { packing: m });
}
