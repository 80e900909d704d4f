/**
 * Callbacks: what a run does besides training — report progress, draw samples, feed live plots.
 * Each hook may be async; the loop awaits it before the next step.
 */
import * as tf from "@tensorflow/tfjs";
import { seed as seedEverything } from "../engine/seed";
import type { StepLog, TrainState, LatentBatch } from "./loop";
import { generateSamples, toLatentBatch } from "./loop";

export interface TrainCallback {
  onTrainBegin?(state: TrainState): void | Promise<void>;
  /** After every generator step, with that step's numbers (recorded in the history or not). */
  onStepEnd?(log: StepLog, state: TrainState): void | Promise<void>;
  /** After every `stepsPerEpoch` steps (1-based epoch number). */
  onEpochEnd?(epoch: number, state: TrainState): void | Promise<void>;
  /** When training ends, also when it ends with an error. */
  onTrainEnd?(state: TrainState): void | Promise<void>;
}

/** Calls `fn` every `n` generator steps: the hook point for live plots and custom logging. */
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

/** One progress line, e.g. `step 120/500 [####----] 24% | D 1.2345 G 0.9876 | D(x) 0.6120 D(G(z)) 0.4210`. */
export function formatProgress(log: StepLog, totalSteps: number, width = 20, rate?: number): string {
  const fraction = totalSteps > 0 ? Math.min(1, log.step / totalSteps) : 1;
  const filled = Math.round(fraction * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const digits = String(totalSteps).length;
  let line =
    `step ${String(log.step).padStart(digits)}/${totalSteps} [${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%` +
    ` | D ${formatNumber(log.discriminatorLoss)} G ${formatNumber(log.generatorLoss)}` +
    ` | D(x) ${formatNumber(log.meanDReal)} D(G(z)) ${formatNumber(log.meanDFake)}`;
  if (rate !== undefined && Number.isFinite(rate)) line += ` | ${rate.toFixed(1)} step/s`;
  return line;
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
      const line = formatProgress(log, state.totalSteps, width, rate);
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
 * Every `n` steps, generates samples from a fixed latent batch (inference mode) and hands them to `fn`
 * (a sample grid, a histogram, a scatter plot). The tensor is disposed after `fn` resolves: clone it to keep.
 */
export function sampleEvery(
  n: number,
  fn: (samples: tf.Tensor, step: number, state: TrainState) => void | Promise<void>,
  options: SampleEveryOptions = {},
): TrainCallback {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`sampleEvery: n must be a positive integer, got ${n}.`);
  let latent: LatentBatch | null = null;
  const emit = async (state: TrainState) => {
    const samples = tf.tidy(() => generateSamples(state.gan, latent as LatentBatch, false));
    try {
      await fn(samples, state.step, state);
    } finally {
      samples.dispose();
    }
  };
  return {
    async onTrainBegin(state) {
      // Reseeding here does not disturb training: every step reseeds itself (see loop.ts).
      seedEverything(options.seed ?? 1234);
      latent = tf.tidy(() => {
        const l = toLatentBatch(state.gan.latent(options.count ?? 64));
        return (l.labels ? { z: l.z, labels: l.labels } : { z: l.z }) as unknown as tf.TensorContainer;
      }) as unknown as LatentBatch;
      if (options.atStart) await emit(state);
    },
    async onStepEnd(log, state) {
      if (log.step % n === 0) await emit(state);
    },
    onTrainEnd() {
      if (latent) tf.dispose([latent.z, latent.labels ?? []]);
      latent = null;
    },
  };
}
