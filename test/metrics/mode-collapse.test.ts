import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { makeRandom } from "../../lib/engine/seed";
import { modeCollapseMetrics, reverseKLToUniform, starvedModes } from "../../lib/metrics/mode-collapse";
import { ringOfGaussians, gridOfGaussians, twoCityTemperatures } from "../../lib/data/toy";

const ring = ringOfGaussians(); // 8 modes on the unit circle, σ = 0.01

describe("metrics/mode-collapse", () => {
  it("samples from the true ring: 8 modes captured, ≈ all high quality, reverse KL ≈ 0", () => {
    // 2,500 samples, PacGAN's evaluation size. Within 3σ in 2-D: P(χ²₂ < 9) = 1 − e^(−4.5) = 0.98889.
    const m = modeCollapseMetrics(ring.sample(2500, makeRandom(1)), ring);
    assert.equal(m.modesCaptured, 8);
    assert.equal(m.totalModes, 8);
    assert.equal(m.sampleCount, 2500);
    // Binomial standard error of the share: sqrt(0.0111·0.9889/2500) ≈ 0.0021; allow 4 of them.
    assert.ok(Math.abs(m.highQualityShare - (1 - Math.exp(-4.5))) < 0.009, `share ${m.highQualityShare}`);
    // Multinomial noise alone: E[KL] ≈ (K − 1)/(2n) = 7/4944 ≈ 0.0014; allow 0.01.
    assert.ok(m.reverseKL >= 0 && m.reverseKL < 0.01, `KL ${m.reverseKL}`);
  });

  it("every sample on one mode: 1 captured, share 1, reverse KL = log 8", () => {
    // p̂ = (1, 0, ..., 0): KL(p̂ ‖ U) = 1·log(1/(1/8)) = log 8 ≈ 2.0794.
    const samples = Array.from({ length: 100 }, (_, i) => [Math.cos(2 * Math.PI * 3 / 8) + 0.001 * (i % 5), Math.sin(2 * Math.PI * 3 / 8)]);
    const m = modeCollapseMetrics(samples, ring);
    assert.equal(m.modesCaptured, 1);
    assert.equal(m.highQualityShare, 1);
    assert.ok(Math.abs(m.reverseKL - Math.log(8)) < 1e-12);
    assert.deepEqual(m.countsPerMode, [0, 0, 0, 100, 0, 0, 0, 0]);
  });

  it("two modes with 3:1 counts: KL = ¾·log(8·¾) + ¼·log(8·¼) by hand", () => {
    // p̂ = (3/4, 1/4, 0, ...): 0.75·log 6 + 0.25·log 2 = 0.75·1.791759 + 0.25·0.693147 = 1.517106
    const samples = [[1, 0], [1, 0], [1, 0], [Math.SQRT1_2, Math.SQRT1_2]];
    const m = modeCollapseMetrics(samples, ring);
    assert.equal(m.modesCaptured, 2);
    assert.ok(Math.abs(m.reverseKL - (0.75 * Math.log(6) + 0.25 * Math.log(2))) < 1e-12);
  });

  it("off-mode junk: nothing high quality, no mode captured, KL undefined (NaN)", () => {
    // The centre and points halfway between modes on a radius-1.5 circle are ≥ 0.5 = 50σ from every mode.
    const junk = [[0, 0], ...Array.from({ length: 8 }, (_, k) => [1.5 * Math.cos((2 * k + 1) * Math.PI / 8), 1.5 * Math.sin((2 * k + 1) * Math.PI / 8)])];
    const m = modeCollapseMetrics(junk, ring);
    assert.equal(m.modesCaptured, 0);
    assert.equal(m.highQualityShare, 0);
    assert.ok(Number.isNaN(m.reverseKL));
  });

  it("the 3σ boundary is strict (PacGAN: min_dis < 3), measured in σ of the modes", () => {
    // Mode (1, 0), σ = 0.01: 0.0299 away is inside, 0.0301 outside.
    const m = modeCollapseMetrics([[1.0299, 0], [1.0301, 0], [1, -0.0301]], ring);
    assert.equal(m.highQualityShare, 1 / 3);
    // A wider threshold admits them; a per-mode minimum of 2 uncaptures a mode with one sample.
    assert.equal(modeCollapseMetrics([[1.0301, 0]], ring, { thresholdStds: 4 }).highQualityShare, 1);
    assert.equal(modeCollapseMetrics([[1, 0], [0, 1], [0, 1]], ring, { minSamplesPerMode: 2 }).modesCaptured, 1);
  });

  it("grid of 25 and the 1-D two cities; tensors and flat arrays as input", () => {
    const grid = gridOfGaussians();
    const t = tf.tensor2d(grid.sample(5000, makeRandom(2)), [5000, 2]);
    const m = modeCollapseMetrics(t, grid);
    t.dispose();
    assert.equal(m.modesCaptured, 25);
    assert.ok(m.highQualityShare > 0.97 && m.reverseKL < 0.02, JSON.stringify(m));
    // Two cities, all samples from city B (28 °C): one of two modes, KL = log 2.
    const cities = twoCityTemperatures();
    const onlyB = modeCollapseMetrics(new Float32Array([27, 28, 29, 30]), cities);
    assert.equal(onlyB.modesCaptured, 1);
    assert.ok(Math.abs(onlyB.reverseKL - Math.log(2)) < 1e-12);
    assert.deepEqual(onlyB.countsPerMode, [0, 4]);
  });

  it("reverseKLToUniform: uniform 0, point mass log K, empty NaN", () => {
    assert.equal(reverseKLToUniform([5, 5, 5, 5]), 0);
    assert.ok(Math.abs(reverseKLToUniform([0, 0, 9, 0, 0]) - Math.log(5)) < 1e-12);
    assert.ok(Number.isNaN(reverseKLToUniform([0, 0])));
  });

  it("starvedModes: below a tenth of the fair share (total / K), by hand", () => {
    // 100 sharp samples over 4 modes: fair share 25, a tenth of it 2.5.
    assert.deepEqual(starvedModes([60, 2, 35, 3]), [1]);
    assert.deepEqual(starvedModes([60, 2, 35, 3], 0.2), [1, 3]); // below 5
    assert.deepEqual(starvedModes([25, 25, 25, 25]), []);
    assert.deepEqual(starvedModes([0, 0, 10, 0]), [0, 1, 3]);
    assert.deepEqual(starvedModes([0, 0]), [], "no sharp sample: nothing is below a share of nothing");
    assert.throws(() => starvedModes([1, 2], 0), /fraction must lie in \(0, 1\], got 0/);
  });

  it("rejects samples whose dimension does not match the modes", () => {
    assert.throws(() => modeCollapseMetrics([[1, 2, 3]], ring), /3 coordinates, the modes have 2/);
    assert.throws(() => modeCollapseMetrics(new Float32Array(3), ring), /rows of 2/);
    assert.throws(() => modeCollapseMetrics(tf.zeros([4, 3]), ring), /\[n, 2\] tensor/);
    assert.throws(() => modeCollapseMetrics([], ring), /no samples/);
  });
});
