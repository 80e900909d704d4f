/**
 * One training loop for every GAN of the course.
 *
 * A variant is described by a `GanSpec`: two networks, a latent sampler, an objective (the loss pair on
 * logits, from `lib/losses`) and optional hooks for what its paper changes — an extra discriminator loss term
 * (WGAN-GP's gradient penalty, Gulrajani et al. 2017), weight clipping after the critic step (WGAN, Arjovsky
 * et al. 2017), conditioning inputs (CGAN, Mirza & Osindero 2014), auxiliary outputs (ACGAN, Odena et al.
 * 2017). `train()` owns everything outside those: k discriminator steps per generator step (Goodfellow et al.
 * 2014, Algorithm 1), an optimizer per player, the history, callbacks, the NaN/Inf guard, seeding and
 * checkpoints. The split follows TF-GAN (GANModel → GANLoss → GANTrainOps) and Mimicry's Trainer.
 *
 * Reproducibility: generator step s reseeds every random source with a seed derived from (run seed, s), so
 * each step is a pure function of the weights, the optimizer state and the data batches it gets. A run
 * resumed from a checkpoint therefore continues exactly as the uninterrupted run would have, provided the
 * data source is a function of the batch index (as `shuffledBatches` is).
 */
import * as tf from "@tensorflow/tfjs";
import { seed as seedEverything, currentSeedValue, nextSeed } from "../engine/seed";
import { adam } from "../engine/optimizers";
import type { Batch, BatchSource } from "./batches";
import type { TrainCallback } from "./callbacks";
import { saveCheckpoint, restoreCheckpoint } from "./checkpoint";
import { ganLoss } from "../losses";

export { shuffledBatches } from "./batches";
export type { Batch, BatchSource, ShuffledBatchesOptions } from "./batches";

/**
 * A player: a `tf.LayersModel`, or anything with `apply` and `trainableWeights` (tf.Variables or
 * LayerVariables). `apply(inputs, {training: true})` is how the loop calls it, so dropout and batch
 * normalisation run in training mode during the updates.
 */
export interface Network {
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: { training?: boolean }): unknown;
  readonly trainableWeights: ReadonlyArray<tf.Variable | { read(): tf.Tensor }>;
}

/** A draw of the generator's input: noise `z` and, for conditional variants, the labels to generate. */
export interface LatentBatch {
  z: tf.Tensor;
  labels?: tf.Tensor;
}

/** Draws `batchSize` generator inputs. Use `nextSeed()` for tf random ops so runs are reproducible. */
export type LatentSampler = (batchSize: number) => tf.Tensor | LatentBatch;

/**
 * The loss pair on logits; `lib/losses`' `GAN_LOSSES[name]` entries have this shape. Each must return a
 * scalar (the mean over the batch).
 */
export interface GanObjective {
  discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Tensor;
  generatorLoss(fakeLogits: tf.Tensor): tf.Tensor;
  /** True for critics (WGAN): their outputs are scores, not logits of a probability. */
  critic?: boolean;
}

/** Objectives whose discriminator is a critic (unbounded scores): the history reports raw means. */
const CRITIC_OBJECTIVES = new Set(["wasserstein"]);

/** A GanObjective from itself or from a `GAN_LOSSES` name ("non-saturating", "wasserstein", ...). */
export function resolveObjective(objective: GanObjective | string = "non-saturating"): GanObjective {
  if (typeof objective === "string") {
    const pair = ganLoss(objective);
    return { ...pair, critic: CRITIC_OBJECTIVES.has(objective) };
  }
  if (objective == null || typeof objective.discriminatorLoss !== "function"
    || typeof objective.generatorLoss !== "function") {
    throw new Error(
      "train: gan.objective needs discriminatorLoss(real, fake) and generatorLoss(fake), or a GAN_LOSSES name " +
        "such as \"non-saturating\".",
    );
  }
  return objective;
}

/** Checks that a loss came back as a scalar, naming the function when it did not. */
function asScalar(loss: tf.Tensor, what: string): tf.Scalar {
  if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
    const shape = loss instanceof tf.Tensor ? `shape [${loss.shape}]` : typeof loss;
    throw new Error(`${what} returned ${shape}; it must return a scalar (reduce over the batch, e.g. reduction "mean").`);
  }
  return loss as tf.Scalar;
}

