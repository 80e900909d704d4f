/**
 * Checkpoints on every backend: models (topology + weights), optimizer state, history and step counter,
 * written with plain `fs` (tfjs-node's `file://` handler does not exist under wasm or cpu).
 *
 * Layout of a checkpoint directory:
 *
 *   dir/latest.json                       {"checkpoint": "step-00000500", "step": 500}
 *   dir/step-00000500/state.json          step, seed, history, batch size, k
 *   dir/step-00000500/generator/          model.json + weights.bin (tf.loadLayersModel-compatible)
 *   dir/step-00000500/discriminator/      model.json + weights.bin
 *   dir/step-00000500/optimizer-generator/, optimizer-discriminator/   optimizer.getWeights()
 *
 * Atomicity: a checkpoint is written into a hidden temporary directory, fsynced, and renamed into place; only
 * then is `latest.json` replaced (write a temporary file, rename over — atomic on POSIX). A crash at any
 * point leaves `latest.json` naming the previous complete checkpoint.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import type { GanOptimizers, Network, TrainHistory } from "./loop";
import { HISTORY_KEYS, trainableVariables } from "./loop";

export const CHECKPOINT_FORMAT = "tsgan-checkpoint";
export const CHECKPOINT_VERSION = 1;
const LATEST = "latest.json";
const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

/** Writes a file and flushes it to disk before returning, so a later rename never exposes a partial file. */
function writeFileDurable(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = fs.openSync(file, "w");
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes a directory entry (the rename) where the platform allows it. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function readJson(file: string, what: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new Error(`${what}: ${file} not found.`);
  const text = fs.readFileSync(file, "utf8");
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object") throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${what}: ${file} is not valid JSON (truncated or corrupt?): ${(err as Error).message}`);
  }
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Bytes that `specs` describe, or null when quantized/string weights make that unknowable up front. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const s of specs) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    if (s.quantization || BYTES_PER_ELEMENT[s.dtype] === undefined) return null;
    total += size * BYTES_PER_ELEMENT[s.dtype];
  }
  return total;
}

interface WeightsFile {
  json: Record<string, unknown>;
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
  jsonPath: string;
  binPath: string;
}

/** Reads model.json and weights.bin of `dir`, checking that they agree. */
function readWeightsDir(dir: string, what: string): WeightsFile {
  const jsonPath = path.join(dir, MODEL_JSON);
  const json = readJson(jsonPath, what);
  const manifest = json.weightsManifest as tf.io.WeightsManifestConfig | undefined;
  if (!Array.isArray(manifest)) throw new Error(`${what}: ${jsonPath} has no weightsManifest; it is not a model.json.`);
  const specs = manifest.flatMap((group) => group.weights);
  const paths = manifest.flatMap((group) => group.paths);
  const buffers: Buffer[] = [];
  let binPath = path.join(dir, WEIGHTS_BIN);
  for (const p of paths) {
    binPath = path.join(dir, p);
    if (!fs.existsSync(binPath)) throw new Error(`${what}: ${binPath} not found (named in ${jsonPath}).`);
    buffers.push(fs.readFileSync(binPath));
  }
  const joined = Buffer.concat(buffers);
  const expected = expectedBytes(specs);
  if (expected !== null && expected !== joined.length) {
    throw new Error(
      `${what}: ${binPath} holds ${joined.length} bytes but ${jsonPath} describes ${expected}; ` +
        "the checkpoint is truncated or corrupt. Resume from an earlier one.",
    );
  }
  const data = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.length) as ArrayBuffer;
  return { json, specs, data, jsonPath, binPath };
}

function writeWeightsDir(dir: string, json: Record<string, unknown>, specs: tf.io.WeightsManifestEntry[], data: tf.io.WeightData): void {
  fs.mkdirSync(dir, { recursive: true });
  const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
  writeFileDurable(path.join(dir, WEIGHTS_BIN), bytes);
  const manifest: tf.io.WeightsManifestConfig = [{ paths: [WEIGHTS_BIN], weights: specs }];
  writeFileDurable(path.join(dir, MODEL_JSON), JSON.stringify({ ...json, weightsManifest: manifest }));
}

/**
 * A `tf.io.IOHandler` that saves to and loads from a directory with plain `fs`: `model.json` and
 * `weights.bin`, the layout of tfjs-node's `file://` handler, so either can read what the other wrote.
 * `await model.save(fileSystem("out/generator"))`, `await tf.loadLayersModel(fileSystem("out/generator"))`.
 */
