/**
 * The one training loop of the course, for any game of players (types.ts) — the two players of a classic
 * `GanSpec` (gan-spec.ts), or the three of BiGAN and VAE-GAN, the four of CycleGAN.
 *
 * `train()` owns everything outside a player's loss: the rounds (each player's updates per round, a constant
 * or a schedule), one optimizer per player, the real batches and the latent drawn for each, the history of
 * every named term, callbacks, the NaN/Inf guard, seeding and checkpoints. (The split follows TF-GAN's
 * GANModel → GANLoss → GANTrainOps and Mimicry's Trainer; the named players follow pytorch-CycleGAN-and-pix2pix.)
 *
 * Variables are read from the networks at every update and the optimizers keep their state by variable, so
 * a network may grow between steps (Progressive GAN): old layers keep their moments, new ones start fresh.
 *
 * Reproducibility: round s reseeds every random source with a seed derived from (run seed, s), so each round
 * is a pure function of the weights, the optimizer state and the batches it gets, and batch i of the run is a
 * function of i (the data source's contract). A run resumed from a checkpoint — which stores the step, the
 * seed and the number of batches drawn — therefore continues exactly as the uninterrupted run would have.
 */
import * as tf from "@tensorflow/tfjs";
import { seed as seedEverything, currentSeedValue } from "../engine/seed";
import { isStatefulOptimizer } from "../engine/optimizers";
import { disposeAbandonedTape, outsideGradientTape } from "../engine/tape";
import { globalNorm } from "../engine/global-norm";
import {
  asScalar, Batch, BatchSource, describeValue, emptyHistory, Game, LatentBatch, LossTerms, Network, Player,
  PlayerContext, PlayerHistory, PlayerStepLog, RunOptions, StepLog, tensorsOf, toBatch, toLatentBatch,
  TrainCallback, TrainHistory, TrainState, trainableVariables,
} from "./types";
import { defaultGanOptimizer, gameFromSpec, GanSpec, isGame } from "./gan-spec";
import { assertCheckpointable, restoreCheckpoint, saveCheckpoint } from "./checkpoint";

