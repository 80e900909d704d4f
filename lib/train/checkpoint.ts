/**
 * Checkpoints of any game: every named network and every player's optimizer state, plus the step, the run's
 * seed, the position in the data and the history, so that a resumed run continues exactly as the
 * uninterrupted one would have.
 *
 * Layout of a checkpoint directory:
 *
 *   dir/latest.json                          {"checkpoint": "step-00000500", "step": 500}
 *   dir/step-00000500/state.json             step, seed, batches drawn, data order, history, names
 *   dir/step-00000500/networks/<network>/    model.json + weights.bin (tf.loadLayersModel-compatible)
 *   dir/step-00000500/optimizers/<player>/   model.json (the state's description) + weights.bin (its slots)
 *
 * Optimizer state is stored per variable as (network, index of the weight in that network), not by tfjs's
 * variable names, which differ between processes (a rebuilt model's layers get new unique names): on restore
 * each entry goes to whatever variable now sits at that place, so a rebuilt network takes its moments back.
 *
 * Atomicity: a checkpoint is written into a hidden temporary directory, fsynced, and renamed into place; only
 * then is `latest.json` replaced (write a temporary file, rename over — atomic on POSIX). A crash at any point
 * leaves `latest.json` naming the previous complete checkpoint.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { fileSystem, fsyncDir, MODEL_JSON, readJson, readWeightsDir, writeFileDurable, writeWeightsDir } from "../io/files";
import { isStatefulOptimizer, OptimizerState } from "../engine/optimizers";
import { DataOrder, Game, Network, TrainHistory, trainableVariables } from "./types";
import type { GanSpec } from "./gan-spec";

export const CHECKPOINT_FORMAT = "tsgan-checkpoint";
export const CHECKPOINT_VERSION = 2;
const LATEST = "latest.json";

/** What `state.json` holds. */
export interface CheckpointState {
  format: string;
  version: number;
  step: number;
  /** The run's seed: every step reseeds all random sources from (seed, step), so this and `step` fix the RNG. */
  seed: number;
  batchSize: number;
  /** Real batches drawn so far: the index of the next one (the data position, whatever the schedule). */
  batchesDrawn: number;
  /** What the batch source was built from (`shuffledBatches`' seed and size), when it says. */
  dataOrder: DataOrder | null;
  history: TrainHistory;
  /** Network name → its directory under networks/. */
  networks: Record<string, string>;
  /** Player name → its directory under optimizers/ and the networks it trains. */
  players: Record<string, { dir: string; trains: string[]; optimizer: string }>;
  /** The game's `variantState.save()`, when it has one. */
  variantState?: unknown;
  savedAt: string;
}

/** What a checkpoint is made of. `game` may be a GanSpec (its two players are "generator" and "discriminator"). */
export interface CheckpointContents {
  game: Game | GanSpec;
  optimizers: Readonly<Record<string, tf.Optimizer>>;
  history: TrainHistory;
  step: number;
  seed: number;
  batchSize: number;
  batchesDrawn: number;
  dataOrder?: DataOrder | null;
}

export interface SaveCheckpointOptions {
  /** Checkpoints to keep in the directory, newest first. Default 2. */
  keep?: number;
}

/** The networks of a game or spec, and which networks each player trains. */
function layout(game: Game | GanSpec): { networks: Record<string, Network>; trains: Record<string, string[]>; variantState?: Game["variantState"] } {
  if (game != null && Array.isArray((game as Game).players)) {
    const g = game as Game;
    return { networks: g.networks, trains: Object.fromEntries(g.players.map((p) => [p.name, p.trains])), variantState: g.variantState };
  }
  const spec = game as GanSpec;
  if (spec == null || spec.generator == null || spec.discriminator == null) {
    throw new Error("checkpoint: expected a Game ({networks, players}) or a GanSpec ({generator, discriminator, ...}).");
  }
  return {
    networks: { generator: spec.generator, discriminator: spec.discriminator },
    trains: { generator: ["generator"], discriminator: ["discriminator"] },
  };
}

