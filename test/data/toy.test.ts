import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { seed, restoreMathRandom, makeRandom } from "../../lib/engine/seed";
import { ringOfGaussians, gridOfGaussians, twoCityTemperatures, sampleToyTensor, ToyDataset, eightGaussians, twentyFiveGaussians, swissRoll } from "../../lib/data/toy";

/** Assigns each sample to its nearest mode; returns per-mode counts and the pooled per-coordinate residual std. */
function statistics(dataset: ToyDataset, samples: Float32Array) {
  const { dim, modes } = dataset;
  const n = samples.length / dim;
  const counts = new Array<number>(modes.length).fill(0);
  const residualSum = new Array<number>(dim).fill(0);
  let squares = 0;
  for (let i = 0; i < n; i++) {
    let best = 0, bestD = Infinity;
    modes.forEach((m, k) => {
      let d = 0;
      for (let j = 0; j < dim; j++) d += (samples[i * dim + j] - m[j]) ** 2;
      if (d < bestD) { bestD = d; best = k; }
    });
    counts[best]++;
    for (let j = 0; j < dim; j++) residualSum[j] += samples[i * dim + j] - modes[best][j];
    squares += bestD;
  }
  return { n, counts, meanResidual: residualSum.map((s) => s / n), std: Math.sqrt(squares / (n * dim)) };
}

