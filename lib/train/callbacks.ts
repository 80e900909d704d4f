/**
 * Callbacks: what a run does besides training — report progress, draw samples, feed live plots.
 * Each hook may be async; the loop awaits it before the next step.
 */
import * as tf from "@tensorflow/tfjs";
import { seed as seedEverything } from "../engine/seed";
import { Game, LatentBatch, StepLog, tensorsOf, toLatentBatch, TrainCallback, TrainState } from "./types";

export type { TrainCallback } from "./types";

/** Calls `fn` every `n` steps: the hook point for live plots and custom logging. */
export function every(n: number, fn: (log: StepLog, state: TrainState) => void | Promise<void>): TrainCallback {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`every: n must be a positive integer, got ${n}.`);
  return {
    onStepEnd(log, state) {
      if (log.step % n === 0) return fn(log, state);
    },
  };
}

/** A place to write progress: process.stdout, or anything with `write`. */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressBarOptions {
  /** Default process.stdout. */
  stream?: TextSink;
  /**
   * Steps between updates. Default: every step on a terminal (redrawn in place with \r, at most ~10 times a
   * second), and about 10 lines per run elsewhere (notebooks, CI logs), where each update is a new line.
   */
  every?: number;
  /** Characters of the bar. Default 20. */
  width?: number;
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1000 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(4);
}

/**
 * One progress line: each player's loss, then the scores it recorded, e.g.
 * `step 120/500 [####----] 24% | D 1.2345 G 0.9876 | D real 0.6120 fake 0.4210 | G fake 0.4420`.
 * `labels` maps player names to short labels (a game's players' `label`s); default the names.
 */
export function formatProgress(
  log: StepLog, totalSteps: number, width = 20, rate?: number, labels: Record<string, string> = {},
): string {
  const fraction = totalSteps > 0 ? Math.min(1, log.step / totalSteps) : 1;
  const filled = Math.round(fraction * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const digits = String(totalSteps).length;
  const players = Object.entries(log.players);
  const label = (name: string) => labels[name] ?? name;
  let line =
    `step ${String(log.step).padStart(digits)}/${totalSteps} [${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%` +
    ` | ${players.map(([name, p]) => `${label(name)} ${formatNumber(p.loss)}`).join(" ")}`;
  for (const [name, p] of players) {
    const scores = Object.entries(p.scores);
    if (scores.length > 0) line += ` | ${label(name)} ${scores.map(([k, v]) => `${k} ${formatNumber(v)}`).join(" ")}`;
  }
  if (rate !== undefined && Number.isFinite(rate)) line += ` | ${rate.toFixed(1)} step/s`;
  return line;
}

/** Short labels of a game's players, for progress lines. */
export function playerLabels(game: Game): Record<string, string> {
  return Object.fromEntries(game.players.map((p) => [p.name, p.label ?? p.name]));
}

/** Prints training progress: a redrawn line on a terminal, sparse lines in a notebook. */
export function progressBar(options: ProgressBarOptions = {}): TrainCallback {
  const stream = options.stream ?? process.stdout;
  const width = options.width ?? 20;
  const tty = stream.isTTY === true;
  let every = options.every ?? 1;
  let startTime = 0;
  let startStep = 0;
  let lastDraw = 0;
  let drewOnTty = false;
  return {
    onTrainBegin(state) {
      startTime = Date.now();
      startStep = state.step;
      if (options.every === undefined && !tty) every = Math.max(1, Math.ceil((state.totalSteps - state.step) / 10));
    },
    onStepEnd(log, state) {
      const last = log.step === state.totalSteps;
      if (log.step % every !== 0 && !last) return;
      const now = Date.now();
      // Redrawing a terminal line more than ~10 times a second only costs time.
      if (tty && !last && now - lastDraw < 100) return;
      lastDraw = now;
      const seconds = (now - startTime) / 1000;
      const rate = seconds > 0 ? (log.step - startStep) / seconds : undefined;
      const line = formatProgress(log, state.totalSteps, width, rate, playerLabels(state.game));
      if (tty) {
        stream.write(`\r${line}\x1b[K`);
        drewOnTty = true;
      } else {
        stream.write(line + "\n");
      }
    },
    onTrainEnd() {
      if (tty && drewOnTty) stream.write("\n");
    },
  };
}

export interface SampleEveryOptions {
  /** Samples per call. Default 64. */
  count?: number;
  /**
   * Seed of the fixed noise. The same z is reused at every call (and after a resume), so successive calls
   * show how the generator's map changes, not new draws. Default 1234.
   */
  seed?: number;
  /** Also call at the start of training (before the first step). Default false. */
  atStart?: boolean;
}

/**
 * Every `n` steps, generates samples from a fixed latent batch (inference mode, through the game's `sample`)
 * and hands them to `fn` (a sample grid, a histogram, a scatter plot). The tensor is disposed after `fn`
 * resolves: clone it to keep.
 */
export function sampleEvery(
  n: number,
  fn: (samples: tf.Tensor, step: number, state: TrainState) => void | Promise<void>,
  options: SampleEveryOptions = {},
): TrainCallback {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`sampleEvery: n must be a positive integer, got ${n}.`);
  let latent: LatentBatch | null = null;
  const emit = async (state: TrainState) => {
    const sample = state.game.sample as NonNullable<Game["sample"]>;
    const samples = tf.tidy(() => sample(latent as LatentBatch));
    try {
      await fn(samples, state.step, state);
    } finally {
      samples.dispose();
    }
  };
  return {
    async onTrainBegin(state) {
      const { game } = state;
      if (typeof game.sample !== "function" || typeof game.latent !== "function") {
        throw new Error("sampleEvery: the game needs latent() and sample(latent) to draw samples (a GanSpec has both).");
      }
      // Reseeding here does not disturb training: every step reseeds itself (see loop.ts).
      seedEverything(options.seed ?? 1234);
      const sampler = game.latent;
      latent = tf.tidy(() => {
        const l = toLatentBatch(sampler(options.count ?? 64));
        return (l.labels ? { z: l.z, labels: l.labels } : { z: l.z }) as unknown as tf.TensorContainer;
      }) as unknown as LatentBatch;
      if (options.atStart) await emit(state);
    },
    async onStepEnd(log, state) {
      if (log.step % n === 0) await emit(state);
    },
    onTrainEnd() {
      if (latent) tf.dispose(tensorsOf(latent));
      latent = null;
    },
  };
}