export interface TrainOptions {
  /** A two-player `GanSpec`, or a `Game` of any number of players. */
  gan: GanSpec | Game;
  /** Real data: a function of (batchSize, batchIndex), such as `shuffledBatches(x, labels)`. */
  data: BatchSource;
  /** Rounds to train (the history's steps). A resumed run continues until the step counter reaches this. */
  steps: number;
  /** Examples per batch, for real and generated data alike. Default 64. */
  batchSize?: number;
  /**
   * GanSpec only: k, discriminator updates per generator update (Goodfellow et al. 2014, Algorithm 1), or a
   * function of the step; overrides the spec's own. In a Game each player says its `updates`.
   */
  discriminatorSteps?: number | ((step: number) => number);
  /** Optimizers by player name, overriding the players' own ("generator", "discriminator" for a GanSpec). */
  optimizers?: Record<string, tf.Optimizer>;
  /** Seed of the run. Default: the value last passed to `seed()`, else a random one (recorded in the result). */
  seed?: number;
  /** Record the history every this many steps. Default 1. */
  historyEvery?: number;
  /** Steps per epoch, for callbacks' `onEpochEnd`. Default: no epochs. */
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

export interface TrainResult {
  history: TrainHistory;
  /** Steps completed in total (including those before a resume). */
  step: number;
  /** True when a callback called `stop()`. */
  stopped: boolean;
  seed: number;
  /** Each player's optimizer, by player name (dispose them when done with the run). */
  optimizers: Record<string, tf.Optimizer>;
  /** The game that was trained (a GanSpec's compiled form). */
  game: Game;
}

/** The seed of step `step` of a run: a 32-bit mix of both, so nearby steps get unrelated streams. */
export function stepSeed(runSeed: number, step: number): number {
  let h = (Math.floor(runSeed) ^ Math.imul(step + 0x632be5ab, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The guard's message: where it broke, which term, and what to try. */
function nonFiniteMessage(step: number, player: string, stats: UpdateStats): string {
  const what = Number.isFinite(stats.loss)
    ? `gradient norm is ${stats.gradNorm} (loss ${stats.loss})`
    : `loss is ${stats.loss} (gradient norm ${stats.gradNorm})`;
  const terms = Object.keys(stats.terms).length > 1
    ? `; terms: ${Object.entries(stats.terms).map(([k, v]) => `${k} ${v}`).join(", ")}`
    : "";
  return (
    `step ${step}: ${player} ${what}${terms}; the update was not applied. Lower the learning rate, check the data ` +
    "for NaN/Inf, use a numerically stable loss on logits, or normalise the inputs."
  );
}

interface UpdateStats {
  loss: number;
  gradNorm: number;
  terms: Record<string, number>;
  scores: Record<string, number>;
}

/** A player as the loop runs it: its optimizer, and what it has seen so far. */
interface PlayerRun {
  player: Player;
  optimizer: tf.Optimizer;
  /** The term names of its first update: every later update must return the same ones. */
  termNames: string[] | null;
  /** For tf.train optimizers (state by position): the variable list of the first update. */
  positionalNames: string | null;
}

/** Shared state of one run. */
interface Run {
  game: Game;
  players: PlayerRun[];
  batchSize: number;
  data: BatchSource;
  batchesDrawn: number;
}

/** One real batch of a round and the latent drawn for it. */
interface RoundBatch {
  real: Batch;
  latent: LatentBatch | null;
}

function readBatch(run: Run): RoundBatch {
  const index = run.batchesDrawn++;
  const real = tf.tidy(() => toBatch(run.data(run.batchSize, index)) as unknown as tf.TensorContainer) as unknown as Batch;
  let latent: LatentBatch | null = null;
  if (run.game.latent) {
    try {
      latent = tf.tidy(() => {
        const l = toLatentBatch((run.game.latent as NonNullable<Game["latent"]>)(run.batchSize, real));
        return (l.labels ? { z: l.z, labels: l.labels } : { z: l.z }) as unknown as tf.TensorContainer;
      }) as unknown as LatentBatch;
    } catch (err) {
      tf.dispose(tensorsOf(real));
      throw err;
    }
  }
  return { real, latent };
}

function disposeRoundBatch(b: RoundBatch): void {
  tf.dispose(tensorsOf(b.real));
  if (b.latent) tf.dispose(tensorsOf(b.latent));
}

/** The variables a player trains, read now (a network may have grown), without duplicates. */
function playerVariables(game: Game, player: Player): tf.Variable[] {
  const seen = new Set<string>();
  const out: tf.Variable[] = [];
  for (const name of player.trains) {
    for (const v of trainableVariables(game.networks[name], `network "${name}"`)) {
      if (!seen.has(v.name)) {
        seen.add(v.name);
        out.push(v);
      }
    }
  }
  if (out.length === 0) {
    throw new Error(
      `train: player "${player.name}" has no trainable variables (it trains ${player.trains.map((n) => `"${n}"`).join(", ")}); ` +
        "give it a network with weights, or make its layers trainable.",
    );
  }
  return out;
}

function runNetwork(game: Game, name: string, inputs: tf.Tensor | tf.Tensor[], options: RunOptions | undefined): unknown {
  const net = game.networks[name];
  if (net === undefined) {
    throw new Error(`run: the game has no network "${name}" (it has ${Object.keys(game.networks).map((n) => `"${n}"`).join(", ")}).`);
  }
  return net.apply(inputs, { training: options?.training ?? true });
}

/** The context of one update; `records` collects what the loss records, kept past the gradient's tidy. */
function playerContext(run: Run, player: Player, step: number, update: number, batch: RoundBatch, records: [string, tf.Scalar][]): PlayerContext {
  const { game } = run;
  return {
    step,
    update,
    real: batch.real,
    get latent(): LatentBatch {
      if (batch.latent === null) {
        throw new Error(`player "${player.name}" read context.latent, but the game has no latent sampler; give the game a latent.`);
      }
      return batch.latent;
    },
    networks: game.networks,
    run(name, inputs, options) {
      const out = runNetwork(game, name, inputs, options);
      if (out instanceof tf.Tensor) return out;
      throw new Error(`run: network "${name}" returned ${describeValue(out)}; use runHeads() for a network with several outputs.`);
    },
    runHeads(name, inputs, options) {
      const out = runNetwork(game, name, inputs, options);
      if (out instanceof tf.Tensor) return [out];
      if (Array.isArray(out) && out.every((t) => t instanceof tf.Tensor)) return out as tf.Tensor[];
      throw new Error(`runHeads: network "${name}" returned ${describeValue(out)}; expected tensors.`);
    },
    constant: (fn) => outsideGradientTape(fn),
    record(name, value) {
      const scalar = asScalar(value, `player "${player.name}" record("${name}")`);
      if (records.some(([n]) => n === name)) throw new Error(`player "${player.name}" recorded "${name}" twice in one update.`);
      // keep(): the score outlives variableGrads' inner tidy; it is disposed once read.
      records.push([name, tf.keep(scalar)]);
    },
  };
}

/** Checks a player's terms: a non-empty record of scalars, the same names at every update. */
function checkTerms(pr: PlayerRun, terms: unknown, step: number): [string, tf.Scalar][] {
  const who = `player "${pr.player.name}"`;
  if (terms instanceof tf.Tensor || terms == null || typeof terms !== "object" || Array.isArray(terms)) {
    throw new Error(`${who}: loss() returned ${describeValue(terms)}; return named scalar terms, e.g. { adversarial: loss }.`);
  }
  const entries = Object.entries(terms as Record<string, unknown>);
  if (entries.length === 0) throw new Error(`${who}: loss() returned no terms; return at least one, e.g. { adversarial: loss }.`);
  const checked = entries.map(([name, t]) => [name, asScalar(t, `${who} loss term "${name}"`)] as [string, tf.Scalar]);
  const names = checked.map(([n]) => n);
  if (pr.termNames === null) pr.termNames = names;
  else if ([...names].sort().join("\u0000") !== [...pr.termNames].sort().join("\u0000")) {
    throw new Error(
      `${who} returned terms [${names.join(", ")}] at step ${step} but [${pr.termNames.join(", ")}] before; ` +
        "return the same named terms at every update (a term that is off can be 0).",
    );
  }
  return checked;
}

/** One update of one player on one round batch: gradients, the guard, the optimizer, the after-update hook. */
function playerUpdate(run: Run, pr: PlayerRun, step: number, update: number, batch: RoundBatch): UpdateStats {
  const { player } = pr;
  const variables = playerVariables(run.game, player);
  if (!isStatefulOptimizer(pr.optimizer)) {
    // tf.train's optimizers keep state by the position of each gradient: a changed variable list would give
    // the old moments to the wrong variables.
    const names = variables.map((v) => v.name).join("\u0000");
    if (pr.positionalNames === null) pr.positionalNames = names;
    else if (pr.positionalNames !== names) {
      throw new Error(
        `step ${step}: the variables of player "${player.name}" changed (a network grew or was replaced), but its optimizer ` +
          `(${pr.optimizer.getClassName()}) keeps its state by position; use tsgan.adam(...), tsgan.rmsprop(...) or tsgan.sgd(...), ` +
          "which keep it by variable.",
      );
    }
  }
  const records: [string, tf.Scalar][] = [];
  let termNames: string[] = [];
  let recordNames: string[] = [];
  let kept: tf.Scalar[] = [];
  let computed: { stats: tf.Tensor; grads: tf.NamedTensorMap };
  try {
    computed = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const terms = checkTerms(pr, player.loss(playerContext(run, player, step, update, batch, records)), step);
        termNames = terms.map(([n]) => n);
        kept = terms.map(([, t]) => tf.keep(t));
        return (kept.length === 1 ? tf.add(kept[0], 0) : tf.addN(kept)) as tf.Scalar;
      }, variables);
      recordNames = records.map(([n]) => n);
      // One tensor for everything the history needs, read back in one transfer.
      const stats = tf.stack([value, globalNorm(Object.values(grads)), ...kept, ...records.map(([, s]) => s)]);
      tf.dispose([...kept, ...records.map(([, s]) => s)]);
      return { stats, grads };
    });
  } catch (error) {
    // A loss that throws (or a non-scalar term) must not strand what it kept for the history, nor what the
    // gradient tape saved for a backward pass that will not run.
    tf.dispose([...kept, ...records.map(([, s]) => s)]);
    disposeAbandonedTape();
    throw error;
  }
  const { stats, grads } = computed;
  const values = stats.dataSync();
  stats.dispose();
  const result: UpdateStats = { loss: values[0], gradNorm: values[1], terms: {}, scores: {} };
  termNames.forEach((n, i) => (result.terms[n] = values[2 + i]));
  recordNames.forEach((n, i) => (result.scores[n] = values[2 + termNames.length + i]));
  try {
    if (!Number.isFinite(result.loss) || !Number.isFinite(result.gradNorm)) {
      throw new Error(nonFiniteMessage(step, player.name, result));
    }
    tf.tidy(() => pr.optimizer.applyGradients(grads));
  } finally {
    tf.dispose(Object.values(grads));
  }
  player.afterUpdate?.(run.game.networks, step);
  return result;
}

