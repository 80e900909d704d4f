/**
 * The classic two-player GAN, written the short way: a `GanSpec` names a generator, a discriminator, a latent
 * sampler, an objective (the loss pair on logits, from `lib/losses`) and the hooks its paper changes — extra
 * loss terms (a gradient penalty, Gulrajani et al. 2017; ACGAN's class terms, Odena et al. 2017), weight
 * clipping after each critic update (WGAN, Arjovsky et al. 2017), conditioning inputs (CGAN, Mirza & Osindero
 * 2014). A variant also owns its defaults: its objective, its optimizers and its schedule (k discriminator
 * updates per generator update, Goodfellow et al. 2014, Algorithm 1, or a function of the step).
 * `gameFromSpec` compiles it into the two players of a `Game` (types.ts), which is what `train()` runs.
 */
import * as tf from "@tensorflow/tfjs";
import { nextSeed } from "../engine/seed";
import { adam } from "../engine/optimizers";
import { ganLoss } from "../losses";
import {
  asScalar, Batch, describeValue, Game, LatentBatch, LatentSampler, LossTerms, Network, OptimizerChoice, Player,
  PlayerContext, toLatentBatch, trainableVariables,
} from "./types";

/**
 * The loss pair on logits; `lib/losses`' `GAN_LOSSES[name]` entries have this shape. Each must return a scalar
 * (the mean over the batch).
 */
export interface GanObjective {
  discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Tensor;
  generatorLoss(fakeLogits: tf.Tensor): tf.Tensor;
  /** True for critic-style objectives (Wasserstein, hinge, least squares): D's outputs are scores, not logits of a probability. */
  critic?: boolean;
}

/** A GanObjective from itself or from a `GAN_LOSSES` name ("non-saturating", "wasserstein", ...). */
export function resolveObjective(objective: GanObjective | string = "non-saturating"): GanObjective {
  if (typeof objective === "string") return ganLoss(objective);
  if (objective == null || typeof objective.discriminatorLoss !== "function" || typeof objective.generatorLoss !== "function") {
    throw new Error(
      "train: gan.objective needs discriminatorLoss(real, fake) and generatorLoss(fake), or a GAN_LOSSES name " +
        "such as \"non-saturating\".",
    );
  }
  return objective;
}

/** What the discriminator returned: the adversarial logits and any auxiliary heads (ACGAN's classes). */
export interface DiscriminatorOutput {
  logits: tf.Tensor;
  aux: tf.Tensor[];
}

/** What an extra discriminator loss term can see (all tensors belong to the step; do not dispose them). */
export interface DiscriminatorStepContext {
  /** The step being run (1-based). */
  step: number;
  real: Batch;
  latent: LatentBatch;
  /** G(z): a constant for this update (the generator is not what this player trains). */
  fake: tf.Tensor;
  realOutput: DiscriminatorOutput;
  fakeOutput: DiscriminatorOutput;
  /** Runs the discriminator (in training mode) on other inputs, e.g. WGAN-GP's interpolates. */
  discriminate(x: tf.Tensor, labels?: tf.Tensor): DiscriminatorOutput;
  /** Runs any network of the game by name ("generator", "discriminator"). */
  run: PlayerContext["run"];
}

/** What an extra generator loss term can see: also the real batch (feature matching compares with it). */
export interface GeneratorStepContext {
  step: number;
  real: Batch;
  latent: LatentBatch;
  fake: tf.Tensor;
  fakeOutput: DiscriminatorOutput;
  /** Runs the discriminator (in training mode), e.g. on the real batch for feature matching. */
  discriminate(x: tf.Tensor, labels?: tf.Tensor): DiscriminatorOutput;
  run: PlayerContext["run"];
}