/** A directory name for any network or player name: letters, digits, `_`, `.` and `-` kept, others escaped. */
function safeName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_.-]/g, (c) => `~${c.codePointAt(0)!.toString(16)}`);
  if (base === "" || base.startsWith(".")) base = `~${base}`;
  let out = base;
  for (let i = 2; taken.has(out.toLowerCase()); i++) out = `${base}~${i}`; // case-insensitive file systems
  taken.add(out.toLowerCase());
  return out;
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

/** Where each variable of the given networks sits: variable name → [network, index in its trainable weights]. */
function variablePlaces(networks: Record<string, Network>, names: string[]): Map<string, [string, number]> {
  const places = new Map<string, [string, number]>();
  for (const network of names) {
    trainableVariables(networks[network], network).forEach((v, i) => {
      if (!places.has(v.name)) places.set(v.name, [network, i]);
    });
  }
  return places;
}

interface SavedVariableEntry {
  network: string;
  index: number;
  /** The variable's name when saved (for people reading the file; restore goes by network and index). */
  variable: string;
  scalars: Record<string, number>;
}

function notExportable(player: string, optimizer: tf.Optimizer): Error {
  return new Error(
    `checkpoint: player "${player}" uses ${optimizer.getClassName()}, which cannot export its exact state ` +
      "(tf.train's optimizers keep it in private fields); use tsgan.adam(...), tsgan.rmsprop(...) or tsgan.sgd(...), " +
      "which make the same updates and can be checkpointed.",
  );
}

/** Throws unless every player's optimizer can be saved: checked before training, not after hours of it. */
export function assertCheckpointable(optimizers: Readonly<Record<string, tf.Optimizer>>): void {
  for (const [player, optimizer] of Object.entries(optimizers)) {
    if (!isStatefulOptimizer(optimizer)) throw notExportable(player, optimizer);
  }
}