/** A rate for one player's next update: of the step about to run (1-based), the player, its starting rate. */
export type LearningRateSchedule = (step: number, player: string, initialRate: number) => number;

/**
 * The schedule lesson 04 anneals its toy GANs with: the rate held for the first `holdFraction` of `steps`, then
 * decayed exponentially to `finalFraction` of it at step `steps`, `rate · finalFraction^((step − hold)/(steps − hold))`.
 * A high rate finds the modes quickly but keeps the samples jittering around them by about one step's weight
 * change; decaying it lets them settle onto modes that are small against that jitter (σ = 0.01 on the ring).
 * `rate` replaces every player's starting rate (the CLI's `--learning-rate`); `finalFraction` 1 keeps it constant.
 * Steps past `steps` stay at the final rate. For `learningRateSchedule`.
 */
export function holdThenDecay(
  steps: number, finalFraction: number, options: { holdFraction?: number; rate?: number } = {},
): LearningRateSchedule {
  const holdFraction = options.holdFraction ?? 0.5;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`holdThenDecay: steps must be a positive integer, got ${steps}.`);
  if (!(finalFraction > 0 && finalFraction <= 1)) {
    throw new Error(`holdThenDecay: finalFraction is the share of the rate left at the last step, in (0, 1]; got ${finalFraction}.`);
  }
  if (!(holdFraction >= 0 && holdFraction < 1)) throw new Error(`holdThenDecay: holdFraction must lie in [0, 1), got ${holdFraction}.`);
  if (options.rate !== undefined && !(options.rate > 0 && Number.isFinite(options.rate))) {
    throw new Error(`holdThenDecay: rate must be a positive number, got ${options.rate}.`);
  }
  const hold = holdFraction * steps;
  return (step, _player, initialRate) => {
    const rate = options.rate ?? initialRate;
    if (step <= hold) return rate;
    return rate * Math.pow(finalFraction, Math.min(1, (step - hold) / (steps - hold)));
  };
}

/**
 * Sets every player's learning rate before each round from `schedule(step, player, initialRate)`, where
 * `initialRate` is the optimizer's rate when training began. For example, annealing for the last quarter,
 * which sharpens a toy GAN's samples onto its modes far sooner than a constant rate (lesson 04):
 *   `learningRateSchedule((step, _p, r) => (step > 0.75 * steps ? r / 10 : r))`.
 * The optimizers must be tsgan's (`adam`, `rmsprop`, `sgd`: they have `setLearningRate`). A schedule is a
 * function of the step, so a resumed run picks up the rate where it left off.
 */
export function learningRateSchedule(schedule: LearningRateSchedule): TrainCallback {
  const initial = new Map<string, number>();
  const apply = (state: TrainState, step: number) => {
    for (const [player, optimizer] of Object.entries(state.optimizers)) {
      const o = optimizer as tf.Optimizer & { learningRate?: number; setLearningRate?: (r: number) => void };
      if (typeof o.setLearningRate !== "function" || typeof o.learningRate !== "number") {
        throw new Error(
          `learningRateSchedule: the optimizer of player "${player}" (${o.getClassName()}) cannot change its rate; ` +
            "use tsgan.adam(...), tsgan.rmsprop(...) or tsgan.sgd(...).",
        );
      }
      if (!initial.has(player)) initial.set(player, o.learningRate);
      o.setLearningRate(schedule(step, player, initial.get(player)!));
    }
  };
  return {
    onTrainBegin: (state) => apply(state, state.step + 1),
    onStepEnd: (log, state) => apply(state, log.step + 1),
  };
}
