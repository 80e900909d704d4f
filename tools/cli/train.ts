/**
 * `tsgan train` and `tsgan resume`: train a variant into a run folder, and continue one exactly.
 *
 * Both end in `runTraining`, which hands lib/train's loop the run's checkpoints directory: with a checkpoint
 * there, the loop restores weights, optimizer state, step, seed and data position, and so continues as the
 * uninterrupted run would have (the loop reseeds every step from (seed, step), and the data is a function of
 * the batch index).
 */
import * as fs from "fs";
import * as path from "path";
import {
  checkVariant, DATASET_NAMES, DatasetName, disposeVariant, getDataset, getVariant, variantNames, VariantInfo, VariantOptions,
} from "../../lib/models/registry";
import { holdThenDecay, learningRateSchedule, sampleEvery } from "../../lib/train/callbacks";
import { train } from "../../lib/train/loop";
import type { GanSpec } from "../../lib/train/gan-spec";
import type { Game, TrainCallback } from "../../lib/train/types";
import {
  CommandSpec, fraction, oneOf, ParsedArgs, positiveInteger, positiveIntegerList, positiveNumber, seedValue, UsageError,
} from "./args";
import { batchSource, loadData, pointReference, RunData } from "./data";
import { drawSamples, PointReference, SAMPLE_SEED, stepSampleFile, writeSamples } from "./pictures";
import { Interrupt, formatDuration, progressWithEta } from "./progress";
import {
  folderState, readRunConfig, RUN_FORMAT, RUN_VERSION, RunConfig, runPaths, tsganVersion, writeHistory, writeRunConfig,
} from "./run-folder";
import { buildRunVariant, hasCheckpoint } from "./session";
import { Io, startEngine } from "./io";

/** Samples in each grid written during training. */
export const SAMPLE_COUNT = 64;
const DEFAULT_BATCH_SIZE = 64;
/** Sample grids and checkpoints a run writes by default. */
const DEFAULT_WRITES_PER_RUN = 10;

export const TRAIN_COMMAND: CommandSpec = {
  name: "train",
  summary: "Trains a variant on a dataset into a run folder (run.json, checkpoints/, samples/, history.json).",
  positionals: [{ name: "variant", help: `the variant: ${variantNames().join(", ")} (tsgan list says what each is)` }],
  flags: [
    { name: "dataset", value: "NAME", required: true, parse: oneOf(DATASET_NAMES, "dataset"), help: `the data: ${DATASET_NAMES.join(", ")}` },
    { name: "steps", value: "N", required: true, parse: positiveInteger, help: "steps to train (rounds of every player's updates)" },
    { name: "out", value: "DIR", help: "the run folder (default runs/<variant>-<dataset>)" },
    { name: "batch-size", value: "N", parse: positiveInteger, help: `examples per batch (default ${DEFAULT_BATCH_SIZE})` },
    { name: "seed", value: "N", parse: seedValue, help: "seed of the weights, data order and noise (default: a random one, kept in run.json)" },
    { name: "sample-every", value: "N", parse: positiveInteger, help: `write ${SAMPLE_COUNT} samples to samples/ every N steps (default: ${DEFAULT_WRITES_PER_RUN} times a run)` },
    { name: "checkpoint-every", value: "N", parse: positiveInteger, help: `write a checkpoint every N steps (default: ${DEFAULT_WRITES_PER_RUN} times a run, and at the end)` },
    { name: "latent-dim", value: "N", parse: positiveInteger, help: "length of the noise vector z (default: the variant's)" },
    { name: "trunk", value: "NAME", help: "mlp or conv networks, for acgan, wgan, wgan-gp and sngan on images" },
    { name: "hidden-sizes", value: "N,N,...", parse: positiveIntegerList, help: "hidden layer widths of every MLP on ring and grid (default 64,64)" },
    { name: "learning-rate", value: "R", parse: positiveNumber, help: "every player's starting learning rate (default: the variant's)" },
    { name: "anneal", value: "F", parse: fraction, help: "hold the rate for the first half of --steps, then decay it exponentially to F times it by the last step (lesson 4's 0.01)" },
    { name: "resume", help: "continue the run in the folder up to --steps (same variant and dataset); start one if there is none" },
    { name: "overwrite", help: "delete the run already in the folder and start a new one" },
  ],
  notes:
    "Ctrl-C stops after the current step and writes a checkpoint (a second Ctrl-C quits at once);\n" +
    "`tsgan resume DIR` then continues exactly as if the run had not stopped.",
};