/** The number of updates a player makes in round `step`, checked. */
function updatesAt(player: Player, step: number): number {
  const u = player.updates ?? 1;
  const n = typeof u === "function" ? u(step) : u;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`train: player "${player.name}" asked for ${n} updates at step ${step}; updates must be a positive integer.`);
  }
  return n;
}

/** Means of a player's update stats over a round. */
function meanStats(all: UpdateStats[]): PlayerStepLog {
  const n = all.length;
  const mean = (pick: (s: UpdateStats) => number) => all.reduce((acc, s) => acc + pick(s), 0) / n;
  const log: PlayerStepLog = { loss: mean((s) => s.loss), gradNorm: mean((s) => s.gradNorm), terms: {}, scores: {}, updates: n };
  for (const k of Object.keys(all[0].terms)) log.terms[k] = mean((s) => s.terms[k]);
  for (const k of Object.keys(all[0].scores)) log.scores[k] = mean((s) => s.scores[k] ?? NaN);
  return log;
}

/** One round: every player's updates in order, on the round's batches. */
function trainRound(run: Run, step: number): StepLog {
  const counts = run.players.map((pr) => updatesAt(pr.player, step));
  const batches: (RoundBatch | undefined)[] = [];
  const log: StepLog = { step, players: {} };
  try {
    run.players.forEach((pr, p) => {
      const stats: UpdateStats[] = [];
      for (let j = 0; j < counts[p]; j++) {
        batches[j] ??= readBatch(run);
        stats.push(playerUpdate(run, pr, step, j, batches[j] as RoundBatch));
      }
      log.players[pr.player.name] = meanStats(stats);
      // Batches no later player uses are freed now (WGAN's 100 critic batches are not kept for one G update).
      const stillNeeded = Math.max(0, ...counts.slice(p + 1));
      for (let j = stillNeeded; j < batches.length; j++) {
        if (batches[j]) disposeRoundBatch(batches[j] as RoundBatch);
        batches[j] = undefined;
      }
    });
  } finally {
    for (const b of batches) if (b) disposeRoundBatch(b);
  }
  return log;
}