export function fileSystem(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const json: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      writeWeightsDir(dir, json, artifacts.weightSpecs ?? [], artifacts.weightData ?? new ArrayBuffer(0));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const { json, specs, data } = readWeightsDir(dir, "fileSystem.load");
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts["modelTopology"],
        format: json.format as string | undefined,
        generatedBy: json.generatedBy as string | undefined,
        convertedBy: (json.convertedBy as string | null | undefined) ?? undefined,
        trainingConfig: json.trainingConfig as tf.io.TrainingConfig | undefined,
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts["userDefinedMetadata"],
        weightSpecs: specs,
        weightData: data,
      };
    },
  };
}

/** A network that can save its topology (tf.LayersModel), tested by shape so a second tfjs copy also works. */
function isLayersModel(net: Network): net is Network & tf.LayersModel {
  const m = net as Partial<tf.LayersModel>;
  return typeof m.save === "function" && typeof m.setWeights === "function" && Array.isArray(m.weights);
}

/** The weights a checkpoint stores for a network: all of a LayersModel's (BN statistics too), else trainable ones. */
function savedVariables(net: Network, who: string): tf.Tensor[] {
  return isLayersModel(net) ? net.weights.map((w) => w.read()) : trainableVariables(net, who);
}

async function saveNetwork(net: Network, dir: string, who: string): Promise<void> {
  if (isLayersModel(net)) {
    await net.save(fileSystem(dir));
    return;
  }
  const named = trainableVariables(net, who).map((v, i) => ({ name: `${i}/${v.name}`, tensor: v as tf.Tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  writeWeightsDir(dir, { format: "tsgan-weights", modelTopology: null }, specs, data);
}

function restoreNetwork(net: Network, dir: string, who: string): void {
  const file = readWeightsDir(dir, `restore ${who}`);
  const targets = savedVariables(net, who);
  if (file.specs.length !== targets.length) {
    throw new Error(
      `restore ${who}: ${file.jsonPath} holds ${file.specs.length} weights but the ${who} has ${targets.length}; ` +
        `build the ${who} with the architecture it was saved with.`,
    );
  }
  const decoded = tf.io.decodeWeights(file.data, file.specs);
  try {
    const values = file.specs.map((s, i) => {
      const t = decoded[s.name];
      if (!tf.util.arraysEqual(t.shape, targets[i].shape)) {
        throw new Error(
          `restore ${who}: weight ${i} (${s.name}) in ${file.jsonPath} has shape [${t.shape}] but the ${who}'s has ` +
            `[${targets[i].shape}]; build the ${who} with the architecture it was saved with.`,
        );
      }
      return t;
    });
    if (isLayersModel(net)) net.setWeights(values);
    else values.forEach((t, i) => (targets[i] as tf.Variable).assign(t));
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

/**
 * Adam and Adamax keep β^t in variables multiplied step by step, but `setWeights` recomputes it with `pow`;
 * the two differ in the last float32 bits, enough for a resumed run to drift from an uninterrupted one.
 * So the checkpoint stores them too (as exact float32 values): tf.train.adam keeps them as scalar variables,
 * tsgan's fused Adam (lib/engine/optimizers.ts) as plain numbers.
 */
const OPTIMIZER_POWER_FIELDS = ["accBeta1", "accBeta2"] as const;

async function saveOptimizer(optimizer: tf.Optimizer, dir: string): Promise<void> {
  const weights = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(weights);
    const powers: Record<string, number> = {};
    const fields = optimizer as unknown as Record<string, unknown>;
    for (const f of OPTIMIZER_POWER_FIELDS) {
      if (fields[f] instanceof tf.Tensor) powers[f] = (fields[f] as tf.Tensor).dataSync()[0];
      else if (typeof fields[f] === "number") powers[f] = fields[f] as number;
    }
    writeWeightsDir(dir, { format: "tsgan-optimizer", className: optimizer.getClassName(), powers }, specs, data);
  } finally {
    // getWeights() makes a fresh scalar for the iteration count; the rest are the optimizer's own variables.
    tf.dispose(weights.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  }
}

async function restoreOptimizer(optimizer: tf.Optimizer, dir: string, who: string): Promise<void> {
  const file = readWeightsDir(dir, `restore ${who} optimizer`);
  const className = file.json.className;
  if (className !== optimizer.getClassName()) {
    throw new Error(
      `restore ${who} optimizer: ${file.jsonPath} holds ${String(className)} state but the ${who}'s optimizer is ` +
        `${optimizer.getClassName()}; pass the same kind of optimizer as the saved run.`,
    );
  }
  const decoded = tf.io.decodeWeights(file.data, file.specs);
  const previous = await optimizer.getWeights();
  try {
    await optimizer.setWeights(file.specs.map((s) => ({ name: s.name, tensor: decoded[s.name] })));
    // tfjs optimizers replace their slot variables in setWeights without freeing the old ones.
    const current = await optimizer.getWeights();
    const kept = new Set(current.map((w) => w.tensor));
    tf.dispose(previous.filter((w) => !kept.has(w.tensor)).map((w) => w.tensor));
    tf.dispose(current.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
    const powers = (file.json.powers ?? {}) as Record<string, number>;
    const fields = optimizer as unknown as Record<string, unknown>;
    for (const f of OPTIMIZER_POWER_FIELDS) {
      const v = fields[f];
      if (typeof powers[f] !== "number") continue;
      if (v instanceof tf.Variable) tf.tidy(() => v.assign(tf.scalar(powers[f])));
      else if (typeof v === "number") fields[f] = powers[f];
    }
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

/** What `state.json` holds. */
export interface CheckpointState {
  format: string;
  version: number;
  step: number;
  seed: number;
  batchSize: number;
  discriminatorSteps: number;
  history: TrainHistory;
  savedAt: string;
}

export interface CheckpointContents {
  gan: { generator: Network; discriminator: Network };
  optimizers: GanOptimizers;
  history: TrainHistory;
  step: number;
  seed: number;
  batchSize: number;
  discriminatorSteps: number;
}

export interface SaveCheckpointOptions {
  /** Checkpoints to keep in the directory, newest first. Default 2. */
  keep?: number;
}

const CHECKPOINT_NAME = /^step-(\d+)(?:\.(\d+))?$/;

function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}

/** Checkpoint subdirectories of `dir`, oldest first. */
function listCheckpoints(dir: string): string[] {
  const rank = (name: string) => {
    const m = CHECKPOINT_NAME.exec(name) as RegExpExecArray;
    return [Number(m[1]), Number(m[2] ?? 0)];
  };
  return fs
    .readdirSync(dir)
    .filter((name) => CHECKPOINT_NAME.test(name))
    .sort((a, b) => {
      const [sa, va] = rank(a);
      const [sb, vb] = rank(b);
      return sa - sb || va - vb;
    });
}

/**
 * Saves a checkpoint into `dir` atomically and points `dir/latest.json` at it; keeps the newest `keep`.
 * Returns the path of the checkpoint written.
 */
export async function saveCheckpoint(
  dir: string, contents: CheckpointContents, options: SaveCheckpointOptions = {},
): Promise<string> {
  const keep = options.keep ?? 2;
  fs.mkdirSync(dir, { recursive: true });
  let name = checkpointName(contents.step);
  for (let n = 1; fs.existsSync(path.join(dir, name)); n++) name = `${checkpointName(contents.step)}.${n}`;
  const tmp = path.join(dir, `.tmp-${name}-${process.pid}-${Date.now().toString(36)}`);
  fs.mkdirSync(tmp);
  try {
    await saveNetwork(contents.gan.generator, path.join(tmp, "generator"), "generator");
    await saveNetwork(contents.gan.discriminator, path.join(tmp, "discriminator"), "discriminator");
    await saveOptimizer(contents.optimizers.generator, path.join(tmp, "optimizer-generator"));
    await saveOptimizer(contents.optimizers.discriminator, path.join(tmp, "optimizer-discriminator"));
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: contents.step,
      seed: contents.seed,
      batchSize: contents.batchSize,
      discriminatorSteps: contents.discriminatorSteps,
      history: contents.history,
      savedAt: new Date().toISOString(),
    };
    writeFileDurable(path.join(tmp, "state.json"), JSON.stringify(state));
    fs.renameSync(tmp, path.join(dir, name));
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fsyncDir(dir);
  const latestTmp = path.join(dir, `.${LATEST}.tmp-${process.pid}`);
  writeFileDurable(latestTmp, JSON.stringify({ checkpoint: name, step: contents.step }));
  fs.renameSync(latestTmp, path.join(dir, LATEST));
  fsyncDir(dir);
  pruneCheckpoints(dir, keep, name);
  return path.join(dir, name);
}

/** Deletes all but the newest `keep` checkpoints (never `current`) and temporaries left by crashed saves. */
function pruneCheckpoints(dir: string, keep: number, current: string): void {
  const all = listCheckpoints(dir);
  for (const name of all.slice(0, Math.max(0, all.length - keep))) {
    if (name !== current) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(".tmp-step-")) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * The directory of the checkpoint `dir` refers to: the one `dir/latest.json` names, or `dir` itself when it
 * is a single checkpoint (holds state.json).
 */
export function latestCheckpoint(dir: string): string {
  const latest = path.join(dir, LATEST);
  if (fs.existsSync(latest)) {
    const pointer = readJson(latest, "checkpoint");
    if (typeof pointer.checkpoint !== "string" || !CHECKPOINT_NAME.test(pointer.checkpoint)) {
      throw new Error(`checkpoint: ${latest} does not name a checkpoint directory ("checkpoint": "step-...").`);
    }
    const target = path.join(dir, pointer.checkpoint);
    if (!fs.existsSync(target)) throw new Error(`checkpoint: ${target} (named in ${latest}) not found.`);
    return target;
  }
  if (fs.existsSync(path.join(dir, "state.json"))) return dir;
  if (!fs.existsSync(dir)) throw new Error(`checkpoint: directory ${dir} not found.`);
  throw new Error(`checkpoint: no checkpoint in ${dir}: ${latest} not found (train with checkpointDir to write one).`);
}

function readState(checkpoint: string): CheckpointState {
  const file = path.join(checkpoint, "state.json");
  const state = readJson(file, "checkpoint") as unknown as CheckpointState;
  if (state.format !== CHECKPOINT_FORMAT) {
    throw new Error(`checkpoint: ${file} is not a tsgan checkpoint (format ${JSON.stringify(state.format)}).`);
  }
  if (state.version !== CHECKPOINT_VERSION) {
    throw new Error(`checkpoint: ${file} has version ${state.version}; this tsgan reads version ${CHECKPOINT_VERSION}.`);
  }
  if (!Number.isInteger(state.step) || state.step < 0 || state.history == null
    || !HISTORY_KEYS.every((k) => Array.isArray(state.history[k]))) {
    throw new Error(`checkpoint: ${file} lacks a valid step or history; it is corrupt.`);
  }
  return state;
}

/**
 * Loads the latest checkpoint of `dir` into existing networks and optimizers (built as in the saved run)
 * and returns its state. `train({resumeFrom})` and `resume()` call this.
 */
export async function restoreCheckpoint(
  dir: string, gan: { generator: Network; discriminator: Network }, optimizers: GanOptimizers,
): Promise<CheckpointState> {
  const checkpoint = latestCheckpoint(dir);
  const state = readState(checkpoint);
  restoreNetwork(gan.generator, path.join(checkpoint, "generator"), "generator");
  restoreNetwork(gan.discriminator, path.join(checkpoint, "discriminator"), "discriminator");
  await restoreOptimizer(optimizers.generator, path.join(checkpoint, "optimizer-generator"), "generator");
  await restoreOptimizer(optimizers.discriminator, path.join(checkpoint, "optimizer-discriminator"), "discriminator");
  return state;
}

export interface LoadedCheckpoint {
  generator: tf.LayersModel;
  discriminator: tf.LayersModel;
  state: CheckpointState;
  /** The directory the models were read from. */
  path: string;
}

/** Loads the latest checkpoint of `dir` as new models (for sampling, evaluation or a lesson's pretrained G). */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const checkpoint = latestCheckpoint(dir);
  const state = readState(checkpoint);
  const load = async (who: string) => {
    const sub = path.join(checkpoint, who);
    const json = readJson(path.join(sub, MODEL_JSON), `load ${who}`);
    if (json.modelTopology == null) {
      throw new Error(
        `load ${who}: ${path.join(sub, MODEL_JSON)} holds weights only (the network was not a tf.LayersModel); ` +
          "build the network and use restoreCheckpoint() instead.",
      );
    }
    return tf.loadLayersModel(fileSystem(sub));
  };
  return { generator: await load("generator"), discriminator: await load("discriminator"), state, path: checkpoint };
}
