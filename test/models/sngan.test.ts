import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { restoreMathRandom, seed } from "../../lib/engine/seed";
import { adam } from "../../lib/engine/optimizers";
import { train, resume } from "../../lib/train/loop";
import { restoreCheckpoint } from "../../lib/train/checkpoint";
import { GanSpec } from "../../lib/train/gan-spec";
import { BatchSource } from "../../lib/train/types";
import { buildSnganDiscriminator, snganOptimizer, snganSpec, SNGAN_DEFAULTS } from "../../lib/models/sngan";
import { SpectralNormLayer } from "../../lib/layers/spectral-norm";
import { parameterCount, trainableParameterCount } from "../../lib/models/params";

const SMALL = { imageShape: [8, 8, 1] as [number, number, number], latentDim: 8 };

/** Random "images" in [-1, 1], a function of the batch index (so a resumed run sees the same batches). */
const randomImages: BatchSource = (n, i) => tf.randomUniform([n, 8, 8, 1], -1, 1, "float32", 1000 + i);

const snLayers = (model: tf.LayersModel) => model.layers.filter((l): l is SpectralNormLayer => l instanceof SpectralNormLayer);
/** Every stored u of a critic, in layer order. */
const storedUs = (model: tf.LayersModel) => snLayers(model).map((l) => Array.from(l.weights[l.weights.length - 1].read().dataSync()));
const allWeights = (model: tf.LayersModel) => model.weights.map((w) => Array.from(w.read().dataSync()));
const disposeSpec = (spec: GanSpec) => [spec.generator, spec.discriminator].forEach((n) => (n as tf.LayersModel).dispose());