function emptyPlayerHistory(log: PlayerStepLog): PlayerHistory {
  return {
    loss: [], gradNorm: [],
    terms: Object.fromEntries(Object.keys(log.terms).map((k) => [k, []])),
    scores: Object.fromEntries(Object.keys(log.scores).map((k) => [k, []])),
  };
}

/** Appends a round to the history, checking that it has the shape of the rounds before it. */
function pushHistory(history: TrainHistory, log: StepLog): void {
  const recorded = history.step.length;
  for (const [name, p] of Object.entries(log.players)) {
    let h = history.players[name];
    if (h === undefined) {
      if (recorded > 0) throw new Error(`train: player "${name}" is not in the history being continued (it has ${Object.keys(history.players).join(", ")}).`);
      h = history.players[name] = emptyPlayerHistory(p);
    }
    const same = (a: object, b: object) => Object.keys(a).sort().join("\u0000") === Object.keys(b).sort().join("\u0000");
    if (!same(h.terms, p.terms) || !same(h.scores, p.scores)) {
      throw new Error(
        `train: player "${name}" reports terms [${Object.keys(p.terms)}] and scores [${Object.keys(p.scores)}], but the history ` +
          `being continued has [${Object.keys(h.terms)}] and [${Object.keys(h.scores)}]; resume with the game it was saved from.`,
      );
    }
  }
  history.step.push(log.step);
  for (const [name, p] of Object.entries(log.players)) {
    const h = history.players[name];
    h.loss.push(p.loss);
    h.gradNorm.push(p.gradNorm);
    for (const [k, v] of Object.entries(p.terms)) h.terms[k].push(v);
    for (const [k, v] of Object.entries(p.scores)) h.scores[k].push(v);
  }
}

function checkPositiveInteger(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
    throw new Error(`train: ${name} must be a positive integer, got ${value}.`);
  }
}

function checkUpdates(u: Player["updates"], who: string): void {
  if (u === undefined || typeof u === "function") return;
  if (!Number.isInteger(u) || u <= 0) throw new Error(`train: ${who} must be a positive integer or a function of the step, got ${u}.`);
}

