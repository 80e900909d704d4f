/**
 * The vocabulary of training, shared by the loop, checkpoints, callbacks and every model file: networks,
 * batches, latents, players and games, and the history. This module imports nothing of lib/train, so the
 * import graph has no cycle.
 *
 * A GAN is a game of named PLAYERS (after the named networks and loss terms of pytorch-CycleGAN-and-pix2pix's
 * BaseModel, and TF-GAN's GANModel → GANLoss → GANTrainOps). Each player owns the networks its optimizer
 * updates and a loss made of named terms; every update it makes sees the real batch, the latent drawn for
 * that batch and a way to run any network of the game. The classic two-player GAN is written as a
 * `GanSpec` (gan-spec.ts), which compiles down to a game.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * A network: a `tf.LayersModel`, or anything with `apply` and `trainableWeights` (tf.Variables or
 * LayerVariables). `apply(inputs, {training})` is how the loop calls it, so dropout and batch normalisation run
 * in training mode during the updates.
 */
export interface Network {
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: { training?: boolean }): unknown;
  readonly trainableWeights: ReadonlyArray<tf.Variable | { read(): tf.Tensor }>;
}

/** One batch of real data. The loop disposes it after the round that used it. */
export interface Batch {
  /** The real examples: images; the input image in pix2pix; domain A in CycleGAN. */
  x: tf.Tensor;
  /** Class ids or one-hot rows, for conditional variants (CGAN, ACGAN). */
  labels?: tf.Tensor;
  /** The paired target of each x (pix2pix: the photo of an edge map), same first axis as x. */
  target?: tf.Tensor;
  /** An unpaired batch of a second domain (CycleGAN's Y). */
  domainB?: tf.Tensor;
}

/** What a batch source was built from, recorded in checkpoints so a resume can tell a different data order. */
export interface DataOrder {
  kind: string;
  [detail: string]: unknown;
}

/**
 * Where real data comes from: a function of the batch size and the index of the batch within the run
 * (0, 1, 2, ... in the order the loop draws them). A function of the index is what makes a resumed run see
 * exactly the batches an uninterrupted one would (`shuffledBatches` builds one). The loop takes ownership of
 * what it gets and disposes it after use, so return fresh tensors (a `tf.gather`, a `tf.randomNormal`).
 */
export type BatchSource = ((batchSize: number, batchIndex: number) => tf.Tensor | Batch) & { readonly order?: DataOrder };

/** A draw of the generator's input: noise `z` and, for conditional variants, the labels to generate. */
export interface LatentBatch {
  z: tf.Tensor;
  labels?: tf.Tensor;
}

/**
 * Draws `batchSize` generator inputs, given the real batch they go with (CGAN may reuse its labels; most
 * samplers ignore it; callbacks call it without one). Use `nextSeed()` for tf random ops so runs are
 * reproducible.
 */
export type LatentSampler = (batchSize: number, real?: Batch) => tf.Tensor | LatentBatch;

/** A player's loss as named scalars: the player minimises their sum, and the history records each one. */
export type LossTerms = Record<string, tf.Scalar>;

/** How a network is run: in training mode (dropout on, batch statistics) unless told otherwise. */
export interface RunOptions {
  training?: boolean;
}