/** What the discriminator returned: the adversarial logits and any auxiliary heads (ACGAN's classes). */
export interface DiscriminatorOutput {
  logits: tf.Tensor;
  aux: tf.Tensor[];
}

/** What an extra discriminator loss term can see (all tensors belong to the step; do not dispose them). */
export interface DiscriminatorStepContext {
  /** The generator step being run (1-based). */
  step: number;
  real: Batch;
  latent: LatentBatch;
  /** G(z), computed before the update and held constant during it. */
  fake: tf.Tensor;
  realOutput: DiscriminatorOutput;
  fakeOutput: DiscriminatorOutput;
  /** Runs the discriminator (in training mode) on other inputs, e.g. WGAN-GP's interpolates. */
  discriminate(x: tf.Tensor, labels?: tf.Tensor): DiscriminatorOutput;
}

/** What an extra generator loss term can see. */
export interface GeneratorStepContext {
  step: number;
  latent: LatentBatch;
  fake: tf.Tensor;
  fakeOutput: DiscriminatorOutput;
}

/** A GAN variant: the networks, the noise, the objective and the hooks its paper changes. */
export interface GanSpec {
  generator: Network;
  discriminator: Network;
  latent: LatentSampler;
  /**
   * The loss pair, or the name of one in `GAN_LOSSES` ("minimax", "non-saturating", "wasserstein", ...).
   * Default "non-saturating" (Goodfellow et al. 2014, section 3: the generator cost that does not saturate).
   */
  objective?: GanObjective | string;
  /** Report raw mean scores instead of mean sigmoid probabilities (default: `objective.critic`). */
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
  /** Added to the discriminator loss (gradient penalty, ACGAN's class loss). */
  extraDiscriminatorLoss?(context: DiscriminatorStepContext): tf.Scalar;
  /** Added to the generator loss (ACGAN's class loss, feature matching). */
  extraGeneratorLoss?(context: GeneratorStepContext): tf.Scalar;
  /** Runs after each discriminator update (WGAN's weight clipping: see `clipWeights`). */
  afterDiscriminatorStep?(discriminator: Network, step: number): void;
}

/** One optimizer per player. */
export interface GanOptimizers {
  generator: tf.Optimizer;
  discriminator: tf.Optimizer;
}

/** The metrics of one generator step. D values are means over its k discriminator steps. */
export interface StepLog {
  step: number;
  discriminatorLoss: number;
  generatorLoss: number;
  /** Mean D(x) on real data: sigmoid of the logits, or the raw critic score. */
  meanDReal: number;
  /** Mean D(G(z)) on generated data, measured in the discriminator step. */
  meanDFake: number;
  /** Global L2 norm of the discriminator's gradient. */
  discriminatorGradNorm: number;
  generatorGradNorm: number;
}

/** The training history as plain arrays (JSON-serialisable), one entry per recorded step. */
export interface TrainHistory {
  step: number[];
  discriminatorLoss: number[];
  generatorLoss: number[];
  meanDReal: number[];
  meanDFake: number[];
  discriminatorGradNorm: number[];
  generatorGradNorm: number[];
}

export const HISTORY_KEYS = [
  "step",
  "discriminatorLoss",
  "generatorLoss",
  "meanDReal",
  "meanDFake",
  "discriminatorGradNorm",
  "generatorGradNorm",
] as const;

export function emptyHistory(): TrainHistory {
  return {
    step: [], discriminatorLoss: [], generatorLoss: [], meanDReal: [], meanDFake: [],
    discriminatorGradNorm: [], generatorGradNorm: [],
  };
}