export const RESUME_COMMAND: CommandSpec = {
  name: "resume",
  summary: "Continues a run from its latest checkpoint, exactly as if it had not stopped.",
  positionals: [{ name: "run", help: "the run folder (what tsgan train --out wrote)" }],
  flags: [{ name: "steps", value: "N", parse: positiveInteger, help: "train to this step (default: the run's own --steps)" }],
};

/** The step of a run's latest checkpoint, 0 when it has none. */
function checkpointStep(dir: string): number {
  if (!hasCheckpoint(dir)) return 0;
  const latest = JSON.parse(fs.readFileSync(path.join(runPaths(dir).checkpoints, "latest.json"), "utf8")) as { step?: unknown };
  return typeof latest.step === "number" ? latest.step : 0;
}

/** Registry errors (an unsupported dataset, a trunk a variant lacks) are mistakes in the command line. */
function asUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function checkBatchSize(variant: VariantInfo, batchSize: number, flag = "--batch-size"): void {
  const m = variant.batchMultiple ?? 1;
  if (batchSize % m !== 0) {
    throw new UsageError(`${flag} must be a multiple of ${m} for ${variant.name} (its discriminator sees packs of ${m}), got ${batchSize}.`);
  }
}

/** The run.json of a new run, from the command line. */
function newConfig(args: ParsedArgs, variant: VariantInfo, dataset: DatasetName, options: VariantOptions): RunConfig {
  const f = args.flags;
  const steps = f.steps as number;
  const every = Math.max(1, Math.ceil(steps / DEFAULT_WRITES_PER_RUN));
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    variant: variant.name,
    dataset,
    seed: (f.seed as number | undefined) ?? Math.floor(Math.random() * 2 ** 31),
    options: {
      steps,
      batchSize: (f["batch-size"] as number | undefined) ?? DEFAULT_BATCH_SIZE,
      sampleEvery: (f["sample-every"] as number | undefined) ?? every,
      checkpointEvery: (f["checkpoint-every"] as number | undefined) ?? every,
      variant: options,
      ...(f["learning-rate"] !== undefined ? { learningRate: f["learning-rate"] as number } : {}),
      ...(f.anneal !== undefined ? { anneal: f.anneal as number } : {}),
    },
    created: new Date().toISOString(),
    tsgan: tsganVersion(),
  };
}

/**
 * `train --resume` on an existing run: the run's own settings, with the new target and write intervals.
 * Anything that would change the run's course (variant, dataset, seed, batch size, networks) must match.
 */
function resumedConfig(dir: string, args: ParsedArgs, variant: VariantInfo, dataset: DatasetName, options: VariantOptions): RunConfig {
  const config = readRunConfig(dir);
  const f = args.flags;
  const given: [string, unknown, unknown][] = [
    ["<variant>", variant.name, config.variant],
    ["--dataset", dataset, config.dataset],
    ["--seed", f.seed, config.seed],
    ["--batch-size", f["batch-size"], config.options.batchSize],
    ["--latent-dim", options.latentDim, config.options.variant.latentDim],
    ["--trunk", options.trunk, config.options.variant.trunk],
    ["--hidden-sizes", options.hiddenSizes?.join(","), config.options.variant.hiddenSizes?.join(",")],
    ["--learning-rate", f["learning-rate"], config.options.learningRate],
    ["--anneal", f.anneal, config.options.anneal],
  ];
  for (const [flag, value, saved] of given) {
    if (value !== undefined && value !== saved) {
      throw new UsageError(
        `${dir} holds a run with ${flag} ${saved ?? "(the default)"}, not ${value}; --resume continues a run only with its own ` +
          "settings (leave the flag out), or start a new one with --overwrite or another --out.",
      );
    }
  }
  retarget(dir, config, f.steps as number);
  if (f["sample-every"] !== undefined) config.options.sampleEvery = f["sample-every"] as number;
  if (f["checkpoint-every"] !== undefined) config.options.checkpointEvery = f["checkpoint-every"] as number;
  return config;
}