/** A two-player GAN variant: the networks, the noise, the objective, its defaults and the hooks its paper changes. */
export interface GanSpec {
  generator: Network;
  discriminator: Network;
  latent: LatentSampler;
  /**
   * The loss pair, or the name of one in `GAN_LOSSES` ("minimax", "non-saturating", "wasserstein", ...).
   * Default "non-saturating" (Goodfellow et al. 2014, section 3: the generator cost that does not saturate).
   */
  objective?: GanObjective | string;
  /** Report raw mean scores instead of mean sigmoid probabilities (default: the objective's `critic` flag). */
  critic?: boolean;
  /** How G turns a latent batch into samples. Default: `G.apply(labels ? [z, labels] : z)`. */
  generate?(generator: Network, latent: LatentBatch, training: boolean): tf.Tensor;
  /**
   * How D scores samples. Default: `D.apply(labels ? [x, labels] : x)`; an array output is read as
   * [logits, ...auxiliary heads].
   */
  discriminate?(
    discriminator: Network,
    x: tf.Tensor,
    labels: tf.Tensor | undefined,
    training: boolean,
  ): tf.Tensor | tf.Tensor[] | DiscriminatorOutput;
  /** Named terms added to the discriminator's loss (a gradient penalty, ACGAN's class terms). */
  extraDiscriminatorLoss?(context: DiscriminatorStepContext): LossTerms;
  /** Named terms added to the generator's loss (ACGAN's class term, feature matching). */
  extraGeneratorLoss?(context: GeneratorStepContext): LossTerms;
  /** Runs after each discriminator update (WGAN's weight clipping: see `clipWeights`). */
  afterDiscriminatorStep?(discriminator: Network, step: number): void;
  /** k, discriminator updates per generator update, or a function of the step. Default 1. */
  discriminatorSteps?: number | ((step: number) => number);
  /** The variant's optimizers (instances or factories). Default Adam(2e-4, β1 0.5) for each. */
  optimizers?: { generator?: OptimizerChoice; discriminator?: OptimizerChoice };
}

/** The default optimizer of each player: Adam, lr 2e-4, β1 = 0.5 (Radford et al. 2016, DCGAN). */
export function defaultGanOptimizer(): tf.Optimizer {
  // tsgan's fused Adam: the same float32 arithmetic as tf.train.adam, one kernel per variable instead of ~10.
  return adam(2e-4, 0.5);
}

/** A sampler of standard normal noise vectors of `size`, seeded from tsgan's stream. */
export function normalLatent(size: number): LatentSampler {
  if (!Number.isInteger(size) || size <= 0) {
    throw new Error(`normalLatent: size must be a positive integer, got ${size}.`);
  }
  return (batchSize: number) => tf.randomNormal([batchSize, size], 0, 1, "float32", nextSeed());
}

/** WGAN's Lipschitz constraint by clipping (Arjovsky et al. 2017, Algorithm 1): every weight into [-c, c]. */
export function clipWeights(network: Network, c: number): void {
  tf.tidy(() => {
    for (const v of trainableVariables(network, "clipWeights")) v.assign(tf.clipByValue(v, -c, c));
  });
}

function toDiscriminatorOutput(out: unknown): DiscriminatorOutput {
  if (out instanceof tf.Tensor) return { logits: out, aux: [] };
  if (Array.isArray(out) && out.length > 0 && out.every((t) => t instanceof tf.Tensor)) {
    return { logits: out[0], aux: out.slice(1) };
  }
  if (out != null && (out as DiscriminatorOutput).logits instanceof tf.Tensor) {
    const o = out as DiscriminatorOutput;
    return { logits: o.logits, aux: o.aux ?? [] };
  }
  throw new Error(`discriminator returned ${describeValue(out)}; expected logits (a tf.Tensor) or [logits, ...aux].`);
}

/** G's samples for a latent batch, through the variant's `generate` hook when it has one. */
export function generateSamples(gan: GanSpec, latent: LatentBatch, training = false): tf.Tensor {
  if (gan.generate) return gan.generate(gan.generator, latent, training);
  const out = gan.generator.apply(latent.labels ? [latent.z, latent.labels] : latent.z, { training });
  if (!(out instanceof tf.Tensor)) throw new Error(`generator returned ${describeValue(out)}; expected one tf.Tensor.`);
  return out;
}

/** D's output for samples, through the variant's `discriminate` hook when it has one. */
export function discriminateSamples(
  gan: GanSpec, x: tf.Tensor, labels: tf.Tensor | undefined, training = false,
): DiscriminatorOutput {
  const out = gan.discriminate
    ? gan.discriminate(gan.discriminator, x, labels, training)
    : gan.discriminator.apply(labels ? [x, labels] : x, { training });
  return toDiscriminatorOutput(out);
}

/** The score the history records: the probability D(x) for discriminators, the raw mean for critics. */
function meanScore(logits: tf.Tensor, critic: boolean): tf.Scalar {
  return critic ? tf.mean(logits) : tf.mean(tf.sigmoid(logits));
}

/** Named terms from a hook, checked: a record of scalars whose names do not clash with the objective's. */
function hookTerms(value: unknown, hook: string): LossTerms {
  if (value instanceof tf.Tensor || value == null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(
      `${hook} returned ${describeValue(value)}; return named terms, e.g. { gradientPenalty: penalty } ` +
        "(the history records each one).",
    );
  }
  const terms = value as Record<string, unknown>;
  if ("adversarial" in terms) throw new Error(`${hook}: the term name "adversarial" is the objective's; choose another name.`);
  for (const [name, t] of Object.entries(terms)) asScalar(t, `${hook} term "${name}"`);
  return terms as LossTerms;
}