async function saveOptimizer(
  optimizer: tf.Optimizer, dir: string, player: string, networks: Record<string, Network>, trains: string[],
): Promise<void> {
  if (!isStatefulOptimizer(optimizer)) throw notExportable(player, optimizer);
  const state = optimizer.exportState();
  const places = variablePlaces(networks, trains);
  const entries: SavedVariableEntry[] = [];
  const named: { name: string; tensor: tf.Tensor }[] = [];
  for (const [variable, { slots, scalars }] of Object.entries(state.variables)) {
    const place = places.get(variable);
    // State of a variable that is no longer in the player's networks has nothing to be restored into.
    if (place === undefined) continue;
    entries.push({ network: place[0], index: place[1], variable, scalars });
    for (const [slot, tensor] of Object.entries(slots)) named.push({ name: `${place[0]}/${place[1]}/${slot}`, tensor });
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  writeWeightsDir(dir, {
    format: "tsgan-optimizer", className: state.className, config: state.config, iterations: state.iterations,
    variables: entries,
  }, specs, data);
}

function restoreOptimizer(
  optimizer: tf.Optimizer, dir: string, player: string, networks: Record<string, Network>,
): void {
  if (!isStatefulOptimizer(optimizer)) throw notExportable(player, optimizer);
  const what = `restore the optimizer of player "${player}"`;
  const file = readWeightsDir(dir, what);
  const className = file.json.className;
  if (className !== optimizer.getClassName()) {
    throw new Error(
      `${what}: ${file.jsonPath} holds ${String(className)} state but the player's optimizer is ` +
        `${optimizer.getClassName()}; pass the same kind of optimizer as the saved run.`,
    );
  }
  const entries = (file.json.variables ?? []) as SavedVariableEntry[];
  const decoded = tf.io.decodeWeights(file.data, file.specs);
  try {
    const variables: OptimizerState["variables"] = {};
    for (const e of entries) {
      const net = networks[e.network];
      const netVariables = net ? trainableVariables(net, e.network) : [];
      const target = netVariables[e.index];
      if (target === undefined) {
        throw new Error(
          `${what}: ${file.jsonPath} has state for weight ${e.index} of network "${e.network}", which the network does not ` +
            `have (it has ${netVariables.length}); build the networks as they were when the checkpoint was saved.`,
        );
      }
      const prefix = `${e.network}/${e.index}/`;
      variables[target.name] = {
        slots: Object.fromEntries(
          Object.entries(decoded).filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(prefix.length), t]),
        ),
        scalars: e.scalars ?? {},
      };
    }
    optimizer.importState({
      className: String(className),
      config: (file.json.config ?? {}) as OptimizerState["config"],
      iterations: Number(file.json.iterations ?? 0),
      variables,
    });
  } finally {
    tf.dispose(Object.values(decoded));
  }
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
  const { networks, trains, variantState } = layout(contents.game);
  for (const player of Object.keys(trains)) {
    if (!contents.optimizers[player]) throw new Error(`saveCheckpoint: no optimizer given for player "${player}".`);
  }
  assertCheckpointable(contents.optimizers);
  fs.mkdirSync(dir, { recursive: true });
  let name = checkpointName(contents.step);
  for (let n = 1; fs.existsSync(path.join(dir, name)); n++) name = `${checkpointName(contents.step)}.${n}`;
  const tmp = path.join(dir, `.tmp-${name}-${process.pid}-${Date.now().toString(36)}`);
  fs.mkdirSync(tmp);
  try {
    const taken = new Set<string>();
    const networkDirs: Record<string, string> = {};
    for (const [network, net] of Object.entries(networks)) {
      networkDirs[network] = safeName(network, taken);
      await saveNetwork(net, path.join(tmp, "networks", networkDirs[network]), network);
    }
    const playerTaken = new Set<string>();
    const players: CheckpointState["players"] = {};
    for (const [player, trained] of Object.entries(trains)) {
      const optimizer = contents.optimizers[player];
      players[player] = { dir: safeName(player, playerTaken), trains: trained, optimizer: optimizer.getClassName() };
      await saveOptimizer(optimizer, path.join(tmp, "optimizers", players[player].dir), player, networks, trained);
    }
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: contents.step,
      seed: contents.seed,
      batchSize: contents.batchSize,
      batchesDrawn: contents.batchesDrawn,
      dataOrder: contents.dataOrder ?? null,
      history: contents.history,
      networks: networkDirs,
      players,
      ...(variantState ? { variantState: variantState.save() } : {}),
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

function validHistory(history: unknown): history is TrainHistory {
  const h = history as TrainHistory;
  return h != null && Array.isArray(h.step) && h.players != null && typeof h.players === "object"
    && Object.values(h.players).every((p) => p != null && Array.isArray(p.loss) && p.terms != null && p.scores != null);
}

export function readCheckpointState(checkpoint: string): CheckpointState {
  const file = path.join(checkpoint, "state.json");
  const state = readJson(file, "checkpoint") as unknown as CheckpointState;
  if (state.format !== CHECKPOINT_FORMAT) {
    throw new Error(`checkpoint: ${file} is not a tsgan checkpoint (format ${JSON.stringify(state.format)}).`);
  }
  if (state.version === 1) {
    throw new Error(
      `checkpoint: ${file} has version 1 (written by a tsgan before games of players); this tsgan reads version ` +
        `${CHECKPOINT_VERSION}. Train again, or load its networks alone with tf.loadLayersModel(fileSystem("${path.join(checkpoint, "generator")}")).`,
    );
  }
  if (state.version !== CHECKPOINT_VERSION) {
    throw new Error(`checkpoint: ${file} has version ${state.version}; this tsgan reads version ${CHECKPOINT_VERSION}.`);
  }
  if (!Number.isInteger(state.step) || state.step < 0 || !validHistory(state.history)
    || state.networks == null || state.players == null || !Number.isInteger(state.batchesDrawn)) {
    throw new Error(`checkpoint: ${file} lacks a valid step, history, data position or list of networks and players; it is corrupt.`);
  }
  return state;
}

/** Throws unless the checkpoint holds exactly `expected` (networks or players), naming what is missing or extra. */
function checkSameNames(kind: string, saved: string[], expected: string[], checkpoint: string): void {
  const missing = expected.filter((n) => !saved.includes(n));
  const extra = saved.filter((n) => !expected.includes(n));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [
    missing.length ? `has no ${kind} ${missing.map((n) => `"${n}"`).join(", ")}` : "",
    extra.length ? `holds ${kind} ${extra.map((n) => `"${n}"`).join(", ")} that the game does not have` : "",
  ].filter(Boolean);
  throw new Error(
    `checkpoint: ${checkpoint} ${parts.join(" and ")} (it holds ${saved.map((n) => `"${n}"`).join(", ") || "none"}); ` +
      "resume with the game it was saved from.",
  );
}

/**
 * Loads the latest checkpoint of `dir` into existing networks and optimizers (built as in the saved run) and
 * returns its state. `train({resumeFrom})` and `resume()` call this. `optimizers` is keyed by player name.
 */
export async function restoreCheckpoint(
  dir: string, game: Game | GanSpec, optimizers: Readonly<Record<string, tf.Optimizer>>,
): Promise<CheckpointState> {
  const checkpoint = latestCheckpoint(dir);
  const state = readCheckpointState(checkpoint);
  const { networks, trains, variantState } = layout(game);
  checkSameNames("network", Object.keys(state.networks), Object.keys(networks), checkpoint);
  checkSameNames("player", Object.keys(state.players), Object.keys(trains), checkpoint);
  for (const player of Object.keys(trains)) {
    if (!optimizers[player]) throw new Error(`restoreCheckpoint: no optimizer given for player "${player}".`);
  }
  // The variant first gets its own state back (a grown network's stage), so that the weights then fit.
  if (variantState && state.variantState !== undefined) variantState.load(state.variantState);
  for (const [network, net] of Object.entries(networks)) {
    restoreNetwork(net, path.join(checkpoint, "networks", state.networks[network]), network);
  }
  for (const player of Object.keys(trains)) {
    restoreOptimizer(optimizers[player], path.join(checkpoint, "optimizers", state.players[player].dir), player, networks);
  }
  return state;
}

export interface LoadedCheckpoint {
  /** The saved networks, as new models. */
  networks: Record<string, tf.LayersModel>;
  state: CheckpointState;
  /** The directory the models were read from. */
  path: string;
}

/**
 * Loads the latest checkpoint of `dir` as new models (for sampling, evaluation or a lesson's pretrained G):
 * all its networks, or the ones named in `options.networks`.
 */
export async function loadCheckpoint(dir: string, options: { networks?: string[] } = {}): Promise<LoadedCheckpoint> {
  const checkpoint = latestCheckpoint(dir);
  const state = readCheckpointState(checkpoint);
  const names = options.networks ?? Object.keys(state.networks);
  const networks: Record<string, tf.LayersModel> = {};
  try {
    for (const network of names) {
      if (!(network in state.networks)) {
        throw new Error(`load: ${checkpoint} has no network "${network}" (it holds ${Object.keys(state.networks).join(", ")}).`);
      }
      const sub = path.join(checkpoint, "networks", state.networks[network]);
      const json = readJson(path.join(sub, MODEL_JSON), `load ${network}`);
      if (json.modelTopology == null) {
        throw new Error(
          `load ${network}: ${path.join(sub, MODEL_JSON)} holds weights only (the network was not a tf.LayersModel); ` +
            "build the network and use restoreCheckpoint() instead.",
        );
      }
      networks[network] = await tf.loadLayersModel(fileSystem(sub));
    }
  } catch (err) {
    Object.values(networks).forEach((m) => m.dispose());
    throw err;
  }
  return { networks, state, path: checkpoint };
}