export interface TrainOptions {
  gan: GanSpec;
  /** Real data: a function of (batchSize, batchIndex), an iterator, or `shuffledBatches(x, labels)`. */
  data: BatchSource;
  /** Total generator steps. A resumed run continues until the step counter reaches this. */
  steps: number;
  /** Examples per batch, for real and generated data alike. Default 64. */
  batchSize?: number;
  /** k, discriminator updates per generator update (Goodfellow et al. 2014, Algorithm 1; WGAN uses 5). Default 1. */
  discriminatorSteps?: number;
  /** Default: Adam with learning rate 2e-4 and β1 = 0.5 for each player (Radford et al. 2016), fused (engine/optimizers). */
  optimizers?: Partial<GanOptimizers>;
  /** Seed of the run. Default: the value last passed to `seed()`, else a random one (recorded in the result). */
  seed?: number;
  /** Record the history every this many steps. Default 1. */
  historyEvery?: number;
  /** Generator steps per epoch, for callbacks' `onEpochEnd`. Default: no epochs. */
  stepsPerEpoch?: number;
  callbacks?: TrainCallback[];
  /** Directory for checkpoints (created if missing). */
  checkpointDir?: string;
  /** Save a checkpoint every this many steps (and at the end). Default: only at the end. */
  checkpointEvery?: number;
  /** How many checkpoints to keep in `checkpointDir`. Default 2. */
  keepCheckpoints?: number;
  /** Continue from the latest checkpoint in this directory (see `resume`). */
  resumeFrom?: string;
}

/** What callbacks see: read the numbers, or call `stop()` to end training after this step. */
export interface TrainState {
  readonly step: number;
  readonly totalSteps: number;
  readonly history: TrainHistory;
  readonly gan: GanSpec;
  readonly optimizers: GanOptimizers;
  readonly batchSize: number;
  readonly seed: number;
  /** Ends training after the current step (early stopping, a notebook's stop button). */
  stop(): void;
}