/** Caller's overrides of a spec's defaults. */
export interface GanSpecOverrides {
  discriminatorSteps?: number | ((step: number) => number);
}

/** True when `value` is a `Game` (players and networks) rather than a two-player `GanSpec`. */
export function isGame(value: GanSpec | Game): value is Game {
  return value != null && Array.isArray((value as Game).players);
}

/**
 * The two players of a GanSpec, in the order of Goodfellow et al. 2014, Algorithm 1. Round s: the
 * discriminator's k updates, each on its own real batch and its own noise; then the generator's update on a
 * fresh draw of noise (its context's `real` is the round's first batch, for terms that compare with data).
 *
 * discriminator: adversarial = objective.discriminatorLoss(D(x), D(G(z))) (+ the spec's extra terms); scores
 *   real = mean D(x), fake = mean D(G(z)) (sigmoid probabilities, or raw scores for critic objectives).
 * generator:     adversarial = objective.generatorLoss(D(G(z))) (+ extra terms); score fake = mean D(G(z)) after
 *   the discriminator's updates.
 */
export function gameFromSpec(spec: GanSpec, overrides: GanSpecOverrides = {}): Game {
  if (spec == null || typeof spec !== "object") throw new Error("train: options.gan (a GanSpec or a Game) is required.");
  if (typeof spec.latent !== "function") throw new Error("train: gan.latent must be a function (batchSize) => z.");
  const objective = resolveObjective(spec.objective);
  const critic = spec.critic ?? objective.critic ?? false;
  const discriminate = (x: tf.Tensor, labels?: tf.Tensor) => discriminateSamples(spec, x, labels, true);

  const discriminator: Player = {
    name: "discriminator",
    label: "D",
    trains: ["discriminator"],
    optimizer: spec.optimizers?.discriminator ?? defaultGanOptimizer,
    updates: overrides.discriminatorSteps ?? spec.discriminatorSteps ?? 1,
    loss: (ctx) => {
      const { real, latent, step } = ctx;
      // G(z) enters as data (the generator is not this player's to train), computed off the gradient tape.
      const fake = ctx.constant(() => generateSamples(spec, latent, true));
      const realOutput = discriminate(real.x, real.labels);
      const fakeOutput = discriminate(fake, latent.labels);
      // The scores are read, never differentiated: off the tape, they save no tensors for a backward pass.
      ctx.record("real", ctx.constant(() => meanScore(realOutput.logits, critic)));
      ctx.record("fake", ctx.constant(() => meanScore(fakeOutput.logits, critic)));
      const adversarial = asScalar(objective.discriminatorLoss(realOutput.logits, fakeOutput.logits), "objective.discriminatorLoss");
      if (!spec.extraDiscriminatorLoss) return { adversarial };
      const extra = spec.extraDiscriminatorLoss({ step, real, latent, fake, realOutput, fakeOutput, discriminate, run: ctx.run });
      return { adversarial, ...hookTerms(extra, "gan.extraDiscriminatorLoss") };
    },
    afterUpdate: spec.afterDiscriminatorStep
      ? (_networks, step) => spec.afterDiscriminatorStep?.(spec.discriminator, step)
      : undefined,
  };

  const generator: Player = {
    name: "generator",
    label: "G",
    trains: ["generator"],
    optimizer: spec.optimizers?.generator ?? defaultGanOptimizer,
    loss: (ctx) => {
      const { real, step } = ctx;
      // Fresh noise, as Algorithm 1's generator step draws (not the discriminator's batch of it).
      const latent = toLatentBatch(spec.latent(real.x.shape[0], real));
      const fake = generateSamples(spec, latent, true);
      const fakeOutput = discriminate(fake, latent.labels);
      ctx.record("fake", ctx.constant(() => meanScore(fakeOutput.logits, critic)));
      const adversarial = asScalar(objective.generatorLoss(fakeOutput.logits), "objective.generatorLoss");
      if (!spec.extraGeneratorLoss) return { adversarial };
      const extra = spec.extraGeneratorLoss({ step, real, latent, fake, fakeOutput, discriminate, run: ctx.run });
      return { adversarial, ...hookTerms(extra, "gan.extraGeneratorLoss") };
    },
  };

  return {
    networks: { generator: spec.generator, discriminator: spec.discriminator },
    players: [discriminator, generator],
    latent: spec.latent,
    sample: (latent) => generateSamples(spec, latent, false),
  };
}