/** What a player's loss sees at one of its updates. Its tensors belong to the round: do not dispose them. */
export interface PlayerContext {
  /** The round (1-based): the step the history records. */
  readonly step: number;
  /** Which of this player's updates in the round (0-based). */
  readonly update: number;
  /** The real batch of this update. */
  readonly real: Batch;
  /** The generator input drawn for this batch (an error if the game has no latent sampler). */
  readonly latent: LatentBatch;
  /** The game's networks. */
  readonly networks: Readonly<Record<string, Network>>;
  /** Runs a network with one output; training mode unless `{training: false}`. */
  run(network: string, inputs: tf.Tensor | tf.Tensor[], options?: RunOptions): tf.Tensor;
  /** Runs a network and returns all its outputs (ACGAN's D: [source logits, class logits]). */
  runHeads(network: string, inputs: tf.Tensor | tf.Tensor[], options?: RunOptions): tf.Tensor[];
  /**
   * Records a number that is not part of the loss (e.g. mean D(x)) in the player's `scores`. Cheap: it is
   * read back with the loss in one transfer.
   */
  record(name: string, value: tf.Scalar): void;
  /**
   * Computes `fn` outside the gradient tape: what it returns is data for this update, so no gradient flows
   * through it and the backward pass keeps none of its intermediates. The discriminator's G(z) is the case:
   * without it, every activation of G would be saved (copied) for a backward pass that never reaches G.
   */
  constant<T extends tf.TensorContainer>(fn: () => T): T;
}

/** An optimizer, or a function that makes one (a variant's default, made fresh for each run). */
export type OptimizerChoice = tf.Optimizer | (() => tf.Optimizer);

/**
 * A player of the game. Its loss is differentiated with respect to the trainable variables of the networks
 * in `trains`, and of no other network: everything else it runs (the generator inside the discriminator's
 * loss, the encoder inside a decoder's) is a constant for this update. That is where a variant says which
 * gradient flows where: VAE-GAN's encoder player simply has no GAN term; CycleGAN's "generators" player
 * trains both G_AB and G_BA with one optimizer on one loss.
 */
export interface Player {
  /** Unique within the game; the key of its history, its optimizer and its checkpoint entry. */
  name: string;
  /** Names of the networks (keys of `game.networks`) whose variables this player's optimizer updates. */
  trains: string[];
  /** The loss of one update, as named scalar terms. */
  loss(context: PlayerContext): LossTerms;
  /** Default: Adam, learning rate 2e-4, β1 = 0.5 (Radford et al. 2016), tsgan's fused version. */
  optimizer?: OptimizerChoice;
  /**
   * Updates per round: a positive integer, or a function of the round (WGAN's reference schedule: 100 critic
   * updates in the first 25 rounds and every 500th, else 5). Default 1.
   */
  updates?: number | ((step: number) => number);
  /** Runs after each of its updates (WGAN's weight clipping). */
  afterUpdate?(networks: Readonly<Record<string, Network>>, step: number): void;
  /** Short name for progress lines ("D", "G"). Default: the name. */
  label?: string;
}

/**
 * A GAN as a game: its networks by name and its players in the order they update within a round.
 *
 * A round (one history step): for each player in order, its updates. Update j of every player uses the
 * round's batch j and the latent drawn for it, so with k discriminator updates and one generator update the
 * generator sees the batch (and noise) of the discriminator's first update: pix2pix and CycleGAN need both
 * players on the same pair. (A GanSpec's generator draws fresh noise for its update, as Algorithm 1 does.)
 */
export interface Game {
  networks: Record<string, Network>;
  players: Player[];
  /** Draws the generator's input for each batch. Optional: pix2pix's generator sees only the real input. */
  latent?: LatentSampler;
  /** Samples of the trained model for a latent batch, in inference mode: what `sampleEvery` shows. */
  sample?(latent: LatentBatch): tf.Tensor;
  /**
   * State of a variant beside its weights that a checkpoint must hold (a Progressive GAN's resolution): saved
   * as JSON, and loaded before the networks' weights are restored, so the variant can first grow them.
   */
  variantState?: { save(): unknown; load(state: unknown): void };
}

/** One player's numbers for one round: means over its updates in that round. */
export interface PlayerStepLog {
  /** The sum of the terms. */
  loss: number;
  terms: Record<string, number>;
  /** Global L2 norm of the gradient over the player's variables. */
  gradNorm: number;
  /** What the loss recorded with `record()` (e.g. mean D(x) and D(G(z))). */
  scores: Record<string, number>;
  /** Updates this round. */
  updates: number;
}

/** The numbers of one round, per player. */
export interface StepLog {
  step: number;
  players: Record<string, PlayerStepLog>;
}