/**
 * A new target step for a run. An annealing run's rate is a function of its target (it decays over the second
 * half of it), so a new target would change the rate under steps already trained: refused.
 */
function retarget(dir: string, config: RunConfig, steps: number): void {
  if (config.options.anneal !== undefined && steps !== config.options.steps) {
    throw new UsageError(
      `${dir} anneals its learning rate over its ${config.options.steps} steps (--anneal ${config.options.anneal}); another target ` +
        `(${steps}) would change the rate of the steps it has trained. Continue it to ${config.options.steps}, or train a new run.`,
    );
  }
  config.options.steps = steps;
}

/** The learning-rate callback of a run with --learning-rate or --anneal, none otherwise. */
function rateSchedule(config: RunConfig): TrainCallback[] {
  const { steps, learningRate, anneal } = config.options;
  if (learningRate === undefined && anneal === undefined) return [];
  return [learningRateSchedule(holdThenDecay(steps, anneal ?? 1, { rate: learningRate }))];
}

/** ", learning rate 0.001 held for half the steps, then annealed to 1 % of it" for the progress line; "" for the variant's own constant rate. */
function rateWords(config: RunConfig): string {
  const { learningRate, anneal } = config.options;
  const rate = learningRate !== undefined ? `learning rate ${learningRate}` : "the variant's learning rate";
  if (anneal !== undefined) return `, ${rate} held for half the steps, then annealed to ${100 * anneal} % of it`;
  return learningRate !== undefined ? `, ${rate}` : "";
}

/** Refuses to train into a folder that holds something, unless told what to do with it. */
function prepareFolder(dir: string, args: ParsedArgs): "new" | "resume" {
  const { resume, overwrite } = args.flags;
  if (resume && overwrite) throw new UsageError("give --resume (continue the run in the folder) or --overwrite (replace it), not both.");
  const state = folderState(dir);
  if (state === "other") {
    throw new UsageError(
      `${dir} exists and is not a tsgan run folder (no run.json)${overwrite ? "; --overwrite deletes only run folders" : ""}; ` +
        "choose another --out.",
    );
  }
  if (state !== "run") return "new";
  if (resume) return "resume";
  if (overwrite) {
    fs.rmSync(dir, { recursive: true, force: true });
    return "new";
  }
  const config = readRunConfig(dir);
  throw new UsageError(
    `${dir} already holds a run (${config.variant} on ${config.dataset}, at step ${checkpointStep(dir)} of ${config.options.steps}); ` +
      "pass --resume to continue it, --overwrite to replace it, or choose another --out.",
  );
}

export async function trainCommand(args: ParsedArgs, io: Io): Promise<number> {
  const variant = asUsageError(() => getVariant(args.positionals[0]));
  const dataset = args.flags.dataset as DatasetName;
  const options: VariantOptions = {
    ...(args.flags["latent-dim"] !== undefined ? { latentDim: args.flags["latent-dim"] as number } : {}),
    ...(args.flags.trunk !== undefined ? { trunk: args.flags.trunk as string } : {}),
    ...(args.flags["hidden-sizes"] !== undefined ? { hiddenSizes: args.flags["hidden-sizes"] as number[] } : {}),
  };
  asUsageError(() => checkVariant(variant, getDataset(dataset), options, dataset));
  if (args.flags["batch-size"] !== undefined) checkBatchSize(variant, args.flags["batch-size"] as number);
  const dir = (args.flags.out as string | undefined) ?? path.join("runs", `${variant.name}-${dataset}`);
  const mode = prepareFolder(dir, args);
  const config = mode === "resume" ? resumedConfig(dir, args, variant, dataset, options) : newConfig(args, variant, dataset, options);
  return runTraining(dir, config, io);
}

export async function resumeCommand(args: ParsedArgs, io: Io): Promise<number> {
  const dir = args.positionals[0];
  const config = readRunConfig(dir);
  if (args.flags.steps !== undefined) retarget(dir, config, args.flags.steps as number);
  return runTraining(dir, config, io);
}

/**
 * Rewrites history.json at each checkpoint and when training ends — also when it ends with an error (a NaN
 * loss), so the numbers up to the failure are there to look at.
 */
