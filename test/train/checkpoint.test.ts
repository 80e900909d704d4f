import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { seed, restoreMathRandom } from "../../lib/engine/seed";
import { adam, rmsprop, sgd } from "../../lib/engine/optimizers";
import { train, resume } from "../../lib/train/loop";
import { normalLatent, GanObjective, GanSpec } from "../../lib/train/gan-spec";
import { shuffledBatches } from "../../lib/train/batches";
import { emptyHistory, Game, Network, TrainHistory } from "../../lib/train/types";
import { saveCheckpoint, loadCheckpoint, restoreCheckpoint, latestCheckpoint } from "../../lib/train/checkpoint";
import { fileSystem } from "../../lib/io/files";
import { mlp, mlpGenerator, mlpDiscriminator } from "../../lib/models/mlp";

/** The mutable module object (an `import * as` namespace has getters only), for simulating failures. */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const mutableFs: Record<string, unknown> = require("fs");

const bceObjective: GanObjective = {
  discriminatorLoss: (real, fake) => tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake))),
  generatorLoss: (fake) => tf.mean(tf.softplus(tf.neg(fake))),
};

function toyGan(seedValue: number): GanSpec {
  seed(seedValue);
  return {
    generator: mlpGenerator({ latentSize: 3, dataSize: 2, hiddenSizes: [8, 8] }),
    discriminator: mlpDiscriminator({ dataSize: 2, hiddenSizes: [8, 8] }),
    latent: normalLatent(3),
    objective: bceObjective,
  };
}

const adamPair = () => ({ generator: adam(1e-2, 0.5), discriminator: adam(1e-2, 0.5) });

/** A fixed data set served in a seeded order, so a resumed run sees the batches an uninterrupted one does. */
function dataset() {
  return tf.tidy(() => tf.randomNormal([200, 2], 1, 0.5, "float32", 42));
}

const fixedZ = () => tf.randomNormal([16, 3], 0, 1, "float32", 99);

function outputs(net: Network | tf.LayersModel, input: () => tf.Tensor = fixedZ): number[] {
  return tf.tidy(() => Array.from((net.apply(input()) as tf.Tensor).dataSync()));
}