/** One player's history, each array aligned with `TrainHistory.step`. */
export interface PlayerHistory {
  loss: number[];
  gradNorm: number[];
  terms: Record<string, number[]>;
  scores: Record<string, number[]>;
}

/** The training history as plain arrays (JSON-serialisable), one entry per recorded step. */
export interface TrainHistory {
  step: number[];
  players: Record<string, PlayerHistory>;
}

export function emptyHistory(): TrainHistory {
  return { step: [], players: {} };
}

/**
 * Every series of a history under one flat name: "discriminator.loss", "discriminator.gradNorm",
 * "discriminator.terms.adversarial", "discriminator.scores.real", ... (for checks over all of them, tables, CSV).
 */
export function flatHistory(history: TrainHistory): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, p] of Object.entries(history.players)) {
    out[`${name}.loss`] = p.loss;
    out[`${name}.gradNorm`] = p.gradNorm;
    for (const [k, v] of Object.entries(p.terms)) out[`${name}.terms.${k}`] = v;
    for (const [k, v] of Object.entries(p.scores)) out[`${name}.scores.${k}`] = v;
  }
  return out;
}

/** What callbacks see: read the numbers, or call `stop()` to end training after this step. */
export interface TrainState {
  readonly step: number;
  readonly totalSteps: number;
  readonly history: TrainHistory;
  /** The game being trained (a GanSpec's compiled form). */
  readonly game: Game;
  readonly optimizers: Readonly<Record<string, tf.Optimizer>>;
  readonly batchSize: number;
  readonly seed: number;
  /** Ends training after the current step (early stopping, a notebook's stop button). */
  stop(): void;
}

/** What a run does besides training: report progress, draw samples, feed live plots. Hooks may be async. */
export interface TrainCallback {
  onTrainBegin?(state: TrainState): void | Promise<void>;
  /** After every round, with that round's numbers (recorded in the history or not). */
  onStepEnd?(log: StepLog, state: TrainState): void | Promise<void>;
  /** After every `stepsPerEpoch` steps (1-based epoch number). */
  onEpochEnd?(epoch: number, state: TrainState): void | Promise<void>;
  /** When training ends, also when it ends with an error. */
  onTrainEnd?(state: TrainState): void | Promise<void>;
}

/** The tf.Variables behind a network's trainable weights, in the network's order. */
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

/** Describes a value that was not what a function expected, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof tf.Tensor) return `a tensor of shape [${value.shape}]`;
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `an object with keys [${Object.keys(value as object).join(", ")}]` : typeof value;
}

export function toLatentBatch(value: tf.Tensor | LatentBatch): LatentBatch {
  if (value instanceof tf.Tensor) return { z: value };
  if (value != null && value.z instanceof tf.Tensor) return value;
  throw new Error("the latent sampler must return a tf.Tensor or {z, labels?}; got " + describeValue(value));
}

export function toBatch(value: unknown): Batch {
  if (value instanceof tf.Tensor) return { x: value };
  if (value != null && (value as Batch).x instanceof tf.Tensor) return value as Batch;
  throw new Error(`data: the batch source returned ${describeValue(value)}; return a tf.Tensor or {x, labels?, target?, domainB?}.`);
}

/** Every tensor of a batch or latent batch, for disposal. */
export function tensorsOf(value: Batch | LatentBatch): tf.Tensor[] {
  return Object.values(value).filter((t): t is tf.Tensor => t instanceof tf.Tensor);
}

/** Checks that a loss term came back as a scalar, naming where it came from when it did not. */
export function asScalar(value: unknown, what: string): tf.Scalar {
  if (!(value instanceof tf.Tensor) || value.rank !== 0) {
    const shape = value instanceof tf.Tensor ? `shape [${value.shape}]` : describeValue(value);
    throw new Error(`${what} returned ${shape}; it must return a scalar (reduce over the batch, e.g. reduction "mean").`);
  }
  return value as tf.Scalar;
}