function historyWriter(dir: string, every: number): TrainCallback {
  return {
    onStepEnd(log, state) {
      if (log.step % every === 0) writeHistory(dir, state.history);
    },
    onTrainEnd(state) {
      writeHistory(dir, state.history);
    },
  };
}

/** The callbacks of a command-line run: progress, sample files, history, Ctrl-C. */
function runCallbacks(dir: string, config: RunConfig, data: RunData, reference: PointReference | undefined, interrupt: Interrupt, io: Io): TrainCallback[] {
  const { samples } = runPaths(dir);
  return [
    ...rateSchedule(config),
    progressWithEta(io.err),
    sampleEvery(config.options.sampleEvery, (x, step) => { writeSamples(stepSampleFile(samples, step), x, data.info.kind, reference, step); },
      { count: SAMPLE_COUNT, seed: SAMPLE_SEED }),
    historyWriter(dir, config.options.checkpointEvery),
    interrupt.callback,
  ];
}

/** The last step's samples, from the same noise as the grids during training, unless those already drew them. */
function writeFinalSamples(dir: string, game: Game, step: number, data: RunData, reference: PointReference | undefined): void {
  const file = stepSampleFile(runPaths(dir).samples, step);
  if (step === 0 || fs.existsSync(file)) return;
  const drawn = drawSamples(game, SAMPLE_COUNT, SAMPLE_SEED);
  try {
    writeSamples(file, drawn.x, data.info.kind, reference, step);
  } finally {
    drawn.x.dispose();
  }
}

/** Trains the run in `dir` up to config.options.steps, from its latest checkpoint when it has one. */
export async function runTraining(dir: string, config: RunConfig, io: Io): Promise<number> {
  const paths = runPaths(dir);
  const { steps, batchSize, checkpointEvery } = config.options;
  const variant = getVariant(config.variant);
  checkBatchSize(variant, batchSize, "the run's batch size");
  const from = checkpointStep(dir);
  if (from >= steps) {
    io.out.write(`${dir} is already at step ${from} (its target is ${steps}); nothing to train. Raise the target: tsgan resume ${dir} --steps N\n`);
    return 0;
  }
  await startEngine(io, true);
  const interrupt = new Interrupt(io.err);
  interrupt.install();
  const data = loadData(config.dataset, config.seed);
  let gan: GanSpec | Game | undefined;
  let reference: PointReference | undefined;
  try {
    if (batchSize > data.x.shape[0]) {
      throw new UsageError(`the batch size ${batchSize} is larger than ${config.dataset}'s ${data.x.shape[0]} examples; lower --batch-size.`);
    }
    writeRunConfig(dir, config);
    gan = buildRunVariant(config);
    reference = pointReference(data, config.seed);
    io.err.write(`tsgan: ${from > 0 ? `resuming ${dir} at step ${from}` : `training ${dir}`}: ${config.variant} on ${config.dataset}, ` +
      `${steps} steps, batch ${batchSize}, seed ${config.seed}${rateWords(config)}\n`);
    const started = Date.now();
    const result = await train({
      gan, data: batchSource(data, variant.conditional, config.seed), steps, batchSize, seed: config.seed,
      checkpointDir: paths.checkpoints, checkpointEvery, resumeFrom: from > 0 ? paths.checkpoints : undefined,
      callbacks: runCallbacks(dir, config, data, reference, interrupt, io),
    });
    Object.values(result.optimizers).forEach((o) => o.dispose());
    writeFinalSamples(dir, result.game, result.step, data, reference);
    const took = formatDuration((Date.now() - started) / 1000);
    if (result.stopped) {
      io.out.write(`stopped at step ${result.step} of ${steps} after ${took}; checkpoint written. Continue with: tsgan resume ${dir}\n`);
    } else {
      io.out.write(
        `trained ${config.variant} on ${config.dataset} to step ${result.step} in ${took}: ${dir}/ holds run.json, history.json, ` +
          `checkpoints/, samples/. Next: tsgan sample ${dir}, tsgan eval ${dir}\n`,
      );
    }
    return 0;
  } finally {
    interrupt.remove();
    data.dispose();
    reference?.data.dispose();
    if (gan) disposeVariant(gan);
  }
}
