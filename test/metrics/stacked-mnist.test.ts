import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { makeRandom } from "../../lib/engine/seed";
import { loadMnist } from "../../lib/data/mnist";
import { stackedMnist, stackedMnistFrom } from "../../lib/data/stacked-mnist";
import { Classifier, embeddedMnistSplit, loadClassifier, selectRows } from "../../lib/metrics/classifier";
import { stackedMnistModes, stackedModeReport, stackedModesOfDigits, uniformModeExpectation } from "../../lib/metrics/stacked-mnist";

describe("metrics/stacked-mnist", () => {
  it("stackedModesOfDigits and stackedModeReport on a hand example", () => {
    const modes = stackedModesOfDigits([1, 2, 3, 1, 2, 3, 9, 9, 9]);
    assert.deepEqual(Array.from(modes), [123, 123, 999]);
    const r = stackedModeReport(modes);
    assert.equal(r.modesCaptured, 2);
    assert.equal(r.totalModes, 1000);
    assert.equal(r.sampleCount, 3);
    assert.equal(r.counts.length, 1000);
    assert.equal(r.counts[123], 2);
    assert.equal(r.counts[999], 1);
    // p̂ = (2/3, 1/3): KL = ⅔·log(1000·⅔) + ⅓·log(1000·⅓).
    assert.ok(Math.abs(r.reverseKL - ((2 / 3) * Math.log(2000 / 3) + (1 / 3) * Math.log(1000 / 3))) < 1e-12);
    assert.equal(stackedModeReport(modes, 2).modesCaptured, 1);
    assert.throws(() => stackedModesOfDigits([1, 2]), /3 digits per sample .* got 2/);
    assert.throws(() => stackedModesOfDigits([1, 2, 10]), /digit 10 of sample 0, channel 2 is not an integer 0–9/);
    assert.throws(() => stackedModeReport([]), /no samples/);
    assert.throws(() => stackedModeReport([1000]), /mode 1000 at 0 is not in \[0, 1000\)/);
    assert.throws(() => stackedModeReport([1], 0), /minSamplesPerMode must be an integer ≥ 1, got 0/);
  });

  it("uniformModeExpectation: 1000·(1 − 0.999ⁿ) modes, the plug-in KL's bias, and a simulation agrees", () => {
    const e = uniformModeExpectation(2000);
    assert.ok(Math.abs(e.modesCaptured - 1000 * (1 - 0.999 ** 2000)) < 1e-9);
    assert.ok(Math.abs(e.modesCaptured - 864.8) < 0.01, `${e.modesCaptured}`);
    // The first-order bias (K − 1)/2n = 0.24975 understates it at 2 samples per mode; the exact sum is 0.2846.
    assert.ok(Math.abs(e.reverseKL - 0.2846) < 1e-3, `${e.reverseKL}`);
    const big = uniformModeExpectation(26000); // PacGAN's and VEEGAN's evaluation size
    assert.ok(big.modesCaptured > 999.99 && Math.abs(big.reverseKL - 999 / 52000) < 5e-4, JSON.stringify(big));
    // One sample: one mode, KL = log K exactly.
    assert.equal(uniformModeExpectation(1).modesCaptured, 1);
    assert.ok(Math.abs(uniformModeExpectation(1).reverseKL - Math.log(1000)) < 1e-12);
    assert.deepEqual(uniformModeExpectation(5, 1), { modesCaptured: 1, reverseKL: 0 });
    // 300 simulated perfect generators of 2,000 samples each.
    const rng = makeRandom(4);
    let modes = 0, kl = 0;
    for (let t = 0; t < 300; t++) {
      const draw = Int32Array.from({ length: 2000 }, () => Math.floor(rng() * 1000));
      const r = stackedModeReport(draw);
      modes += r.modesCaptured / 300;
      kl += r.reverseKL / 300;
    }
    // Per set, sd(modes) ≈ 9 and sd(KL) ≈ 0.012: means over 300 within ≈ 0.5 and 0.0007; allow 4 sd.
    assert.ok(Math.abs(modes - e.modesCaptured) < 2.2, `simulated ${modes}`);
    assert.ok(Math.abs(kl - e.reverseKL) < 0.003, `simulated ${kl}`);
    assert.throws(() => uniformModeExpectation(0), /sampleCount must be a positive integer, got 0/);
  });

  describe("with the stored MNIST classifier", () => {
    let classifier: Classifier;
    let heldOut: { images: Float32Array; labels: Uint8Array };
    before(async function () {
      this.timeout(120000);
      classifier = await loadClassifier("mnist");
      const all = loadMnist({ source: "embedded" });
      // The 2,000 digits the classifier never trained on.
      heldOut = selectRows(all, embeddedMnistSplit(all.count).heldOut);
    });
    after(() => classifier?.dispose());

    it("one stack repeated: 1 mode, KL = log 1000, the channels read in order (7, 2, 1 → 721)", () => {
      const rows = [7, 2, 1].map((d) => heldOut.labels.indexOf(d));
      const sources = Array.from({ length: 50 }, () => rows).flat();
      const set = stackedMnistFrom(heldOut, sources);
      const before = tf.memory().numTensors;
      const r = stackedMnistModes(classifier, set.x);
      assert.equal(tf.memory().numTensors, before, "stackedMnistModes leaks no tensor");
      set.x.dispose();
      assert.equal(r.modesCaptured, 1);
      assert.equal(r.totalModes, 1000);
      assert.equal(r.sampleCount, 50);
      assert.ok(Math.abs(r.reverseKL - Math.log(1000)) < 1e-9, `${r.reverseKL}`);
      assert.equal(r.counts[721], 50);
      assert.ok(r.modeOfEach.every((m) => m === 721));
      assert.deepEqual(Array.from(r.digitsOfEach.slice(0, 6)), [7, 2, 1, 7, 2, 1]);
    });

    it("2,000 stacks of held-out real digits: ≈ the 865 modes uniform sampling hits, KL ≈ its 0.285 bias", function () {
      this.timeout(120000);
      const set = stackedMnist(heldOut, 2000, { seed: 1 });
      const r = stackedMnistModes(classifier, set.x);
      set.x.dispose();
      const truth = stackedModeReport(set.modes); // what a perfect classifier would report
      const expected = uniformModeExpectation(2000); // 864.8 modes, KL 0.2846
      // Measured (seed 1): classified 851 modes, KL 0.296; true labels 856, KL 0.290; 94.1 % of modes read right.
      // Each stack is right when all three channels are: 0.9785³ ≈ 0.937 for the classifier's held-out accuracy.
      let right = 0;
      for (let i = 0; i < 2000; i++) if (r.modeOfEach[i] === set.modes[i]) right++;
      assert.ok(right / 2000 > 0.9, `modes read right: ${right / 2000}`);
      // sd of modes hit ≈ 9 over draws: the truth within 4 sd of uniform sampling (its classes are slightly
      // uneven, KL 0.007), the classifier's count within 25 of the truth (6 % of stacks are misread).
      assert.ok(Math.abs(truth.modesCaptured - expected.modesCaptured) < 36, `true modes ${truth.modesCaptured}`);
      assert.ok(Math.abs(r.modesCaptured - truth.modesCaptured) < 25, `classified ${r.modesCaptured}, true ${truth.modesCaptured}`);
      assert.ok(r.modesCaptured > 800, `${r.modesCaptured}`);
      // Far below a collapsed generator's KL (DCGAN's 3.4 in VEEGAN's table, log 1000 = 6.9 for one mode); near
      // the finite-sample floor 0.285 of a perfect generator.
      assert.ok(r.reverseKL > 0.25 && r.reverseKL < 0.36, `KL ${r.reverseKL}`);
      assert.ok(Math.abs(r.reverseKL - truth.reverseKL) < 0.03, `KL ${r.reverseKL} vs true ${truth.reverseKL}`);
    });

    it("pixelRange maps [0, 1] images onto the classifier's [−1, 1]: the same modes as the [−1, 1] originals", () => {
      const set = stackedMnist(heldOut, 100, { seed: 2 });
      const unit = tf.tidy(() => set.x.add(1).div(2)) as tf.Tensor4D;
      const a = stackedMnistModes(classifier, set.x);
      const b = stackedMnistModes(classifier, unit, { pixelRange: [0, 1] });
      assert.deepEqual(b.modeOfEach, a.modeOfEach);
      tf.dispose([set.x, unit]);
    });

    it("bad images are errors that name the problem and the fix", () => {
      const gray = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D;
      const nchw = tf.zeros([2, 3, 28, 28]) as tf.Tensor4D;
      const empty = tf.zeros([0, 28, 28, 3]) as tf.Tensor4D;
      const ok = tf.zeros([1, 28, 28, 3]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      assert.throws(() => stackedMnistModes(classifier, gray), /shape \[2,28,28,1\]; expected \[n, 28, 28, 3\].*classifierClassCoverage/);
      assert.throws(() => stackedMnistModes(classifier, nchw), /\[2,3,28,28\].*transpose to \[n, 28, 28, 3\]/);
      assert.throws(() => stackedMnistModes(classifier, empty), /\[0,28,28,3\].*n > 0/);
      assert.throws(() => stackedMnistModes(classifier, new Float32Array(2352) as unknown as tf.Tensor4D), /must be a tf.Tensor \[n, 28, 28, 3\]/);
      assert.throws(() => stackedMnistModes(classifier, ok, { pixelRange: [1, 0] }), /pixelRange must be \[lo, hi\] with lo < hi/);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([gray, nchw, empty, ok]);
    });
  });
});
