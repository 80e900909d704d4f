import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { seed, restoreMathRandom } from "../../lib/engine/seed";
import { train, resume, normalLatent, shuffledBatches, emptyHistory, GanObjective, GanSpec, Network } from "../../lib/train/loop";
import {
  fileSystem, saveCheckpoint, loadCheckpoint, restoreCheckpoint, latestCheckpoint,
} from "../../lib/train/checkpoint";
import { mlpGenerator, mlpDiscriminator } from "../../lib/models/mlp";

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

const adamPair = () => ({ generator: tf.train.adam(1e-2, 0.5), discriminator: tf.train.adam(1e-2, 0.5) });

/** A fixed data set served in a seeded order, so a resumed run sees the batches an uninterrupted one does. */
function dataset() {
  return tf.tidy(() => tf.randomNormal([200, 2], 1, 0.5, "float32", 42));
}

const fixedZ = () => tf.randomNormal([16, 3], 0, 1, "float32", 99);

function outputs(net: Network | tf.LayersModel): number[] {
  return tf.tidy(() => Array.from((net.apply(fixedZ()) as tf.Tensor).dataSync()));
}

async function optimizerValues(opt: tf.Optimizer): Promise<number[][]> {
  const weights = await opt.getWeights();
  const values = weights.map((w) => Array.from(w.tensor.dataSync()));
  tf.dispose(weights.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  return values;
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

  it("round trip: same generator outputs, equal optimizer state, history and step", async () => {
    const gan = toyGan(2);
    const optimizers = adamPair();
    const dir = path.join(root, "run");
    const result = await train({
      gan, optimizers, data: shuffledBatches(data, undefined, { seed: 1 }), steps: 6, batchSize: 20,
      checkpointDir: dir, checkpointEvery: 3, seed: 2,
    });
    assert.deepEqual(fs.readdirSync(dir).filter((n) => !n.startsWith(".")).sort(), ["latest.json", "step-00000003", "step-00000006"]);
    assert.equal(latestCheckpoint(dir), path.join(dir, "step-00000006"));

    const loaded = await loadCheckpoint(dir);
    assert.deepEqual(outputs(loaded.generator), outputs(gan.generator));
    assert.equal(loaded.state.step, 6);
    assert.equal(loaded.state.seed, 2);
    assert.deepEqual(loaded.state.history, result.history);
    loaded.generator.dispose();
    loaded.discriminator.dispose();

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
      assert.deepEqual(saved[0], [6]); // six updates of each player
      assert.deepEqual(await optimizerValues(freshOptimizers[player]), saved);
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
  });

  it("a save that fails midway leaves the previous checkpoint loadable", async () => {
    const gan = toyGan(5);
    const optimizers = adamPair();
    const dir = path.join(root, "atomic");
    await train({ gan, optimizers, data: shuffledBatches(data), steps: 2, batchSize: 20, checkpointDir: dir });
    const savedOutputs = outputs(gan.generator);
    await train({ gan, optimizers, data: shuffledBatches(data), steps: 2, batchSize: 20 }); // weights move on
    assert.notDeepEqual(outputs(gan.generator), savedOutputs);

    const contents = {
      gan, optimizers, history: emptyHistory(), step: 4, seed: 0, batchSize: 20, discriminatorSteps: 1,
    };
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
    fs.mkdirSync(path.join(dir, ".tmp-step-00000009-1-x", "generator"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".tmp-step-00000009-1-x", "generator", "model.json"), "{\"modelTop");

    assert.equal(latestCheckpoint(dir), path.join(dir, "step-00000002"));
    const loaded = await loadCheckpoint(dir);
    assert.equal(loaded.state.step, 2);
    assert.deepEqual(outputs(loaded.generator), savedOutputs);
    loaded.generator.dispose();
    loaded.discriminator.dispose();

    // The next successful save moves the pointer and clears the debris.
    await saveCheckpoint(dir, contents, { keep: 1 });
    assert.equal((await loadCheckpoint(dir).then((c) => { c.generator.dispose(); c.discriminator.dispose(); return c; })).state.step, 4);
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

    const weights = path.join(checkpoint, "generator", "weights.bin");
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
      restoreCheckpoint(dir, gan, { generator: tf.train.sgd(0.1), discriminator: tf.train.adam(1e-3) }),
      /optimizer-generator.*model\.json holds \w*Adam state but the generator's optimizer is SGD/,
    );
  });

  it("checkpoints networks that are not LayersModels (weights only) and restores them", async () => {
    const makeAffine = (w: number, b: number): Network & { vars: tf.Variable[] } => {
      const vars = [tf.variable(tf.scalar(w)), tf.variable(tf.scalar(b))];
      return { vars, apply: (x) => tf.add(tf.mul(x as tf.Tensor, vars[0]), vars[1]), trainableWeights: vars };
    };
    const gan = { generator: makeAffine(0.5, 1), discriminator: makeAffine(1, 0) };
    const dir = path.join(root, "affine");
    const history = { step: [1], discriminatorLoss: [1], generatorLoss: [1], meanDReal: [1], meanDFake: [1], discriminatorGradNorm: [1], generatorGradNorm: [1] };
    await saveCheckpoint(dir, { gan, optimizers: adamPair(), history, step: 1, seed: 0, batchSize: 1, discriminatorSteps: 1 });
    const other = { generator: makeAffine(0, 0), discriminator: makeAffine(0, 0) };
    const state = await restoreCheckpoint(dir, other, adamPair());
    assert.deepEqual(state.history, history);
    assert.deepEqual(other.generator.vars.map((v) => v.dataSync()[0]), [0.5, 1]);
    assert.deepEqual(other.discriminator.vars.map((v) => v.dataSync()[0]), [1, 0]);
    await assert.rejects(loadCheckpoint(dir), /holds weights only .* use restoreCheckpoint\(\) instead/);
    tf.dispose([...gan.generator.vars, ...gan.discriminator.vars, ...other.generator.vars, ...other.discriminator.vars]);
  });

  it("saving and restoring leaks no tensors", async () => {
    const gan = toyGan(8);
    const optimizers = adamPair();
    const dir = path.join(root, "leak");
    await train({ gan, optimizers, data: shuffledBatches(data), steps: 1, batchSize: 20 });
    const contents = { gan, optimizers, history: emptyHistory(), step: 1, seed: 0, batchSize: 20, discriminatorSteps: 1 };
    const before = tf.memory().numTensors;
    await saveCheckpoint(dir, contents);
    await saveCheckpoint(dir, contents);
    assert.equal(tf.memory().numTensors, before);
    // Restoring into optimizers that already hold state replaces their slot variables and frees the old ones.
    await restoreCheckpoint(dir, gan, optimizers);
    await restoreCheckpoint(dir, gan, optimizers);
    assert.equal(tf.memory().numTensors, before);
  });
});

