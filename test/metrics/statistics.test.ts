import { strict as assert } from "assert";
import { makeRandom } from "../../lib/engine/seed";
import { mean, meanAndStandardError, median, pearsonCorrelation, rankCorrelation, ranks, wasserstein1DFromSamples } from "../../lib/metrics/statistics";

describe("metrics/statistics", () => {
  it("mean and median by hand: odd and even counts, unsorted input left as it was, NaN when empty", () => {
    assert.equal(mean([1, 2, 3, 10]), 4);
    assert.equal(mean(Float32Array.from([0.5, 1.5])), 1);
    assert.ok(Number.isNaN(mean([])));
    const values = [9, 1, 4];
    assert.equal(median(values), 4);
    assert.deepEqual(values, [9, 1, 4], "the input is not sorted in place");
    assert.equal(median([10, 1, 4, 3]), 3.5); // the two middle values, 3 and 4
    assert.equal(median([-2]), -2);
    assert.ok(Number.isNaN(median([])));
  });

  it("meanAndStandardError: mean and sd/√n by hand (n − 1 in the sd); one value has no standard error", () => {
    // [1, 2, 3, 6]: mean 3, sample variance (4 + 1 + 0 + 9) / 3 = 14/3, se = √(14/3) / 2
    const r = meanAndStandardError([1, 2, 3, 6]);
    assert.equal(r.mean, 3);
    assert.ok(Math.abs(r.standardError - Math.sqrt(14 / 3) / 2) < 1e-15);
    assert.equal(r.n, 4);
    const one = meanAndStandardError([2.5]);
    assert.equal(one.mean, 2.5);
    assert.ok(Number.isNaN(one.standardError));
    assert.throws(() => meanAndStandardError([]), /no values/);
    assert.throws(() => meanAndStandardError([1, NaN]), /every value must be finite, got NaN; leave out runs/);
  });

  it("ranks share ties; Spearman's ρ is 1 for any increasing map, −1 for a decreasing one, by hand otherwise", () => {
    assert.deepEqual(Array.from(ranks([10, 30, 20, 30])), [0, 2.5, 1, 2.5]);
    const x = [1, 2, 3, 4, 5];
    assert.equal(rankCorrelation(x, x.map((v) => Math.exp(v))), 1);
    assert.equal(rankCorrelation(x, x.map((v) => -v * v)), -1);
    // d = rank differences [0, 0, 1, −1, 0]: ρ = 1 − 6Σd²/(n(n² − 1)) = 1 − 12/120 = 0.9 (no ties).
    assert.ok(Math.abs(rankCorrelation(x, [1, 2, 4, 3, 5]) - 0.9) < 1e-12);
    assert.ok(Math.abs(pearsonCorrelation([1, 2, 3], [2, 4, 7]) - 0.9933992677987828) < 1e-12);
    assert.throws(() => rankCorrelation([1], [2]), /length ≥ 2/);
  });

  it("W₁ from samples: a shift by d gives d; N(0, 1) against N(0, 2²) gives √(2/π) ≈ 0.798", () => {
    const rng = makeRandom(4);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const a = Array.from({ length: 20000 }, normal);
    assert.ok(Math.abs(wasserstein1DFromSamples(a, a.map((v) => v + 1.5)) - 1.5) < 1e-12);
    const b = Array.from({ length: 20000 }, () => 2 * normal());
    const w = wasserstein1DFromSamples(a, b);
    assert.ok(Math.abs(w - Math.sqrt(2 / Math.PI)) < 0.03, `${w}`);
    assert.throws(() => wasserstein1DFromSamples([1, 2], [1]), /one size/);
  });
});