describe("models/sngan (Miyato et al. 2018)", () => {
  afterEach(() => restoreMathRandom());

  for (const trunk of ["mlp", "conv"] as const) {
    it(`${trunk} critic: every dense and conv layer spectrally normalised, LeakyReLU, no batch norm or dropout, one linear score`, () => {
      seed(1);
      const d = buildSnganDiscriminator({ trunk });
      const classes = d.layers.map((l) => l.getClassName());
      assert.ok(!classes.some((c) => /^(Dense|Conv2D|BatchNormalization|Dropout|LayerNormalization)$/.test(c)), `layers: ${classes}`);
      const sn = snLayers(d);
      assert.equal(sn.length, trunk === "mlp" ? 3 : 5);
      assert.ok(sn.every((l) => l.powerIterations === 1 && l.activation === "linear"));
      const slopes = d.layers.filter((l) => l.getClassName() === "LeakyReLU").map((l) => l.getConfig().alpha);
      assert.deepEqual(slopes, Array(trunk === "mlp" ? 2 : 4).fill(trunk === "mlp" ? 0.2 : 0.1));
      assert.deepEqual(d.outputs[0].shape, [null, 1]);
      const scores = tf.tidy(() => Array.from((d.predict(tf.randomUniform([4, 28, 28, 1], -50, 50, "float32", 2)) as tf.Tensor).dataSync()));
      assert.ok(scores.some((v) => v < 0 || v > 1), `raw scores, not probabilities: ${scores}`);
      if (trunk === "conv") {
        // 28 → 14 → 7 → (pad) 8 → 4 → 4, as the DCGAN critic: the output layer sees 4·4·256 features.
        assert.deepEqual(d.layers.find((l) => l.getClassName() === "Flatten")!.outputShape, [null, 4 * 4 * 256]);
      }
      d.dispose();
    });
  }

  it("has the hand-computed parameter counts (the vanilla and DCGAN critics' minus batch norm, plus one u per layer)", () => {
    const { dense, conv2d } = parameterCount;
    // MLP: 784·512+512 = 401,920; 512·256+256 = 131,328; 256+1 = 257 → 533,505 trainable (the vanilla
    // discriminator's); u: 512 + 256 + 1 = 769, not trainable.
    const mlp = buildSnganDiscriminator({ trunk: "mlp" });
    assert.equal(trainableParameterCount(mlp), dense(784, 512) + dense(512, 256) + dense(256, 1));
    assert.equal(trainableParameterCount(mlp), 533505);
    assert.equal(mlp.countParams(), 533505 + 512 + 256 + 1);
    // Conv: 3·3·1·32+32 = 320; 3·3·32·64+64 = 18,496; 3·3·64·128+128 = 73,856; 3·3·128·256+256 = 295,168;
    // 4096+1 = 4,097 → 391,937 trainable (the DCGAN critic's 393,729 less its BN's 1,792); u: 32+64+128+256+1 = 481.
    const conv = buildSnganDiscriminator({ trunk: "conv" });
    assert.equal(trainableParameterCount(conv), conv2d(3, 1, 32) + conv2d(3, 32, 64) + conv2d(3, 64, 128) + conv2d(3, 128, 256) + dense(4096, 1));
    assert.equal(trainableParameterCount(conv), 391937);
    assert.equal(conv.countParams(), 391937 + 481);
    mlp.dispose();
    conv.dispose();
  });

  it("snganSpec's defaults: hinge, Adam(2e-4, β1 0, β2 0.9) fresh for each player and run, 5 critic updates; each overridable", () => {
    seed(3);
    const spec = snganSpec({ trunk: "mlp", ...SMALL });
    assert.equal(spec.objective, "hinge");
    assert.equal(spec.discriminatorSteps, 5);
    assert.equal((spec.generator as tf.LayersModel).name, "vanilla_generator");
    const made = [spec.optimizers!.generator, spec.optimizers!.discriminator, spec.optimizers!.discriminator].map((f) => (f as () => tf.Optimizer)());
    assert.deepEqual(made.map((o) => [o.getClassName(), o.getConfig().learningRate, o.getConfig().beta1, o.getConfig().beta2]), Array(3).fill(["TsganFusedAdam", 2e-4, 0, 0.9]));
    assert.notEqual(made[1], made[2], "a factory: each run gets a fresh optimizer");
    assert.deepEqual([SNGAN_DEFAULTS.learningRate, SNGAN_DEFAULTS.beta1, SNGAN_DEFAULTS.beta2, SNGAN_DEFAULTS.discriminatorSteps], [2e-4, 0, 0.9, 5]);
    made.forEach((o) => o.dispose());
    disposeSpec(spec);

    const conv = snganSpec({ trunk: "conv", ...SMALL });
    assert.equal((conv.generator as tf.LayersModel).name, "dcgan_generator");
    assert.equal((conv.discriminator as tf.LayersModel).name, "sngan_conv_critic");
    disposeSpec(conv);

    const d = buildSnganDiscriminator({ trunk: "mlp", imageShape: SMALL.imageShape, powerIterations: 2, leakySlope: 0.3 });
    const own = adam(1e-3);
    const overridden = snganSpec({ trunk: "mlp", ...SMALL, discriminator: d, objective: "wasserstein", discriminatorSteps: 2, optimizers: { discriminator: own } });
    assert.equal(overridden.discriminator, d);
    assert.deepEqual([overridden.objective, overridden.discriminatorSteps, overridden.optimizers!.discriminator], ["wasserstein", 2, own]);
    assert.equal(overridden.optimizers!.generator, snganOptimizer, "the other player keeps the default");
    assert.ok(snLayers(d).every((l) => l.powerIterations === 2));
    own.dispose();
    disposeSpec(overridden);
  });

  for (const trunk of ["mlp", "conv"] as const) {
    it(`${trunk}: trains a few steps with finite losses, 5 critic updates per step (counted) and u updated in training calls only`, async () => {
      seed(4);
      const spec = snganSpec({ trunk, ...SMALL });
      const critic = spec.discriminator as tf.LayersModel;
      // Count the critic's optimizer updates and its training-mode calls.
      let criticUpdates = 0;
      const makeCriticOptimizer = spec.optimizers!.discriminator as () => tf.Optimizer;
      spec.optimizers!.discriminator = () => {
        const o = makeCriticOptimizer();
        const apply = o.applyGradients.bind(o);
        o.applyGradients = (g) => { criticUpdates++; apply(g); };
        return o;
      };
      let trainingCalls = 0;
      const apply = critic.apply.bind(critic);
      critic.apply = (x, kwargs) => { if (kwargs?.training) trainingCalls++; return apply(x, kwargs); };
      const u0 = storedUs(critic);
      const perStep: number[] = [];
      const { history, optimizers } = await train({
        gan: spec, data: randomImages, steps: 3, batchSize: 8, seed: 5,
        callbacks: [{ onStepEnd: (log) => { perStep.push(log.players.discriminator.updates); } }],
      });
      assert.deepEqual(perStep, [5, 5, 5]);
      assert.equal(criticUpdates, 15);
      // Each critic update runs D on the real and the fake batch; the generator's update runs it once.
      assert.equal(trainingCalls, 3 * (5 * 2 + 1));
      const cfg = optimizers.discriminator.getConfig();
      assert.deepEqual([cfg.learningRate, cfg.beta1, cfg.beta2], [2e-4, 0, 0.9]);
      for (const player of ["discriminator", "generator"]) {
        assert.ok(history.players[player].loss.every(Number.isFinite), `${player} losses ${history.players[player].loss}`);
      }
      assert.ok(history.players.discriminator.loss.every((l) => l >= 0), "hinge losses are non-negative");
      const u1 = storedUs(critic);
      // A one-unit output layer's u is ±1 (σ = ‖w‖ exactly: W is a row); every other u moves.
      u1.forEach((u, i) => (u.length === 1 ? assert.equal(Math.abs(u[0]), 1) : assert.notDeepEqual(u, u0[i], `layer ${i}'s u moved`)));
      tf.tidy(() => void critic.predict(tf.randomUniform([4, 8, 8, 1])));
      assert.deepEqual(storedUs(critic), u1, "predicting leaves u alone");
      Object.values(optimizers).forEach((o) => o.dispose());
      disposeSpec(spec);
    });
  }

  it("leaks no tensor per training step (after a burn-in step)", async () => {
    seed(6);
    const spec = snganSpec({ trunk: "conv", ...SMALL });
    const counts: number[] = [];
    const { optimizers } = await train({
      gan: spec, data: randomImages, steps: 5, batchSize: 8, seed: 6,
      callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
    });
    assert.deepEqual(counts.slice(1), Array(4).fill(counts[1]), `tensors after each step: ${counts}`);
    Object.values(optimizers).forEach((o) => o.dispose());
    disposeSpec(spec);
  });

  it("a checkpoint restores every u exactly, and a resumed run continues as the uninterrupted one", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-sngan-"));
    const build = (s: number) => { seed(s); return snganSpec({ trunk: "mlp", ...SMALL }); };
    const options = { data: randomImages, batchSize: 8, seed: 9 };
    try {
      // Uninterrupted: 4 steps.
      const whole = build(7);
      const full = await train({ gan: whole, ...options, steps: 4 });
      // Interrupted after 2, checkpointed, restored into networks built from another seed.
      const first = build(7);
      const half = await train({ gan: first, ...options, steps: 2, checkpointDir: dir });
      const fresh = build(8);
      assert.notDeepEqual(storedUs(fresh.discriminator as tf.LayersModel), storedUs(first.discriminator as tf.LayersModel));
      const freshOptimizers = { generator: snganOptimizer(), discriminator: snganOptimizer() };
      const state = await restoreCheckpoint(dir, fresh, freshOptimizers);
      assert.equal(state.step, 2);
      assert.deepEqual(storedUs(fresh.discriminator as tf.LayersModel), storedUs(first.discriminator as tf.LayersModel), "u restored bit for bit");
      assert.deepEqual(allWeights(fresh.discriminator as tf.LayersModel), allWeights(first.discriminator as tf.LayersModel));
      // Resumed to 4 steps: the same u, weights and losses as the uninterrupted run.
      const rebuilt = build(10);
      const resumed = await resume(dir, { gan: rebuilt, ...options, steps: 4 });
      assert.deepEqual(storedUs(rebuilt.discriminator as tf.LayersModel), storedUs(whole.discriminator as tf.LayersModel));
      assert.deepEqual(allWeights(rebuilt.discriminator as tf.LayersModel), allWeights(whole.discriminator as tf.LayersModel));
      assert.deepEqual(resumed.history.players.discriminator.loss, full.history.players.discriminator.loss);
      [full, half, resumed].forEach((r) => Object.values(r.optimizers).forEach((o) => o.dispose()));
      Object.values(freshOptimizers).forEach((o) => o.dispose());
      [whole, first, fresh, rebuilt].forEach(disposeSpec);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects bad options with a message naming them", () => {
    assert.throws(() => buildSnganDiscriminator({ trunk: "resnet" as never }), /trunk must be "mlp" .* or "conv"/);
    assert.throws(() => buildSnganDiscriminator({ leakySlope: 1.5 }), /leakySlope must be in \[0, 1\)/);
    assert.throws(() => buildSnganDiscriminator({ imageShape: [28, 28] as never }), /imageShape must be \[height, width, channels\]/);
    assert.throws(() => snganSpec({ latentDim: 0 }), /latentDim must be a positive integer/);
    assert.throws(() => snganSpec({ powerIterations: 0 }), /powerIterations must be a positive integer/);
  });
});
