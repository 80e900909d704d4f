import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed, nextSeed, restoreMathRandom } from "../../lib/engine/seed";
import {
  train, normalLatent, clipWeights, shuffledBatches, trainableVariables, HISTORY_KEYS,
  GanObjective, GanSpec, Network, TrainHistory,
} from "../../lib/train/loop";
import { mlpGenerator, mlpDiscriminator } from "../../lib/models/mlp";

/** The minimax discriminator loss and the non-saturating generator loss, written out for this test only. */
const bceObjective: GanObjective = {
  discriminatorLoss: (real, fake) => tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake))),
  generatorLoss: (fake) => tf.mean(tf.softplus(tf.neg(fake))),
};

const softplus = (x: number) => Math.log1p(Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A toy 1-D GAN built from `seedValue`, so two calls build identical networks. */
function toyGan(seedValue: number, latentSize = 4): GanSpec {
  seed(seedValue);
  return {
    generator: mlpGenerator({ latentSize, dataSize: 1, hiddenSizes: [16, 16] }),
    discriminator: mlpDiscriminator({ dataSize: 1, hiddenSizes: [16, 16] }),
    latent: normalLatent(latentSize),
    objective: bceObjective,
  };
}

const gaussianData = (mean: number, std: number) =>
  (n: number) => tf.randomNormal([n, 1], mean, std, "float32", nextSeed());

function adamPair(lr: number) {
  return { generator: tf.train.adam(lr, 0.5), discriminator: tf.train.adam(lr, 0.5) };
}

/** A network y = x·w + b on one feature, with weights we choose: the hand-computable player. */
function affine(w: number, b: number): Network & { w: tf.Variable; b: tf.Variable } {
  const wv = tf.variable(tf.scalar(w));
  const bv = tf.variable(tf.scalar(b));
  return {
    w: wv, b: bv,
    apply: (x) => tf.add(tf.mul(x as tf.Tensor, wv), bv),
    trainableWeights: [wv, bv],
  };
}

describe("train/loop", function () {
  afterEach(() => restoreMathRandom());

  it("learns a 1-D Gaussian N(4, 1.25²): |mean error| < 0.3 and |std error| < 0.3 after 300 steps", async function () {
    this.timeout(180000);
    const gan = toyGan(1);
    const result = await train({
      gan, data: gaussianData(4, 1.25), steps: 300, batchSize: 64, seed: 1, optimizers: adamPair(2e-3),
    });
    assert.equal(result.step, 300);
    assert.deepEqual(result.history.step, Array.from({ length: 300 }, (_, i) => i + 1));
    for (const key of HISTORY_KEYS) assert.ok(result.history[key].every(Number.isFinite), key);
    const [mean, std] = tf.tidy(() => {
      const x = gan.generator.apply(tf.randomNormal([5000, 4], 0, 1, "float32", 7)) as tf.Tensor;
      const m = tf.moments(x);
      return [m.mean.dataSync()[0], Math.sqrt(m.variance.dataSync()[0])];
    });
    assert.ok(Math.abs(mean - 4) < 0.3, `generated mean ${mean}, want 4 ± 0.3`);
    assert.ok(Math.abs(std - 1.25) < 0.3, `generated std ${std}, want 1.25 ± 0.3`);
    // Near equilibrium D cannot tell the two apart: D(x) ≈ D(G(z)) ≈ 1/2 (Goodfellow et al. 2014, Prop. 1).
    const last = result.history.meanDReal.length - 1;
    assert.ok(Math.abs(result.history.meanDReal[last] - 0.5) < 0.1, `D(x) ${result.history.meanDReal[last]}`);
    assert.ok(Math.abs(result.history.meanDFake[last] - 0.5) < 0.1, `D(G(z)) ${result.history.meanDFake[last]}`);
  });

  it("reports hand-computed losses, scores and gradient norms for fixed affine players", async () => {
    // D(x) = w·x + b with w = 1, b = 0 on real x = 3; G(z) = a·z + c with a = 0, c = 2 on z = 1, so G(z) = 2.
    // SGD with learning rate 0 keeps every step identical.
    const run = async (critic: boolean) => {
      const D = affine(1, 0), G = affine(0, 2);
      const result = await train({
        gan: { generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]), objective: bceObjective, critic },
        data: (n) => tf.fill([n, 1], 3),
        steps: 2, batchSize: 4,
        optimizers: { generator: tf.train.sgd(0), discriminator: tf.train.sgd(0) },
      });
      tf.dispose([D.w, D.b, G.w, G.b]);
      return result.history;
    };
    const h = await run(false);
    // L_D = softplus(-3) + softplus(2); ∂L_D/∂w = -3σ(-3) + 2σ(2), ∂L_D/∂b = -σ(-3) + σ(2).
    const dLoss = softplus(-3) + softplus(2);
    const dw = -3 * sigmoid(-3) + 2 * sigmoid(2), db = -sigmoid(-3) + sigmoid(2);
    // L_G = softplus(-D(G(z))) with D(G(z)) = 2; ∂/∂a = -σ(-2)·z·w, ∂/∂c = -σ(-2)·w.
    const gLoss = softplus(-2);
    const gNorm = sigmoid(-2) * Math.SQRT2;
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} vs ${b}`);
    for (let i = 0; i < 2; i++) {
      close(h.discriminatorLoss[i], dLoss, "D loss");
      close(h.generatorLoss[i], gLoss, "G loss");
      close(h.meanDReal[i], sigmoid(3), "D(x)");
      close(h.meanDFake[i], sigmoid(2), "D(G(z))");
      close(h.discriminatorGradNorm[i], Math.hypot(dw, db), "D grad norm");
      close(h.generatorGradNorm[i], gNorm, "G grad norm");
    }
    // A critic reports raw scores, not probabilities.
    const c = await run(true);
    close(c.meanDReal[0], 3, "critic D(x)");
    close(c.meanDFake[0], 2, "critic D(G(z))");
  });

  it("is reproducible: the same seed gives identical histories, another seed different ones", async function () {
    this.timeout(60000);
    const once = async (s: number) =>
      (await train({ gan: toyGan(s), data: gaussianData(4, 1.25), steps: 8, batchSize: 16, seed: s })).history;
    const a = await once(5), b = await once(5), c = await once(6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.discriminatorLoss, c.discriminatorLoss);
  });

  it("runs k discriminator updates per generator update, each on its own batch", async () => {
    const gan = toyGan(2);
    const optimizers = adamPair(1e-3);
    const applied = { generator: 0, discriminator: 0 };
    for (const player of ["generator", "discriminator"] as const) {
      const opt = optimizers[player];
      const original = opt.applyGradients.bind(opt);
      opt.applyGradients = (grads) => { applied[player]++; return original(grads); };
    }
    const batchIndices: number[] = [];
    await train({
      gan, optimizers, steps: 3, batchSize: 8, discriminatorSteps: 5,
      data: (n, i) => { batchIndices.push(i); return tf.randomNormal([n, 1], 4, 1, "float32", nextSeed()); },
    });
    assert.deepEqual(applied, { generator: 3, discriminator: 15 });
    assert.deepEqual(batchIndices, Array.from({ length: 15 }, (_, i) => i));
  });

  it("adds the variant's extra discriminator loss term to the reported loss", async () => {
    // A constant term changes the loss by exactly that constant and no gradient, so every other number agrees.
    const once = (extra?: number) => train({
      gan: { ...toyGan(3), ...(extra === undefined ? {} : { extraDiscriminatorLoss: () => tf.scalar(extra) }) },
      data: gaussianData(4, 1.25), steps: 4, batchSize: 16, seed: 3,
    });
    const plain = (await once()).history, extra = (await once(1.5)).history;
    plain.discriminatorLoss.forEach((l, i) => assert.ok(Math.abs(extra.discriminatorLoss[i] - l - 1.5) < 1e-5));
    assert.deepEqual(extra.generatorLoss, plain.generatorLoss);
  });

  it("supports a gradient penalty term (WGAN-GP) through extraDiscriminatorLoss, checked by hand", async () => {
    // Critic D(x) = w·x + b with w = 3: ∇ₓD = w everywhere, so the penalty λ(‖∇ₓD(x̂)‖ − 1)² = 10·(3 − 1)² = 40
    // whatever the interpolate x̂ (Gulrajani et al. 2017, eq. 3). Real x = 3, fake G(z) = 2.
    // L_D = E[D(G(z))] − E[D(x)] + 40 = 6 − 9 + 40 = 37; ∂L_D/∂w = 2 − 3 + 20·(|w| − 1)·sign(w) = 39; ∂L_D/∂b = 0.
    const D = affine(3, 0), G = affine(0, 2);
    const h = (await train({
      gan: {
        generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]), objective: "wasserstein",
        extraDiscriminatorLoss: ({ real, fake, discriminate }) => {
          const eps = tf.randomUniform([real.x.shape[0], 1], 0, 1, "float32", nextSeed());
          const interpolates = tf.add(tf.mul(eps, real.x), tf.mul(tf.sub(1, eps), fake));
          const gradient = tf.grad((x: tf.Tensor) => tf.sum(discriminate(x).logits))(interpolates);
          const norm = tf.sqrt(tf.sum(tf.square(gradient), 1));
          return tf.mul(10, tf.mean(tf.square(tf.sub(norm, 1))));
        },
      },
      data: (n) => tf.fill([n, 1], 3), steps: 1, batchSize: 4,
      optimizers: { generator: tf.train.sgd(0), discriminator: tf.train.sgd(0) },
    })).history;
    tf.dispose([D.w, D.b, G.w, G.b]);
    assert.ok(Math.abs(h.discriminatorLoss[0] - 37) < 1e-4, `${h.discriminatorLoss[0]}`);
    assert.ok(Math.abs(h.discriminatorGradNorm[0] - 39) < 1e-4, `${h.discriminatorGradNorm[0]}`);
  });

  it("applies afterDiscriminatorStep (WGAN's weight clipping) after every discriminator update", async () => {
    const gan = toyGan(4);
    let calls = 0;
    await train({
      gan: {
        ...gan, critic: true,
        afterDiscriminatorStep: (d) => { calls++; clipWeights(d, 0.01); },
      },
      data: gaussianData(4, 1.25), steps: 2, batchSize: 8, discriminatorSteps: 3,
      optimizers: adamPair(1e-2),
    });
    assert.equal(calls, 6);
    const maxAbs = Math.max(...trainableVariables(gan.discriminator).map((v) => tf.tidy(() => v.abs().max().dataSync()[0])));
    assert.ok(maxAbs <= 0.01 + 1e-7, `largest |weight| ${maxAbs}`);
  });

  it("feeds labels to both players for conditional variants (CGAN)", async () => {
    seed(5);
    const G = mlpGenerator({ latentSize: 3, dataSize: 2, conditionSize: 4, hiddenSizes: [8] });
    const D = mlpDiscriminator({ dataSize: 2, conditionSize: 4, hiddenSizes: [8] });
    const seen: number[][][] = [];
    const spy = (net: tf.LayersModel): Network => ({
      apply: (inputs, kwargs) => {
        seen.push((inputs as tf.Tensor[]).map((t) => t.shape as number[]));
        return net.apply(inputs, kwargs);
      },
      trainableWeights: net.trainableWeights,
    });
    const oneHot = (n: number) => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 4), "int32"), 4);
    const result = await train({
      gan: {
        generator: spy(G), discriminator: spy(D), objective: bceObjective,
        latent: (n) => ({ z: tf.randomNormal([n, 3], 0, 1, "float32", nextSeed()), labels: oneHot(n) }),
      },
      data: (n) => ({ x: tf.randomNormal([n, 2], 0, 1, "float32", nextSeed()), labels: oneHot(n) }),
      steps: 1, batchSize: 6,
    });
    assert.equal(result.step, 1);
    // D step: G([z, y]), D([x, y]), D([G(z), y]); G step: G([z, y]), D([G(z), y]).
    assert.deepEqual(seen, [[[6, 3], [6, 4]], [[6, 2], [6, 4]], [[6, 2], [6, 4]], [[6, 3], [6, 4]], [[6, 2], [6, 4]]]);
  });

  it("takes data from an iterator and says when it runs out", async () => {
    function* batches(count: number) {
      for (let i = 0; i < count; i++) yield tf.randomNormal([8, 1], 4, 1, "float32", nextSeed());
    }
    const ok = await train({ gan: toyGan(6), data: batches(4), steps: 2, batchSize: 8, discriminatorSteps: 2 });
    assert.equal(ok.step, 2);
    await assert.rejects(
      train({ gan: toyGan(6), data: batches(3), steps: 2, batchSize: 8, discriminatorSteps: 2 }),
      /data: the iterator ran out after 3 batches/,
    );
  });

  it("shuffledBatches: every example once per epoch, order a function of (seed, batch index)", () => {
    const x = tf.range(0, 10).reshape([10, 1]);
    const labels = tf.range(100, 110);
    const source = shuffledBatches(x, labels, { seed: 9 }) as (n: number, i: number) => { x: tf.Tensor; labels: tf.Tensor };
    const take = (i: number) => {
      const b = source(3, i);
      const out = { x: Array.from(b.x.dataSync()), labels: Array.from(b.labels.dataSync()) };
      tf.dispose([b.x, b.labels]);
      return out;
    };
    const epoch0 = [0, 1, 2].map(take);
    const seenOnce = epoch0.flatMap((b) => b.x);
    assert.equal(new Set(seenOnce).size, 9); // 3 batches of 3 from 10 examples, no repeats
    epoch0.forEach((b) => assert.deepEqual(b.labels, b.x.map((v) => v + 100)));
    const epoch1 = take(3);
    assert.deepEqual(take(1), epoch0[1]); // random access reproduces the order
    assert.deepEqual(take(3), epoch1);
    const other = (shuffledBatches(x, labels, { seed: 10 }) as (n: number, i: number) => { x: tf.Tensor; labels: tf.Tensor })(3, 0);
    assert.notDeepEqual(Array.from(other.x.dataSync()), epoch0[0].x);
    tf.dispose([x, labels, other.x, other.labels]);
  });

  describe("NaN/Inf guard", () => {
    it("names the step and the discriminator when its loss turns NaN, without applying the update", async () => {
      const gan = toyGan(7);
      const before = trainableVariables(gan.discriminator).map((v) => Array.from(v.dataSync()));
      await assert.rejects(
        train({
          gan, steps: 5, batchSize: 8, discriminatorSteps: 1,
          // The third batch is corrupt.
          data: (n, i) => (i === 2 ? tf.fill([n, 1], NaN) : tf.randomNormal([n, 1], 4, 1, "float32", nextSeed())),
          optimizers: { generator: tf.train.sgd(0), discriminator: tf.train.sgd(0) },
        }),
        (err: Error) => {
          assert.match(err.message, /^step 3: discriminator loss is NaN/);
          assert.match(err.message, /lower the learning rate/i);
          return true;
        },
      );
      const after = trainableVariables(gan.discriminator).map((v) => Array.from(v.dataSync()));
      assert.deepEqual(after, before);
    });

    it("names the generator when its loss is not finite", async () => {
      const gan = toyGan(8);
      const generatorBefore = trainableVariables(gan.generator).map((v) => Array.from(v.dataSync()));
      await assert.rejects(
        train({
          gan: { ...gan, objective: { ...bceObjective, generatorLoss: (f) => tf.mean(tf.log(tf.neg(tf.abs(f)))) } },
          data: gaussianData(4, 1), steps: 3, batchSize: 8,
        }),
        /^Error: step 1: generator loss is NaN/,
      );
      assert.deepEqual(trainableVariables(gan.generator).map((v) => Array.from(v.dataSync())), generatorBefore);
    });

    it("stops a run whose learning rate is absurd", async () => {
      await assert.rejects(
        train({
          gan: toyGan(9), data: gaussianData(4, 1.25), steps: 50, batchSize: 16,
          optimizers: { generator: tf.train.sgd(1e30), discriminator: tf.train.sgd(1e30) },
        }),
        /^Error: step \d+: (discriminator|generator) (loss|gradient norm) is (NaN|Infinity|-Infinity)/,
      );
    });
  });

  it("leaks no tensors across steps (after a burn-in step), with every hook in use", async () => {
    const gan = toyGan(10);
    const counts: number[] = [];
    const optimizers = adamPair(1e-3);
    const options = {
      gan: {
        ...gan,
        extraDiscriminatorLoss: ({ discriminate, real }: { discriminate: (x: tf.Tensor) => { logits: tf.Tensor }; real: { x: tf.Tensor } }) =>
          tf.mean(tf.square(discriminate(tf.mul(real.x, 0.5)).logits)),
        extraGeneratorLoss: ({ fake }: { fake: tf.Tensor }) => tf.mul(tf.mean(fake), 0.01),
        afterDiscriminatorStep: (d: Network) => clipWeights(d, 1),
      } as GanSpec,
      data: gaussianData(4, 1.25), batchSize: 8, discriminatorSteps: 2, optimizers,
      callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
    };
    await train({ ...options, steps: 6 });
    assert.equal(counts.length, 6);
    assert.deepEqual(counts.slice(1), Array(5).fill(counts[0]), `numTensors per step: ${counts}`);
    // A second run with the same optimizers allocates nothing new either.
    const before = tf.memory().numTensors;
    await train({ ...options, steps: 2, callbacks: [] });
    assert.equal(tf.memory().numTensors, before);
  });

  it("rejects bad options with errors that say what to change", async () => {
    const gan = toyGan(11);
    const data = gaussianData(0, 1);
    await assert.rejects(train({ gan, data, steps: -1 }), /steps must be a non-negative integer/);
    await assert.rejects(train({ gan, data, steps: 1, discriminatorSteps: 0 }), /discriminatorSteps must be a positive integer/);
    const shared = tf.train.adam(1e-3);
    await assert.rejects(train({ gan, data, steps: 1, optimizers: { generator: shared, discriminator: shared } }), /separate optimizers/);
    await assert.rejects(train({ gan, data, steps: 1, checkpointEvery: 2 }), /checkpointEvery needs checkpointDir/);
    await assert.rejects(train({ gan: { ...gan, objective: "no-such-loss" }, data, steps: 1 }), /unknown GAN loss 'no-such-loss'/);
    await assert.rejects(
      train({ gan: { ...gan, objective: { ...bceObjective, generatorLoss: (f) => tf.softplus(f) } }, data, steps: 1 }),
      /objective.generatorLoss returned shape \[\d+,1\]; it must return a scalar/,
    );
    await assert.rejects(train({ gan, data: () => [1, 2] as unknown as tf.Tensor, steps: 1 }), /return a tf.Tensor or \{x, labels\?\}/);
  });

  it("defaults to lib/losses' minimax discriminator loss and non-saturating generator loss", async () => {
    const D = affine(1, 0), G = affine(0, 2);
    const h = (await train({
      gan: { generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]) },
      data: (n) => tf.fill([n, 1], 3), steps: 1, batchSize: 4,
      optimizers: { generator: tf.train.sgd(0), discriminator: tf.train.sgd(0) },
    })).history;
    tf.dispose([D.w, D.b, G.w, G.b]);
    // −log σ(3) − log(1 − σ(2)) and −log σ(2), as in the hand-computed test above.
    assert.ok(Math.abs(h.discriminatorLoss[0] - (softplus(-3) + softplus(2))) < 1e-5, `${h.discriminatorLoss[0]}`);
    assert.ok(Math.abs(h.generatorLoss[0] - softplus(-2)) < 1e-5, `${h.generatorLoss[0]}`);
  });

  it("accepts a GAN_LOSSES name as the objective and reports a Wasserstein critic's raw scores", async () => {
    const D = affine(1, 0), G = affine(0, 2);
    const h: TrainHistory = (await train({
      gan: { generator: G, discriminator: D, latent: (n) => tf.ones([n, 1]), objective: "wasserstein" },
      data: (n) => tf.fill([n, 1], 3), steps: 1, batchSize: 4,
      optimizers: { generator: tf.train.sgd(0), discriminator: tf.train.sgd(0) },
    })).history;
    tf.dispose([D.w, D.b, G.w, G.b]);
    // Wasserstein critic loss E[D(G(z))] − E[D(x)] = 2 − 3 (Arjovsky et al. 2017); generator loss −E[D(G(z))].
    assert.ok(Math.abs(h.discriminatorLoss[0] - -1) < 1e-6, `${h.discriminatorLoss[0]}`);
    assert.ok(Math.abs(h.generatorLoss[0] - -2) < 1e-6, `${h.generatorLoss[0]}`);
    assert.equal(h.meanDReal[0], 3);
    assert.equal(h.meanDFake[0], 2);
  });
});
