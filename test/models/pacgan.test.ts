import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed, nextSeed } from "../../lib/engine/seed";
import { sgd } from "../../lib/engine/optimizers";
import { train } from "../../lib/train/loop";
import { discriminateSamples, GanSpec } from "../../lib/train/gan-spec";
import type { Network } from "../../lib/train/types";
import { mlpDiscriminator, mlpGanSpec, mlpGenerator } from "../../lib/models/mlp";
import { pacganSpec, pacMlpGanSpec, packLabels, packSamples, PACGAN_DEFAULTS } from "../../lib/models/pacgan";

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const disposeSpec = (spec: GanSpec) => [spec.generator, spec.discriminator].forEach((n) => (n as tf.LayersModel).dispose());

describe("models/pacgan (Lin et al. 2018)", () => {
  it("packs vectors along the features: [n, f] → [n/m, m·f], pack k = examples k·m … k·m + m − 1", () => {
    const x = tf.tensor2d([[0, 0.5], [1, 1.5], [2, 2.5], [3, 3.5], [4, 4.5], [5, 5.5]]);
    const two = packSamples(x, 2), three = packSamples(x, 3);
    assert.deepEqual(two.shape, [3, 4]);
    assert.deepEqual(two.arraySync(), [[0, 0.5, 1, 1.5], [2, 2.5, 3, 3.5], [4, 4.5, 5, 5.5]]);
    assert.deepEqual(three.arraySync(), [[0, 0.5, 1, 1.5, 2, 2.5], [3, 3.5, 4, 4.5, 5, 5.5]]);
    assert.deepEqual(values(packSamples(x, 1)), values(x), "m = 1 is the plain GAN");
    assert.deepEqual(packLabels(tf.tensor1d([7, 8, 9, 6]), 2).arraySync(), [[7, 8], [9, 6]], "class ids → [n/m, m]");
    tf.dispose([x, two, three]);
  });

  it("packs images along the channels: [n, h, w, c] → [n/m, h, w, m·c], as tf.concat(samples, 3) in the reference", () => {
    // Each value encodes (sample, pixel, channel) = 100·s + 10·pixel + channel.
    const [n, h, w, c, m] = [4, 2, 3, 2, 2];
    const x = tf.tensor4d(Array.from({ length: n * h * w * c }, (_, k) => {
      const s = Math.floor(k / (h * w * c)), pixel = Math.floor(k / c) % (h * w), ch = k % c;
      return 100 * s + 10 * pixel + ch;
    }), [n, h, w, c]);
    const packed = packSamples(x, m);
    assert.deepEqual(packed.shape, [n / m, h, w, m * c]);
    for (let k = 0; k < n / m; k++) {
      const want = tf.concat(Array.from({ length: m }, (_, j) => tf.slice(x, [k * m + j, 0, 0, 0], [1, h, w, c])), 3);
      assert.deepEqual(values(tf.slice(packed, [k, 0, 0, 0], [1, h, w, m * c])), values(want), `pack ${k}`);
    }
    // Pixel (0, 1) of pack 1: samples 2 and 3, channels 0 and 1 of each.
    assert.deepEqual(values(tf.slice(packed, [1, 0, 1, 0], [1, 1, 1, 4])), [210, 211, 310, 311]);
    tf.dispose([x, packed]);
  });

  it("a packed D input holds m samples of ONE source: real packs only real examples, fake packs only generated ones", async () => {
    seed(1);
    const m = 2, batch = 6;
    const model = mlpDiscriminator({ dataSize: 2 * m, hiddenSizes: [4] });
    const seen: number[][][] = [];
    // A spy on D: records every input it is given, then scores it with the real model.
    const spy: Network = {
      apply: (x, kwargs) => { seen.push((x as tf.Tensor2D).arraySync()); return model.apply(x as tf.Tensor, kwargs); },
      get trainableWeights() { return model.trainableWeights; },
    };
    // Real examples are marked ≥ 100 (row i is [100 + i, 100 + i]); the generator's tanh keeps fakes in [−1, 1].
    const real = tf.tensor2d(Array.from({ length: batch }, (_, i) => [100 + i, 100 + i]));
    const generator = mlpGenerator({ latentSize: 8, dataSize: 2, hiddenSizes: [4], outputActivation: "tanh" });
    const spec = pacganSpec({ ...mlpGanSpec({ dataSize: 2, generator, discriminator: model }), discriminator: spy }, { packing: m });
    await train({ gan: spec, data: () => real.clone(), steps: 1, batchSize: batch, seed: 1 });
    assert.equal(seen.length, 3, "D on real and fake for its update, on fake for the generator's");
    assert.deepEqual(seen[0], [[100, 100, 101, 101], [102, 102, 103, 103], [104, 104, 105, 105]], "the real packs, in batch order");
    for (const input of seen) {
      assert.equal(input.length, batch / m);
      for (const row of input) {
        assert.equal(row.length, 2 * m);
        assert.ok(row.every((v) => v >= 100) || row.every((v) => Math.abs(v) <= 1), `a pack of one source: ${row}`);
      }
    }
    assert.ok(seen.slice(1).every((input) => input.every((row) => row.every((v) => Math.abs(v) <= 1))), "the fake packs");
    model.dispose(); generator.dispose(); real.dispose();
  });

  it("pacMlpGanSpec builds D with packing × dataSize inputs and keeps the base spec's defaults and hooks", () => {
    const spec = pacMlpGanSpec({ dataSize: 2, packing: 4, hiddenSizes: [8] });
    assert.deepEqual((spec.discriminator as tf.LayersModel).inputs[0].shape, [null, 8]);
    assert.equal(spec.objective, "non-saturating");
    const x = tf.randomNormal([12, 2], 0, 1, "float32", 2);
    assert.deepEqual(discriminateSamples(spec, x, undefined).logits.shape, [3, 1], "12 samples → 3 packs → 3 logits");
    disposeSpec(spec);
    assert.equal(PACGAN_DEFAULTS.packing, 2);
    // The base spec's own hooks survive the wrapping (here: an extra term and k).
    const base: GanSpec = { ...mlpGanSpec({ dataSize: 1 }), discriminatorSteps: 3, extraGeneratorLoss: () => ({ zero: tf.scalar(0) }) };
    base.discriminator = mlpDiscriminator({ dataSize: 2 });
    const packed = pacganSpec(base);
    assert.equal(packed.discriminatorSteps, 3);
    assert.equal(packed.extraGeneratorLoss, base.extraGeneratorLoss);
    assert.equal(packed.generator, base.generator);
    disposeSpec(base);
    x.dispose();
  });

  it("says what is wrong: a bad packing, a batch that does not split into packs, a discriminator of the wrong width", async () => {
    assert.throws(() => packSamples(tf.zeros([6, 2]), 4), /a batch of 6 does not split into packs of 4; use a batch size that is a multiple of 4/);
    assert.throws(() => packSamples(tf.zeros([6]), 2), /reshape a vector of n values to \[n, 1\]/);
    assert.throws(() => pacMlpGanSpec({ packing: 0 }), /pacMlpGanSpec: packing must be a positive integer, got 0/);
    const plain = mlpGanSpec({ dataSize: 2 });
    assert.throws(() => pacganSpec(plain, { packing: 3 }), /inputs of width 2, which is not a multiple of the packing 3.*mlpDiscriminator\(\{ dataSize: 3 \* dataSize \}\)/);
    // Width 2 is a multiple of 2, but two packed samples of 2 features are 4 wide.
    const unpacked = pacganSpec(plain, { packing: 2 });
    assert.throws(
      () => discriminateSamples(unpacked, tf.zeros([4, 2]), undefined),
      /takes inputs \[2\], but packs of 2 samples of shape \[2\] are \[4\]; build it with inputs 2× as wide as one sample \(4\): pacMlpGanSpec/,
    );
    const spec = pacMlpGanSpec({ dataSize: 2, packing: 4 });
    await assert.rejects(
      train({ gan: spec, data: (n) => tf.zeros([n, 2]), steps: 1, batchSize: 6 }),
      /a batch of 6 does not split into packs of 4; use a batch size that is a multiple of 4/,
    );
    assert.throws(() => pacganSpec({ networks: {}, players: [] } as never), /expects a two-player GanSpec/);
    disposeSpec(plain); disposeSpec(spec);
  });

  it("a few train() steps on a toy mixture: finite losses, no tensor leak per step", async function () {
    this.timeout(60000);
    seed(3);
    const spec = pacMlpGanSpec({ dataSize: 2, packing: 4, hiddenSizes: [16] });
    const data = (n: number) => tf.tidy(() => tf.add(tf.randomNormal([n, 2], 0, 0.05, "float32", nextSeed()), tf.mul(2, tf.sign(tf.randomNormal([n, 2], 0, 1, "float32", nextSeed())))));
    const counts: number[] = [];
    const { history, optimizers } = await train({
      gan: spec, data, steps: 12, batchSize: 32, seed: 3, optimizers: { generator: sgd(0.01), discriminator: sgd(0.01) },
      callbacks: [{ onStepEnd: () => { counts.push(tf.memory().numTensors); } }],
    });
    const losses = [...history.players.discriminator.loss, ...history.players.generator.loss];
    assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
    assert.deepEqual(counts.slice(1), Array(counts.length - 1).fill(counts[1]), `numTensors per step: ${counts}`);
    Object.values(optimizers).forEach((o) => o.dispose());
    disposeSpec(spec);
  });
});