export interface TrainResult {
  history: TrainHistory;
  /** Generator steps completed in total (including those before a resume). */
  step: number;
  /** True when a callback called `stop()`. */
  stopped: boolean;
  seed: number;
  optimizers: GanOptimizers;
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

/** The seed of generator step `step` of a run: a 32-bit mix of both, so nearby steps get unrelated streams. */
export function stepSeed(runSeed: number, step: number): number {
  let h = (Math.floor(runSeed) ^ Math.imul(step + 0x632be5ab, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The tf.Variables behind a network's trainable weights. */
export function trainableVariables(network: Network, who = "network"): tf.Variable[] {
  if (network == null || !Array.isArray(network.trainableWeights)) {
    throw new Error(`${who}: expected a tf.LayersModel or an object with trainableWeights; got ${typeof network}.`);
  }
  return network.trainableWeights.map((w, i) => {
    const v = w instanceof tf.Variable ? w : (w as { read(): tf.Tensor }).read();
    if (!(v instanceof tf.Variable)) {
      throw new Error(`${who}: trainableWeights[${i}] is not a tf.Variable or LayerVariable.`);
    }
    return v;
  });
}

/** WGAN's Lipschitz constraint by clipping (Arjovsky et al. 2017, Algorithm 1): every weight into [-c, c]. */
export function clipWeights(network: Network, c: number): void {
  tf.tidy(() => {
    for (const v of trainableVariables(network, "clipWeights")) v.assign(tf.clipByValue(v, -c, c));
  });
}

export function toLatentBatch(value: tf.Tensor | LatentBatch): LatentBatch {
  if (value instanceof tf.Tensor) return { z: value };
  if (value != null && value.z instanceof tf.Tensor) return value;
  throw new Error("gan.latent must return a tf.Tensor or {z, labels?}; got " + describe(value));
}

function toBatch(value: unknown): Batch {
  if (value instanceof tf.Tensor) return { x: value };
  if (value != null && (value as Batch).x instanceof tf.Tensor) return value as Batch;
  throw new Error(`data: the batch source returned ${describe(value)}; return a tf.Tensor or {x, labels?}.`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `an object with keys [${Object.keys(value as object).join(", ")}]` : typeof value;
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
  throw new Error(`discriminator returned ${describe(out)}; expected logits (a tf.Tensor) or [logits, ...aux].`);
}

/** G's samples for a latent batch, through the variant's `generate` hook when it has one. */
export function generateSamples(gan: GanSpec, latent: LatentBatch, training = false): tf.Tensor {
  if (gan.generate) return gan.generate(gan.generator, latent, training);
  const out = gan.generator.apply(latent.labels ? [latent.z, latent.labels] : latent.z, { training });
  if (!(out instanceof tf.Tensor)) throw new Error(`generator returned ${describe(out)}; expected one tf.Tensor.`);
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

/** Turns any BatchSource into a function of (batchSize, batchIndex). */
function batchReader(source: BatchSource): (batchSize: number, index: number) => Batch {
  if (typeof source === "function") return (n, i) => toBatch(source(n, i));
  let iterator: Iterator<tf.Tensor | Batch>;
  if (source != null && typeof (source as Iterator<unknown>).next === "function") {
    iterator = source as Iterator<tf.Tensor | Batch>;
  } else if (source != null && typeof (source as Iterable<unknown>)[Symbol.iterator] === "function") {
    iterator = (source as Iterable<tf.Tensor | Batch>)[Symbol.iterator]();
  } else {
    throw new Error("train: `data` must be a function (batchSize, batchIndex) => batch, an iterator or an iterable.");
  }
  let drawn = 0;
  return () => {
    const r = iterator.next();
    if (r.done) {
      throw new Error(`data: the iterator ran out after ${drawn} batches; give more data or fewer steps.`);
    }
    drawn++;
    return toBatch(r.value);
  };
}

/** sqrt(Σ‖g‖²) over all gradient tensors. */
function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
}

/** The guard's message: where it broke and what to try. */
function nonFiniteMessage(step: number, player: string, loss: number, gradNorm: number): string {
  const what = Number.isFinite(loss) ? `gradient norm is ${gradNorm} (loss ${loss})` : `loss is ${loss} (gradient norm ${gradNorm})`;
  return (
    `step ${step}: ${player} ${what}; the update was not applied. Lower the learning rate, check the data ` +
    "for NaN/Inf, use a numerically stable loss on logits, or normalise the inputs."
  );
}

interface PlayerStats {
  loss: number;
  gradNorm: number;
  meanReal: number;
  meanFake: number;
}

/** Shared state of one run, built once by `train`. */
interface Run {
  gan: GanSpec;
  objective: GanObjective;
  optimizers: GanOptimizers;
  batchSize: number;
  critic: boolean;
  read: (batchSize: number, index: number) => Batch;
  dVars: tf.Variable[];
  gVars: tf.Variable[];
}

/** The score the history reports: probability D(x) for discriminators, the raw mean for critics. */
function meanScore(logits: tf.Tensor, critic: boolean): tf.Scalar {
  return critic ? tf.mean(logits) : tf.mean(tf.sigmoid(logits));
}

/**
 * Applies `grads` unless the loss or gradient norm is not finite, in which case it throws the guard's error.
 * Always disposes the gradients.
 */
function applyIfFinite(
  optimizer: tf.Optimizer, grads: tf.NamedTensorMap, stats: PlayerStats, step: number, player: string,
): void {
  try {
    if (!Number.isFinite(stats.loss) || !Number.isFinite(stats.gradNorm)) {
      throw new Error(nonFiniteMessage(step, player, stats.loss, stats.gradNorm));
    }
    tf.tidy(() => optimizer.applyGradients(grads));
  } finally {
    tf.dispose(Object.values(grads));
  }
}

/** Reads [loss, gradNorm, meanReal, meanFake] in one device sync and frees the tensor. */
function readStats(stats: tf.Tensor): PlayerStats {
  const [loss, gradNorm, meanReal, meanFake] = Array.from(stats.dataSync());
  stats.dispose();
  return { loss, gradNorm, meanReal, meanFake };
}

/** One discriminator update on one real batch and one fresh fake batch. */
function discriminatorUpdate(run: Run, step: number, batchIndex: number): PlayerStats {
  const { gan } = run;
  const real = run.read(run.batchSize, batchIndex);
  try {
    const { stats, grads } = tf.tidy(() => {
      const latent = toLatentBatch(gan.latent(run.batchSize));
      // G(z) is computed outside the gradient closure: the discriminator's update treats it as data.
      const fake = generateSamples(gan, latent, true);
      let scores: tf.Tensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const discriminate = (x: tf.Tensor, labels?: tf.Tensor) => discriminateSamples(gan, x, labels, true);
        const realOutput = discriminate(real.x, real.labels);
        const fakeOutput = discriminate(fake, latent.labels);
        // keep() lets the scores outlive variableGrads' inner tidy; they are disposed below.
        scores = [tf.keep(meanScore(realOutput.logits, run.critic)), tf.keep(meanScore(fakeOutput.logits, run.critic))];
        let loss: tf.Tensor = asScalar(
          run.objective.discriminatorLoss(realOutput.logits, fakeOutput.logits), "objective.discriminatorLoss");
        if (gan.extraDiscriminatorLoss) {
          const context = { step, real, latent, fake, realOutput, fakeOutput, discriminate };
          loss = tf.add(loss, asScalar(gan.extraDiscriminatorLoss(context), "gan.extraDiscriminatorLoss"));
        }
        return loss as tf.Scalar;
      }, run.dVars);
      const stats = tf.stack([value, globalNorm(Object.values(grads)), ...scores]);
      tf.dispose(scores);
      return { stats, grads };
    });
    const result = readStats(stats);
    applyIfFinite(run.optimizers.discriminator, grads, result, step, "discriminator");
    gan.afterDiscriminatorStep?.(gan.discriminator, step);
    return result;
  } finally {
    tf.dispose([real.x, real.labels ?? []]);
  }
}

/** One generator update on a fresh latent batch. */
function generatorUpdate(run: Run, step: number): PlayerStats {
  const { gan } = run;
  const { stats, grads } = tf.tidy(() => {
    let score: tf.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const latent = toLatentBatch(gan.latent(run.batchSize));
      const fake = generateSamples(gan, latent, true);
      const fakeOutput = discriminateSamples(gan, fake, latent.labels, true);
      score = tf.keep(meanScore(fakeOutput.logits, run.critic));
      let loss: tf.Tensor = asScalar(run.objective.generatorLoss(fakeOutput.logits), "objective.generatorLoss");
      if (gan.extraGeneratorLoss) {
        loss = tf.add(loss, asScalar(gan.extraGeneratorLoss({ step, latent, fake, fakeOutput }), "gan.extraGeneratorLoss"));
      }
      return loss as tf.Scalar;
    }, run.gVars);
    const s = score as unknown as tf.Tensor;
    const stats = tf.stack([value, globalNorm(Object.values(grads)), tf.scalar(NaN), s]);
    s.dispose();
    return { stats, grads };
  });
  const result = readStats(stats);
  applyIfFinite(run.optimizers.generator, grads, result, step, "generator");
  return result;
}

function checkPositiveInteger(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
    throw new Error(`train: ${name} must be a positive integer, got ${value}.`);
  }
}