describe("data/toy", () => {
  afterEach(() => restoreMathRandom());

  it("the ring has 8 distinct modes on the unit circle, 45° apart (PacGAN: radius 1, σ = 0.01)", () => {
    const ring = ringOfGaussians();
    assert.equal(ring.modes.length, 8);
    assert.equal(ring.std, 0.01);
    ring.modes.forEach((m, k) => {
      assert.ok(Math.abs(Math.hypot(m[0], m[1]) - 1) < 1e-12);
      const angle = Math.atan2(m[1], m[0]);
      const expected = (2 * Math.PI * k) / 8;
      assert.ok(Math.abs(Math.cos(angle - expected) - 1) < 1e-12, `mode ${k} at ${angle}`);
    });
    // Neighbouring modes are 2·sin(π/8) ≈ 0.765 apart: no two coincide.
    for (let a = 0; a < 8; a++) for (let b = a + 1; b < 8; b++) {
      assert.ok(Math.hypot(ring.modes[a][0] - ring.modes[b][0], ring.modes[a][1] - ring.modes[b][1]) > 0.76);
    }
  });

  it("the grid has 25 modes at {−4, −2, 0, 2, 4}², σ = 0.05", () => {
    const grid = gridOfGaussians();
    assert.equal(grid.std, 0.05);
    const keys = grid.modes.map((m) => m.join(",")).sort();
    const expected: string[] = [];
    for (const x of [-4, -2, 0, 2, 4]) for (const y of [-4, -2, 0, 2, 4]) expected.push(`${x},${y}`);
    assert.deepEqual(keys, expected.sort());
  });

  // n samples: each mode's count is Binomial(n, 1/K), checked to 5 standard deviations. σ is estimated from
  // n·dim squared residuals: relative standard error 1/sqrt(2·n·dim) ≤ 0.5% here, checked to 4%.
  const cases: Array<[string, ToyDataset, number]> = [
    ["ring of 8", ringOfGaussians(), 40000],
    ["grid of 25", gridOfGaussians(), 50000],
    ["two cities", twoCityTemperatures(), 20000],
  ];
  for (const [name, dataset, n] of cases) {
    it(`${name}: modes equally likely, samples centred on them with σ = ${dataset.std}`, () => {
      const samples = dataset.sample(n, makeRandom(11));
      assert.equal(samples.length, n * dataset.dim);
      const s = statistics(dataset, samples);
      const K = dataset.modes.length, p = 1 / K;
      const sd = Math.sqrt(n * p * (1 - p));
      s.counts.forEach((c, k) => assert.ok(Math.abs(c - n * p) < 5 * sd, `mode ${k}: ${c} samples, expected ${n * p} ± ${5 * sd}`));
      assert.ok(Math.abs(s.std / dataset.std - 1) < 0.04, `std ${s.std} vs ${dataset.std}`);
      // Mean residual: standard error σ/sqrt(n); 5 of them.
      s.meanResidual.forEach((r) => assert.ok(Math.abs(r) < (5 * dataset.std) / Math.sqrt(n), `mean residual ${r}`));
    });
  }

  it("two cities: overall mean 16.5 °C and std sqrt(3² + 11.5²) ≈ 11.885 °C", () => {
    const xs = twoCityTemperatures().sample(40000, makeRandom(5));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    // Standard errors: 11.885/200 ≈ 0.06 for the mean; ≈ 0.04 for the std (bimodal, near-Bernoulli spread).
    assert.ok(Math.abs(mean - 16.5) < 0.3, `mean ${mean}`);
    assert.ok(Math.abs(std - Math.sqrt(9 + 11.5 ** 2)) < 0.2, `std ${std}`);
  });

  it("the same seed gives the same samples; another seed different ones", () => {
    const ring = ringOfGaussians();
    seed(3);
    const a = ring.sample(100);
    seed(3);
    const b = ring.sample(100);
    seed(4);
    const c = ring.sample(100);
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.notDeepEqual(Array.from(a), Array.from(c));
    assert.deepEqual(Array.from(ring.sample(10, makeRandom(9))), Array.from(ring.sample(10, makeRandom(9))));
  });

  it("sampleToyTensor gives an [n, dim] tensor of the same numbers", () => {
    const grid = gridOfGaussians();
    const t = sampleToyTensor(grid, 7, makeRandom(1));
    assert.deepEqual(t.shape, [7, 2]);
    assert.deepEqual(Array.from(t.dataSync()), Array.from(grid.sample(7, makeRandom(1))));
    t.dispose();
    assert.deepEqual(sampleToyTensor(twoCityTemperatures(), 3, makeRandom(1)).shape, [3, 1]);
  });

  it("Gulrajani et al.'s toy sets: 8 Gaussians (radius 2/1.414), 25 Gaussians (spacing 2/2.828), the Swiss roll", () => {
    const eight = eightGaussians(), grid = twentyFiveGaussians();
    assert.equal(eight.modes.length, 8);
    for (const m of eight.modes) assert.ok(Math.abs(Math.hypot(m[0], m[1]) - 2 / 1.414) < 1e-12);
    assert.ok(Math.abs(eight.std - 0.02 / 1.414) < 1e-15);
    assert.equal(grid.modes.length, 25);
    const xs = [...new Set(grid.modes.map((m) => m[0].toFixed(9)))].map(Number).sort((a, b) => a - b);
    assert.deepEqual(xs.map((v) => +(v * 2.828).toFixed(6)), [-4, -2, 0, 2, 4]);
    // The Swiss roll: t ∈ [1.5π, 4.5π], so the radius |(x, y)|·7.5 lies in [1.5π, 4.5π] up to the noise.
    const roll = swissRoll({ noise: 0 });
    const v = roll.sample(2000, makeRandom(3));
    for (let i = 0; i < 2000; i++) {
      const r = 7.5 * Math.hypot(v[2 * i], v[2 * i + 1]);
      assert.ok(r >= 1.5 * Math.PI - 1e-4 && r <= 4.5 * Math.PI + 1e-4, `radius ${r}`);
    }
    assert.equal(roll.modes.length, 0);
    const noisy = swissRoll().sample(3, makeRandom(3));
    assert.notDeepEqual(Array.from(noisy), Array.from(v.slice(0, 6)));
  });

  it("rejects bad arguments with a message", () => {
    assert.throws(() => ringOfGaussians().sample(-1), /n must be an integer/);
    assert.throws(() => ringOfGaussians({ std: 0 }), /std must be > 0/);
    assert.throws(() => gridOfGaussians({ side: 0 }), /side must be a positive integer/);
  });
});