/** An optimizer's state as plain numbers, in the order of its getWeights() (iterations first). */
async function optimizerValues(opt: tf.Optimizer): Promise<number[][]> {
  const weights = await opt.getWeights();
  const values = weights.map((w) => Array.from(w.tensor.dataSync()));
  tf.dispose(weights.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  return values;
}

/** BiGAN's three players on 2-D toy data, with MLP networks: E(x) → z, G(z) → x, D on (x, z) pairs. */
function threePlayerGame(seedValue: number): Game {
  seed(seedValue);
  const networks = {
    encoder: mlp({ inputSize: 2, outputSize: 3, hiddenSizes: [8], name: "encoder" }),
    generator: mlpGenerator({ latentSize: 3, dataSize: 2, hiddenSizes: [8] }),
    discriminator: mlp({ inputSize: 2, outputSize: 1, hiddenSizes: [8], conditionSize: 3, name: "discriminator" }),
  };
  const pairLogits = (run: (n: string, i: tf.Tensor | tf.Tensor[]) => tf.Tensor, x: tf.Tensor, z: tf.Tensor) => run("discriminator", [x, z]);
  return {
    networks,
    latent: normalLatent(3),
    players: [
      {
        name: "discriminator", trains: ["discriminator"], optimizer: () => adam(1e-2, 0.5),
        loss: ({ real, latent, run }) => ({
          real: tf.mean(tf.softplus(tf.neg(pairLogits(run, real.x, run("encoder", real.x))))),
          fake: tf.mean(tf.softplus(pairLogits(run, run("generator", latent.z), latent.z))),
        }),
      },
      {
        name: "encoder", trains: ["encoder"], optimizer: () => rmsprop(1e-2),
        loss: ({ real, run }) => ({ adversarial: tf.mean(tf.softplus(pairLogits(run, real.x, run("encoder", real.x)))) }),
      },
      {
        name: "generator", trains: ["generator"], optimizer: () => adam(1e-2, 0.5),
        loss: ({ latent, run }) => ({ adversarial: tf.mean(tf.softplus(tf.neg(pairLogits(run, run("generator", latent.z), latent.z)))) }),
      },
    ],
  };
}

function disposeGame(game: Game): void {
  for (const net of Object.values(game.networks)) (net as tf.LayersModel).dispose?.();
}

/** A 2-D generator z ↦ z·W1 + b1 that can grow a second layer (identity-initialised), with its stage as variant state. */
function growingGame(seedValue: number) {
  seed(seedValue);
  const layers: tf.Variable[] = [tf.variable(tf.randomNormal([3, 2], 0, 0.5, "float32", 7)), tf.variable(tf.zeros([2]))];
  let grown = false;
  const generator = {
    get trainableWeights() { return layers; },
    apply(z: tf.Tensor | tf.Tensor[]) {
      let h = tf.add(tf.matMul(z as tf.Tensor, layers[0]), layers[1]);
      if (grown) h = tf.add(tf.matMul(tf.tanh(h), layers[2]), layers[3]);
      return h;
    },
  };
  const grow = () => {
    if (grown) return;
    layers.push(tf.variable(tf.eye(2)), tf.variable(tf.zeros([2])));
    grown = true;
  };
  const spec = toyGan(seedValue);
  (spec.generator as tf.LayersModel).dispose();
  const game: Game = {
    networks: { generator, discriminator: spec.discriminator },
    latent: normalLatent(3),
    sample: (latent) => generator.apply(latent.z),
    players: [
      { name: "discriminator", trains: ["discriminator"], loss: ({ real, latent, run }) => ({
        adversarial: bceObjective.discriminatorLoss(run("discriminator", real.x), run("generator", latent.z)) as tf.Scalar,
      }) },
      { name: "generator", trains: ["generator"], loss: ({ latent, run }) => ({
        adversarial: bceObjective.generatorLoss(run("discriminator", run("generator", latent.z))) as tf.Scalar,
      }) },
    ],
    variantState: { save: () => ({ grown }), load: (s) => { if ((s as { grown: boolean }).grown) grow(); } },
  };
  return {
    game, grow, isGrown: () => grown,
    dispose: () => { tf.dispose(layers); (spec.discriminator as tf.LayersModel).dispose(); },
  };
}

describe("train/checkpoint", function () {
  this.timeout(60000);
  let root: string;
  let data: tf.Tensor;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-checkpoint-"));
    data = dataset();
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
    data.dispose();
    restoreMathRandom();
  });

  it("fileSystem() saves model.json + weights.bin that tf.loadLayersModel reads back identically", async () => {
    const { generator } = toyGan(1);
    const dir = path.join(root, "g");
    await (generator as tf.LayersModel).save(fileSystem(dir));
    assert.deepEqual(fs.readdirSync(dir).sort(), ["model.json", "weights.bin"]);
    const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
    assert.deepEqual(json.weightsManifest[0].paths, ["weights.bin"]);
    // 3→8→8→2 dense layers: (3·8+8) + (8·8+8) + (8·2+2) = 122 float32 values.
    assert.equal(fs.statSync(path.join(dir, "weights.bin")).size, 122 * 4);
    const loaded = await tf.loadLayersModel(fileSystem(dir));
    assert.deepEqual(outputs(loaded), outputs(generator));
    loaded.dispose();
  });

  it("round trip: same generator outputs, equal optimizer state, history, step and data position", async () => {
    const gan = toyGan(2);
    const optimizers = adamPair();
    const dir = path.join(root, "run");
    const result = await train({
      gan, optimizers, data: shuffledBatches(data, undefined, { seed: 1 }), steps: 6, batchSize: 20,
      discriminatorSteps: 2, checkpointDir: dir, checkpointEvery: 3, seed: 2,
    });
    assert.deepEqual(fs.readdirSync(dir).filter((n) => !n.startsWith(".")).sort(), ["latest.json", "step-00000003", "step-00000006"]);
    assert.equal(latestCheckpoint(dir), path.join(dir, "step-00000006"));
    assert.deepEqual(fs.readdirSync(path.join(dir, "step-00000006")).sort(), ["networks", "optimizers", "state.json"]);

    const loaded = await loadCheckpoint(dir);
    assert.deepEqual(Object.keys(loaded.networks).sort(), ["discriminator", "generator"]);
    assert.deepEqual(outputs(loaded.networks.generator), outputs(gan.generator));
    assert.equal(loaded.state.step, 6);
    assert.equal(loaded.state.seed, 2);
    assert.equal(loaded.state.batchesDrawn, 12, "two real batches per step");
    assert.deepEqual(loaded.state.dataOrder, { kind: "shuffled", seed: 1, examples: 200, fields: ["x"] });
    assert.deepEqual(loaded.state.history, result.history);
    Object.values(loaded.networks).forEach((m) => m.dispose());

    // Restore into freshly built (differently initialised) networks and fresh optimizers.
    const fresh = toyGan(3);
    const freshOptimizers = adamPair();
    assert.notDeepEqual(outputs(fresh.generator), outputs(gan.generator));
    const state = await restoreCheckpoint(dir, fresh, freshOptimizers);
    assert.equal(state.step, 6);
    assert.deepEqual(outputs(fresh.generator), outputs(gan.generator));
    for (const player of ["generator", "discriminator"] as const) {
      const saved = await optimizerValues(optimizers[player]);
      assert.equal(saved.length, 1 + 2 * 6); // iterations, then m and v for 6 weight tensors
      assert.deepEqual(saved[0], [player === "generator" ? 6 : 12]);
      assert.deepEqual(await optimizerValues(freshOptimizers[player]), saved);
      // β1ᵗ and β2ᵗ are restored exactly, not recomputed with pow.
      const scalars = (o: typeof optimizers.generator) => Object.values(o.exportState().variables).map((v) => v.scalars);
      assert.deepEqual(scalars(freshOptimizers[player]), scalars(optimizers[player]));
      assert.equal(scalars(optimizers[player]).length, 6);
    }
  });

  it("a resumed run continues the history and reproduces the uninterrupted run's losses exactly", async function () {
    this.timeout(120000);
    const options = (gan: GanSpec) => ({
      gan, data: shuffledBatches(data, undefined, { seed: 4 }), batchSize: 20, discriminatorSteps: 2, seed: 7,
    });
    const whole = toyGan(4);
    const uninterrupted = await train({ ...options(whole), optimizers: adamPair(), steps: 10 });

    const dir = path.join(root, "resume");
    const first = toyGan(4);
    const half = await train({ ...options(first), optimizers: adamPair(), steps: 5, checkpointDir: dir });
    assert.equal(half.step, 5);
    // A new process would rebuild the networks from scratch: different initial weights, new optimizers.
    const rebuilt = toyGan(123);
    const resumed = await resume(dir, { ...options(rebuilt), optimizers: adamPair(), steps: 10, seed: 999 });
    assert.equal(resumed.step, 10);
    assert.equal(resumed.seed, 7, "the run's seed comes from the checkpoint");
    assert.deepEqual(resumed.history.step, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(resumed.history, uninterrupted.history);
    assert.deepEqual(outputs(rebuilt.generator), outputs(whole.generator));
    // The same data in another order is another run: resume says so instead of silently diverging.
    await assert.rejects(
      resume(dir, { ...options(toyGan(5)), data: shuffledBatches(data, undefined, { seed: 5 }), steps: 10 }),
      /was trained on data in the order \{"kind":"shuffled","seed":4.* but this run's data is \{"kind":"shuffled","seed":5/,
    );
  });

  it("three players (encoder, generator, discriminator) with different optimizers: exact resume", async function () {
    this.timeout(120000);
    const options = (game: Game) => ({ gan: game, data: shuffledBatches(data, undefined, { seed: 8 }), batchSize: 20, seed: 3 });
    const whole = threePlayerGame(1);
    const uninterrupted = await train({ ...options(whole), steps: 8 });
    assert.deepEqual(Object.keys(uninterrupted.history.players), ["discriminator", "encoder", "generator"]);
    assert.deepEqual(Object.keys(uninterrupted.history.players.discriminator.terms), ["real", "fake"]);

    const dir = path.join(root, "three");
    const first = threePlayerGame(1);
    await train({ ...options(first), steps: 4, checkpointDir: dir });
    assert.deepEqual(fs.readdirSync(path.join(latestCheckpoint(dir), "networks")).sort(), ["discriminator", "encoder", "generator"]);
    assert.deepEqual(fs.readdirSync(path.join(latestCheckpoint(dir), "optimizers")).sort(), ["discriminator", "encoder", "generator"]);
    const rebuilt = threePlayerGame(77);
    const resumed = await resume(dir, { ...options(rebuilt), steps: 8 });
    assert.deepEqual(resumed.history, uninterrupted.history);
    const x = () => tf.randomNormal([5, 2], 0, 1, "float32", 5);
    assert.deepEqual(outputs(rebuilt.networks.encoder, x), outputs(whole.networks.encoder, x));
    assert.equal(resumed.optimizers.encoder.getClassName(), "TsganFusedRMSProp");

    // A game without one of the saved players cannot take this checkpoint: the error names what is missing.
    const noEncoder: Game = { ...rebuilt, players: rebuilt.players.filter((p) => p.name !== "encoder") };
    await assert.rejects(
      restoreCheckpoint(dir, noEncoder, { discriminator: adam(1e-2, 0.5), generator: adam(1e-2, 0.5) }),
      /holds player "encoder" that the game does not have/,
    );
    const { encoder: _unused, ...twoNetworks } = rebuilt.networks;
    await assert.rejects(
      restoreCheckpoint(dir, { ...noEncoder, networks: twoNetworks }, { discriminator: adam(), generator: adam() }),
      /holds network "encoder" that the game does not have/,
    );
    await assert.rejects(
      restoreCheckpoint(dir, { ...rebuilt, players: [...rebuilt.players, { name: "critic2", trains: ["discriminator"], loss: () => ({}) }] },
        { ...resumed.optimizers, critic2: adam() }),
      /has no player "critic2"/,
    );
    [whole, first, rebuilt].forEach(disposeGame);
  });

  it("a network that grew: checkpoint round trip with exact resume, the stage restored before the weights", async function () {
    this.timeout(120000);
    const growAt = 3;
    const grower = (g: ReturnType<typeof growingGame>) => ({ onStepEnd: (log: { step: number }) => { if (log.step === growAt) g.grow(); } });
    const options = (g: ReturnType<typeof growingGame>) => ({
      gan: g.game, data: shuffledBatches(data, undefined, { seed: 2 }), batchSize: 20, seed: 11, callbacks: [grower(g)],
    });
    const whole = growingGame(1);
    const uninterrupted = await train({ ...options(whole), steps: 7 });
    assert.ok(whole.isGrown());

    const dir = path.join(root, "grown");
    const first = growingGame(1);
    await train({ ...options(first), steps: 5, checkpointDir: dir });
    // A fresh, ungrown network: the checkpoint's variant state grows it before its four weights are restored.
    const rebuilt = growingGame(50);
    assert.ok(!rebuilt.isGrown());
    const resumed = await resume(dir, { ...options(rebuilt), steps: 7 });
    assert.ok(rebuilt.isGrown());
    assert.deepEqual(resumed.history, uninterrupted.history);
    assert.deepEqual(outputs(rebuilt.game.networks.generator), outputs(whole.game.networks.generator));
    [whole, first, rebuilt].forEach((g) => g.dispose());
  });

  it("a save that fails midway leaves the previous checkpoint loadable", async () => {
    const gan = toyGan(5);
    const optimizers = adamPair();
    const dir = path.join(root, "atomic");
    await train({ gan, optimizers, data: shuffledBatches(data), steps: 2, batchSize: 20, checkpointDir: dir });
    const savedOutputs = outputs(gan.generator);
    await train({ gan, optimizers, data: shuffledBatches(data), steps: 2, batchSize: 20 }); // weights move on
    assert.notDeepEqual(outputs(gan.generator), savedOutputs);

    const contents = { game: gan, optimizers, history: emptyHistory(), step: 4, seed: 0, batchSize: 20, batchesDrawn: 4 };
    // Crash 1: the disk fills while the weights are being written.
    const writeSync = fs.writeSync;
    let writes = 0;
    mutableFs.writeSync = (...args: unknown[]) => {
      if (++writes === 3) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      return (writeSync as (...a: unknown[]) => number)(...args);
    };
    try {
      await assert.rejects(saveCheckpoint(dir, contents), /ENOSPC/);
    } finally {
      mutableFs.writeSync = writeSync;
    }
    // Crash 2: the process dies after the new checkpoint directory is in place but before latest.json moves.
    const renameSync = fs.renameSync;
    mutableFs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
      if (String(to).endsWith("latest.json")) throw new Error("simulated crash before the pointer moved");
      return renameSync(from, to);
    };
    try {
      await assert.rejects(saveCheckpoint(dir, contents), /simulated crash/);
    } finally {
      mutableFs.renameSync = renameSync;
    }
    // Crash 3: a half-written temporary directory from a killed process.
    fs.mkdirSync(path.join(dir, ".tmp-step-00000009-1-x", "networks", "generator"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".tmp-step-00000009-1-x", "networks", "generator", "model.json"), "{\"modelTop");

    assert.equal(latestCheckpoint(dir), path.join(dir, "step-00000002"));
    const loaded = await loadCheckpoint(dir, { networks: ["generator"] });
    assert.equal(loaded.state.step, 2);
    assert.deepEqual(Object.keys(loaded.networks), ["generator"]);
    assert.deepEqual(outputs(loaded.networks.generator), savedOutputs);
    loaded.networks.generator.dispose();

    // The next successful save moves the pointer and clears the debris.
    await saveCheckpoint(dir, contents, { keep: 1 });
    const next = await loadCheckpoint(dir);
    Object.values(next.networks).forEach((m) => m.dispose());
    assert.equal(next.state.step, 4);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n !== `.latest.json.tmp-${process.pid}`).sort(), ["latest.json", "step-00000004.1"]);
  });

  it("a missing or damaged checkpoint gets an error naming the file", async () => {
    const missing = path.join(root, "nothing-here");
    await assert.rejects(loadCheckpoint(missing), new RegExp(`directory ${missing} not found`));
    fs.mkdirSync(missing);
    await assert.rejects(loadCheckpoint(missing), /no checkpoint in .*latest\.json not found/);

    const gan = toyGan(6);
    const dir = path.join(root, "damaged");
    await train({ gan, data: shuffledBatches(data), steps: 1, batchSize: 20, checkpointDir: dir });
    const checkpoint = latestCheckpoint(dir);

    const weights = path.join(checkpoint, "networks", "generator", "weights.bin");
    const intact = fs.readFileSync(weights);
    fs.writeFileSync(weights, intact.subarray(0, 100));
    await assert.rejects(loadCheckpoint(dir), (err: Error) => {
      assert.ok(err.message.includes(weights), err.message);
      assert.match(err.message, /holds 100 bytes .* describes \d+; the checkpoint is truncated or corrupt/);
      return true;
    });
    fs.writeFileSync(weights, intact);

    const state = path.join(checkpoint, "state.json");
    const stateText = fs.readFileSync(state, "utf8");
    fs.writeFileSync(state, stateText.slice(0, 40));
    await assert.rejects(loadCheckpoint(dir), (err: Error) => err.message.includes(`${state} is not valid JSON`));
    fs.writeFileSync(state, JSON.stringify({ ...JSON.parse(stateText), version: 1 }));
    await assert.rejects(loadCheckpoint(dir), /has version 1 \(written by a tsgan before games of players\); this tsgan reads version 2/);
    fs.writeFileSync(state, stateText);

    fs.writeFileSync(path.join(dir, "latest.json"), "{\"checkpoint\": \"step-00000077\"}");
    await assert.rejects(loadCheckpoint(dir), /step-00000077 \(named in .*latest\.json\) not found/);
    fs.writeFileSync(path.join(dir, "latest.json"), JSON.stringify({ checkpoint: path.basename(checkpoint) }));

    // A network of another architecture cannot take these weights.
    seed(7);
    const wider = { ...gan, generator: mlpGenerator({ latentSize: 3, dataSize: 2, hiddenSizes: [16, 8] }) };
    await assert.rejects(
      restoreCheckpoint(dir, wider, adamPair()),
      /restore generator: weight 0 \(.*\) in .*model\.json has shape \[3,8\] but the generator's has \[3,16\]/,
    );
    await assert.rejects(
      restoreCheckpoint(dir, gan, { generator: sgd(0.1), discriminator: adam(1e-3) }),
      /restore the optimizer of player "generator": .*model\.json holds TsganFusedAdam state but the player's optimizer is TsganSGD/,
    );
    await assert.rejects(
      restoreCheckpoint(dir, gan, { generator: tf.train.adam(1e-3), discriminator: adam(1e-3) }),
      /player "generator" uses Adam, which cannot export its exact state/,
    );
    (wider.generator as tf.LayersModel).dispose();
  });

  it("checkpoints networks that are not LayersModels (weights only), under any name, and restores them", async () => {
    const makeAffine = (w: number, b: number): Network & { vars: tf.Variable[] } => {
      const vars = [tf.variable(tf.scalar(w)), tf.variable(tf.scalar(b))];
      return { vars, apply: (x) => tf.add(tf.mul(x as tf.Tensor, vars[0]), vars[1]), trainableWeights: vars };
    };
    const gameOf = (nets: Record<string, Network>): Game => ({
      networks: nets,
      players: [
        { name: "level 2/G", trains: ["G (level 2)"], loss: () => ({}) },
        { name: "D", trains: ["D"], loss: () => ({}) },
      ],
    });
    const saved = { "G (level 2)": makeAffine(0.5, 1), D: makeAffine(1, 0) };
    const dir = path.join(root, "affine");
    const history: TrainHistory = { step: [1], players: { D: { loss: [1], gradNorm: [2], terms: { t: [1] }, scores: {} } } };
    await saveCheckpoint(dir, {
      game: gameOf(saved), optimizers: { "level 2/G": adam(), D: adam() }, history, step: 1, seed: 0, batchSize: 1, batchesDrawn: 1,
    });
    // Names become safe directory names; state.json keeps the mapping.
    assert.deepEqual(fs.readdirSync(path.join(latestCheckpoint(dir), "optimizers")).sort(), ["D", "level~202~2fG"]);
    const other = { "G (level 2)": makeAffine(0, 0), D: makeAffine(0, 0) };
    const state = await restoreCheckpoint(dir, gameOf(other), { "level 2/G": adam(), D: adam() });
    assert.deepEqual(state.history, history);
    assert.deepEqual(other["G (level 2)"].vars.map((v) => v.dataSync()[0]), [0.5, 1]);
    assert.deepEqual(other.D.vars.map((v) => v.dataSync()[0]), [1, 0]);
    await assert.rejects(loadCheckpoint(dir), /holds weights only .* use restoreCheckpoint\(\) instead/);
    tf.dispose([...Object.values(saved), ...Object.values(other)].flatMap((n) => n.vars));
  });

  it("saving and restoring leaks no tensors", async () => {
    const gan = toyGan(8);
    const optimizers = adamPair();
    const dir = path.join(root, "leak");
    await train({ gan, optimizers, data: shuffledBatches(data), steps: 1, batchSize: 20 });
    const contents = { game: gan, optimizers, history: emptyHistory(), step: 1, seed: 0, batchSize: 20, batchesDrawn: 1 };
    const before = tf.memory().numTensors;
    await saveCheckpoint(dir, contents);
    await saveCheckpoint(dir, contents);
    assert.equal(tf.memory().numTensors, before);
    // Restoring into optimizers that already hold state replaces their slot variables and frees the old ones.
    await restoreCheckpoint(dir, gan, optimizers);
    await restoreCheckpoint(dir, gan, optimizers);
    assert.equal(tf.memory().numTensors, before);
  });

  it("resuming leaks no tensors per step either", async () => {
    const dir = path.join(root, "resume-leak");
    const first = toyGan(9);
    await train({ gan: first, data: shuffledBatches(data), steps: 2, batchSize: 20, checkpointDir: dir });
    const again = toyGan(10);
    const counts: number[] = [];
    await resume(dir, {
      gan: again, data: shuffledBatches(data), steps: 6, batchSize: 20,
      callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
    });
    assert.deepEqual(counts.slice(1), Array(counts.length - 1).fill(counts[0]), `numTensors per step: ${counts}`);
  });
});