function checkOptions(options: TrainOptions): void {
  if (options == null || options.gan == null) throw new Error("train: options.gan (a GanSpec) is required.");
  const { gan } = options;
  if (typeof gan.latent !== "function") throw new Error("train: gan.latent must be a function (batchSize) => z.");
  if (options.data == null) throw new Error("train: options.data (a batch source) is required.");
  if (!Number.isInteger(options.steps) || options.steps < 0) {
    throw new Error(`train: steps must be a non-negative integer, got ${options.steps}.`);
  }
  checkPositiveInteger(options.batchSize, "batchSize");
  checkPositiveInteger(options.discriminatorSteps, "discriminatorSteps");
  checkPositiveInteger(options.historyEvery, "historyEvery");
  checkPositiveInteger(options.stepsPerEpoch, "stepsPerEpoch");
  checkPositiveInteger(options.checkpointEvery, "checkpointEvery");
  checkPositiveInteger(options.keepCheckpoints, "keepCheckpoints");
  if (options.checkpointEvery !== undefined && options.checkpointDir === undefined) {
    throw new Error("train: checkpointEvery needs checkpointDir, the directory to write to.");
  }
}

function pushHistory(history: TrainHistory, log: StepLog): void {
  for (const key of HISTORY_KEYS) history[key].push(log[key]);
}

