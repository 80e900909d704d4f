/**
 * A run folder: everything `tsgan resume`, `sample` and `eval` need, so that none of them takes more than
 * the folder's name.
 *
 *   RUN/run.json          the variant, dataset, seed and options (RunConfig) — written before training starts
 *   RUN/checkpoints/      lib/train/checkpoint.ts's directory (latest.json, step-XXXXXXXX/)
 *   RUN/history.json      the training history (TrainHistory), rewritten at every checkpoint and at the end
 *   RUN/samples/          step-XXXXXXXX.png (and .json of the points, for 2-D data) from a fixed noise batch
 *   RUN/eval.json         what `tsgan eval` measured last
 */
import * as fs from "fs";
import * as path from "path";
import { writeFileDurable } from "../../lib/io/files";
import { packageRoot } from "../../lib/data/mnist";
import { DATASET_NAMES, DatasetName, getVariant, VariantOptions } from "../../lib/models/registry";
import type { TrainHistory } from "../../lib/train/types";
import { UsageError } from "./args";

export const RUN_FORMAT = "tsgan-run";
export const RUN_VERSION = 1;

/** What run.json holds. */
export interface RunConfig {
  format: typeof RUN_FORMAT;
  version: number;
  variant: string;
  dataset: DatasetName;
  /** The run's seed: weights, data order and every step's randomness follow from it. */
  seed: number;
  options: {
    /** The step the run trains to (`resume --steps` raises it). */
    steps: number;
    batchSize: number;
    sampleEvery: number;
    checkpointEvery: number;
    /** The variant builder's options (registry.ts's VariantOptions); {} for its defaults. */
    variant: VariantOptions;
    /** Every player's starting learning rate, instead of the variant's (`--learning-rate`); absent: the variant's. */
    learningRate?: number;
    /**
     * The rate left at the last step when the run anneals (`--anneal`): held for the first half of `steps`, then
     * decayed exponentially to this share of it (lib/train/callbacks.ts's holdThenDecay); absent: a constant rate.
     */
    anneal?: number;
  };
  created: string;
  /** The tsgan version that created the run. */
  tsgan: string;
}

export interface RunPaths {
  dir: string;
  config: string;
  checkpoints: string;
  history: string;
  samples: string;
  eval: string;
}

export function runPaths(dir: string): RunPaths {
  return {
    dir,
    config: path.join(dir, "run.json"),
    checkpoints: path.join(dir, "checkpoints"),
    history: path.join(dir, "history.json"),
    samples: path.join(dir, "samples"),
    eval: path.join(dir, "eval.json"),
  };
}

/** The version of the tsgan package running this. */
export function tsganVersion(): string {
  return String(JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")).version);
}

/** What is in `dir`: nothing there, an empty folder, a run folder, or something else. */
export function folderState(dir: string): "missing" | "empty" | "run" | "other" {
  if (!fs.existsSync(dir)) return "missing";
  if (!fs.statSync(dir).isDirectory()) return "other";
  if (fs.existsSync(path.join(dir, "run.json"))) return "run";
  return fs.readdirSync(dir).length === 0 ? "empty" : "other";
}

/**
 * Writes a JSON file whole or not at all (a temporary file renamed over it), so a Ctrl-C never leaves half of
 * one. `pretty` for the files people read (run.json, eval.json); the long number series stay compact.
 */
export function writeJsonAtomic(file: string, value: unknown, pretty = false): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileDurable(tmp, JSON.stringify(value, null, pretty ? 2 : undefined) + "\n");
  fs.renameSync(tmp, file);
}

export function writeRunConfig(dir: string, config: RunConfig): void {
  writeJsonAtomic(runPaths(dir).config, config, true);
}

export function writeHistory(dir: string, history: TrainHistory): void {
  writeJsonAtomic(runPaths(dir).history, history);
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/**
 * Reads and checks run.json, with errors that say what is wrong with the folder and what to do: a folder that is
 * missing or is no run folder is a mistake in the command line (UsageError); a damaged run.json is not.
 */
export function readRunConfig(dir: string): RunConfig {
  const state = folderState(dir);
  if (state === "missing") throw new UsageError(`no run folder at ${dir}; train one with: tsgan train <variant> --dataset NAME --steps N --out ${dir}`);
  const file = runPaths(dir).config;
  if (state !== "run") throw new UsageError(`${dir} is not a tsgan run folder (it has no run.json); give the folder \`tsgan train --out\` wrote.`);
  let config: RunConfig;
  try {
    config = JSON.parse(fs.readFileSync(file, "utf8")) as RunConfig;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); it is damaged: train the run again with --overwrite.`);
  }
  if (config?.format !== RUN_FORMAT || config.version !== RUN_VERSION) {
    throw new Error(`${file} is not a version-${RUN_VERSION} tsgan run file (format ${JSON.stringify(config?.format)}, version ${JSON.stringify(config?.version)}).`);
  }
  getVariant(config.variant); // throws, naming the variants, for an unknown one
  if (!(DATASET_NAMES as readonly string[]).includes(config.dataset)) {
    throw new Error(`${file} names dataset "${config.dataset}", which this tsgan does not have (${DATASET_NAMES.join(", ")}).`);
  }
  const o = config.options;
  const bad = ["steps", "batchSize", "sampleEvery", "checkpointEvery"].filter((k) => !isPositiveInteger((o as unknown as Record<string, unknown>)?.[k]));
  if (bad.length > 0 || !Number.isInteger(config.seed)) {
    throw new Error(`${file} lacks a valid ${[...bad, ...(Number.isInteger(config.seed) ? [] : ["seed"])].join(", ")}; it is damaged.`);
  }
  if (o.learningRate !== undefined && !(typeof o.learningRate === "number" && o.learningRate > 0 && Number.isFinite(o.learningRate))) {
    throw new Error(`${file} has an invalid learningRate ${JSON.stringify(o.learningRate)}; it is damaged.`);
  }
  if (o.anneal !== undefined && !(typeof o.anneal === "number" && o.anneal > 0 && o.anneal <= 1)) {
    throw new Error(`${file} has an invalid anneal ${JSON.stringify(o.anneal)}; it is damaged.`);
  }
  o.variant ??= {};
  return config;
}