function checkOptions(options: TrainOptions): void {
  if (options == null || options.gan == null) throw new Error("train: options.gan (a GanSpec or a Game) is required.");
  if (options.data == null) throw new Error("train: options.data (a batch source) is required.");
  if (typeof options.data !== "function") {
    throw new Error(
      "train: data must be a function (batchSize, batchIndex) => batch, such as shuffledBatches(x, labels); the batch " +
        "index is what lets a resumed run see the same data, and an iterator cannot be rewound.",
    );
  }
  if (!Number.isInteger(options.steps) || options.steps < 0) {
    throw new Error(`train: steps must be a non-negative integer, got ${options.steps}.`);
  }
  checkPositiveInteger(options.batchSize, "batchSize");
  checkUpdates(options.discriminatorSteps, "discriminatorSteps");
  checkPositiveInteger(options.historyEvery, "historyEvery");
  checkPositiveInteger(options.stepsPerEpoch, "stepsPerEpoch");
  checkPositiveInteger(options.checkpointEvery, "checkpointEvery");
  checkPositiveInteger(options.keepCheckpoints, "keepCheckpoints");
  if (options.checkpointEvery !== undefined && options.checkpointDir === undefined) {
    throw new Error("train: checkpointEvery needs checkpointDir, the directory to write to.");
  }
}

/** Checks a game's structure once, with errors that name the player or network at fault. */
function checkGame(game: Game): void {
  if (game.networks == null || typeof game.networks !== "object" || Object.keys(game.networks).length === 0) {
    throw new Error("train: the game needs networks, a record of named networks ({ generator, discriminator, ... }).");
  }
  for (const [name, net] of Object.entries(game.networks)) {
    if (net == null || typeof net.apply !== "function" || !Array.isArray(net.trainableWeights)) {
      throw new Error(`train: network "${name}" must be a tf.LayersModel or an object with apply() and trainableWeights.`);
    }
  }
  if (!Array.isArray(game.players) || game.players.length === 0) throw new Error("train: the game needs at least one player.");
  const names = new Set<string>();
  for (const p of game.players) {
    if (p == null || typeof p.name !== "string" || p.name === "") throw new Error("train: every player needs a name.");
    if (names.has(p.name)) throw new Error(`train: two players are named "${p.name}"; player names must be unique.`);
    names.add(p.name);
    if (typeof p.loss !== "function") throw new Error(`train: player "${p.name}" needs loss(context) returning named terms.`);
    if (!Array.isArray(p.trains) || p.trains.length === 0) {
      throw new Error(`train: player "${p.name}" must name the networks it trains (trains: ["generator"], ...).`);
    }
    for (const n of p.trains) {
      if (!(n in game.networks)) {
        throw new Error(
          `train: player "${p.name}" trains "${n}", which is not one of the game's networks (${Object.keys(game.networks).map((k) => `"${k}"`).join(", ")}).`,
        );
      }
    }
    checkUpdates(typeof p.updates === "function" ? undefined : p.updates, `player "${p.name}" updates`);
    playerVariables(game, p);
  }
  if (game.latent !== undefined && typeof game.latent !== "function") throw new Error("train: game.latent must be a function (batchSize, real) => z.");
}

/** Each player's optimizer: the caller's override, else the player's own (made now if it is a factory). */
function playerOptimizers(game: Game, overrides: Record<string, tf.Optimizer> | undefined, made: tf.Optimizer[] = []): Record<string, tf.Optimizer> {
  const players = game.players.map((p) => p.name);
  for (const key of Object.keys(overrides ?? {})) {
    if (!players.includes(key)) {
      throw new Error(`train: optimizers.${key} names no player; the players are ${players.map((n) => `"${n}"`).join(", ")}.`);
    }
  }
  const out: Record<string, tf.Optimizer> = {};
  const owners = new Map<tf.Optimizer, string>();
  for (const p of game.players) {
    const choice = overrides?.[p.name] ?? p.optimizer ?? defaultGanOptimizer;
    const optimizer = typeof choice === "function" ? (choice as () => tf.Optimizer)() : choice;
    if (typeof choice === "function" && optimizer instanceof tf.Optimizer) made.push(optimizer);
    if (!(optimizer instanceof tf.Optimizer) && typeof (optimizer as tf.Optimizer)?.applyGradients !== "function") {
      throw new Error(`train: the optimizer of player "${p.name}" is ${describeValue(optimizer)}; give a tf.Optimizer or a function making one.`);
    }
    const other = owners.get(optimizer);
    if (other !== undefined) {
      throw new Error(`train: players "${other}" and "${p.name}" share one optimizer; each needs its own (their state differs).`);
    }
    owners.set(optimizer, p.name);
    out[p.name] = optimizer;
  }
  return out;
}