/**
 * Trains a GAN: for each generator step, `discriminatorSteps` discriminator updates (each on its own real
 * batch and fresh noise), then one generator update.
 *
 * ```ts
 * const result = await train({
 *   gan: { generator: mlpGenerator(), discriminator: mlpDiscriminator(), latent: normalLatent(8),
 *          objective: "non-saturating" },
 *   data: (n) => tf.randomNormal([n, 1], 4, 1.25, "float32", nextSeed()),
 *   steps: 500, batchSize: 64, callbacks: [progressBar()],
 * });
 * ```
 * Throws, naming the step and the player, when a loss or gradient norm stops being finite.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  const { gan } = options;
  const objective = resolveObjective(gan.objective);
  const batchSize = options.batchSize ?? 64;
  const k = options.discriminatorSteps ?? 1;
  const historyEvery = options.historyEvery ?? 1;
  const callbacks = options.callbacks ?? [];
  const optimizers: GanOptimizers = {
    generator: options.optimizers?.generator ?? defaultGanOptimizer(),
    discriminator: options.optimizers?.discriminator ?? defaultGanOptimizer(),
  };
  if (optimizers.generator === optimizers.discriminator) {
    throw new Error("train: the generator and the discriminator need separate optimizers (their state differs).");
  }

  let step = 0;
  let history = emptyHistory();
  let runSeed = options.seed ?? currentSeedValue() ?? Math.floor(Math.random() * 2147483647);
  if (options.resumeFrom !== undefined) {
    const restored = await restoreCheckpoint(options.resumeFrom, gan, optimizers);
    step = restored.step;
    history = restored.history;
    runSeed = restored.seed;
  }
  // Resuming from the directory we save to: the checkpoint of this step already exists there.
  let savedAt = options.resumeFrom !== undefined && options.resumeFrom === options.checkpointDir ? step : -1;

  const run: Run = {
    gan, objective, optimizers, batchSize,
    critic: gan.critic ?? objective.critic ?? false,
    read: batchReader(options.data),
    dVars: trainableVariables(gan.discriminator, "gan.discriminator"),
    gVars: trainableVariables(gan.generator, "gan.generator"),
  };
  let stopped = false;
  const state: TrainState = {
    get step() { return step; },
    totalSteps: options.steps,
    get history() { return history; },
    gan, optimizers, batchSize, seed: runSeed,
    stop() { stopped = true; },
  };
  const save = async () => {
    await saveCheckpoint(options.checkpointDir as string, {
      gan, optimizers, history, step, seed: runSeed, batchSize, discriminatorSteps: k,
    }, { keep: options.keepCheckpoints ?? 2 });
    savedAt = step;
  };

  for (const cb of callbacks) await cb.onTrainBegin?.(state);
  try {
    while (step < options.steps && !stopped) {
      const current = step + 1;
      seedEverything(stepSeed(runSeed, current));
      const d: PlayerStats = { loss: 0, gradNorm: 0, meanReal: 0, meanFake: 0 };
      for (let j = 0; j < k; j++) {
        const s = discriminatorUpdate(run, current, (current - 1) * k + j);
        d.loss += s.loss / k; d.gradNorm += s.gradNorm / k; d.meanReal += s.meanReal / k; d.meanFake += s.meanFake / k;
      }
      const g = generatorUpdate(run, current);
      step = current;
      const log: StepLog = {
        step,
        discriminatorLoss: d.loss,
        generatorLoss: g.loss,
        meanDReal: d.meanReal,
        meanDFake: d.meanFake,
        discriminatorGradNorm: d.gradNorm,
        generatorGradNorm: g.gradNorm,
      };
      if (step % historyEvery === 0) pushHistory(history, log);
      for (const cb of callbacks) await cb.onStepEnd?.(log, state);
      if (options.stepsPerEpoch !== undefined && step % options.stepsPerEpoch === 0) {
        for (const cb of callbacks) await cb.onEpochEnd?.(step / options.stepsPerEpoch, state);
      }
      if (options.checkpointEvery !== undefined && step % options.checkpointEvery === 0) await save();
    }
    if (options.checkpointDir !== undefined && savedAt !== step) await save();
  } finally {
    for (const cb of callbacks) await cb.onTrainEnd?.(state);
  }
  return { history, step, stopped, seed: runSeed, optimizers };
}

/**
 * Continues training from the latest checkpoint in `dir`: the networks in `options.gan` (built with the same
 * architecture) get the saved weights, the optimizers their saved state, and the history and step counter
 * carry on until `options.steps`. Equivalent to `train({...options, resumeFrom: dir})`.
 */
export function resume(dir: string, options: TrainOptions): Promise<TrainResult> {
  return train({ ...options, resumeFrom: dir });
}