/**
 * Trains a game: each round, every player in order makes its updates (a GanSpec: k discriminator updates,
 * each on its own real batch and fresh noise, then one generator update).
 *
 * ```ts
 * const result = await train({
 *   gan: { generator: mlpGenerator(), discriminator: mlpDiscriminator(), latent: normalLatent(8),
 *          objective: "non-saturating" },
 *   data: (n) => tf.randomNormal([n, 1], 4, 1.25, "float32", nextSeed()),
 *   steps: 500, batchSize: 64, callbacks: [progressBar()],
 * });
 * result.history.players.discriminator.loss;   // one number per step; .terms, .scores, .gradNorm too
 * ```
 * Throws, naming the step and the player, when a loss or gradient norm stops being finite.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  let game: Game;
  if (isGame(options.gan)) {
    if (options.discriminatorSteps !== undefined) {
      throw new Error("train: discriminatorSteps applies to a GanSpec; in a Game, set each player's updates.");
    }
    game = options.gan;
  } else {
    game = gameFromSpec(options.gan, { discriminatorSteps: options.discriminatorSteps });
  }
  checkGame(game);
  // The optimizers made here (from factories) are the caller's through the result; a run that throws
  // disposes them, since the caller never gets them.
  const made: tf.Optimizer[] = [];
  const optimizers = playerOptimizers(game, options.optimizers, made);
  try {
    return await trainWith(options, game, optimizers);
  } catch (error) {
    for (const optimizer of made) optimizer.dispose();
    throw error;
  }
}

async function trainWith(options: TrainOptions, game: Game, optimizers: Record<string, tf.Optimizer>): Promise<TrainResult> {
  const batchSize = options.batchSize ?? 64;
  const historyEvery = options.historyEvery ?? 1;
  const callbacks = options.callbacks ?? [];
  if (options.checkpointDir !== undefined || options.resumeFrom !== undefined) assertCheckpointable(optimizers);

  let step = 0;
  let history = emptyHistory();
  let runSeed = options.seed ?? currentSeedValue() ?? Math.floor(Math.random() * 2147483647);
  let batchesDrawn = 0;
  if (options.resumeFrom !== undefined) {
    const restored = await restoreCheckpoint(options.resumeFrom, game, optimizers);
    const given = options.data.order ?? null;
    if (restored.dataOrder !== null && given !== null && JSON.stringify(restored.dataOrder) !== JSON.stringify(given)) {
      throw new Error(
        `train: the checkpoint in ${options.resumeFrom} was trained on data in the order ${JSON.stringify(restored.dataOrder)}, ` +
          `but this run's data is ${JSON.stringify(given)}; resume with the same data and seed, or the run is not the same run.`,
      );
    }
    step = restored.step;
    history = restored.history;
    runSeed = restored.seed;
    batchesDrawn = restored.batchesDrawn;
  }
  // Resuming from the directory we save to: the checkpoint of this step already exists there.
  let savedAt = options.resumeFrom !== undefined && options.resumeFrom === options.checkpointDir ? step : -1;

  const run: Run = {
    game, batchSize, data: options.data, batchesDrawn,
    players: game.players.map((player) => ({
      player, optimizer: optimizers[player.name], positionalNames: null,
      termNames: history.players[player.name] ? Object.keys(history.players[player.name].terms) : null,
    })),
  };
  let stopped = false;
  const state: TrainState = {
    get step() { return step; },
    totalSteps: options.steps,
    get history() { return history; },
    game, optimizers, batchSize, seed: runSeed,
    stop() { stopped = true; },
  };
  const save = async () => {
    await saveCheckpoint(options.checkpointDir as string, {
      game, optimizers, history, step, seed: runSeed, batchSize, batchesDrawn: run.batchesDrawn,
      dataOrder: options.data.order ?? null,
    }, { keep: options.keepCheckpoints ?? 2 });
    savedAt = step;
  };

  for (const cb of callbacks) await cb.onTrainBegin?.(state);
  try {
    while (step < options.steps && !stopped) {
      const current = step + 1;
      seedEverything(stepSeed(runSeed, current));
      const log = trainRound(run, current);
      step = current;
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
  return { history, step, stopped, seed: runSeed, optimizers, game };
}

/**
 * Continues training from the latest checkpoint in `dir`: the networks of `options.gan` (built with the same
 * architecture) get the saved weights, the optimizers their saved state, and the history, step counter and
 * data position carry on until `options.steps`. Equivalent to `train({...options, resumeFrom: dir})`.
 */
export function resume(dir: string, options: TrainOptions): Promise<TrainResult> {
  return train({ ...options, resumeFrom: dir });
}

export type { Network };
