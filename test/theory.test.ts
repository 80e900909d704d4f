import { strict as assert } from "assert";
import {
  linspace, trapezoid, gaussianDensity, mixtureDensity, klDivergence, jsDivergence,
  optimalDiscriminator, valueFunction, optimalValue, generatorCostCurves, wassersteinDistance1D,
} from "../lib/theory";
import * as theory from "../lib/theory";

const LOG4 = Math.log(4);
// [−15, 15] with 6001 points (h = 0.005): every density below has < 1e-12 mass outside, and the trapezoid
// error for Gaussians with σ ≥ 0.5 is far below 1e-8.
const xs = linspace(-15, 15, 6001);
const pData = mixtureDensity(xs, [{ mean: -2, std: 1 }, { mean: 3, std: 0.5 }]);

const generators: Record<string, Float64Array> = {
  "equal to p_data": pData,
  "N(0, 1)": gaussianDensity(xs, 0, 1),
  "N(3, 0.5²), one of the two modes": gaussianDensity(xs, 3, 0.5),
  "N(1, 2²)": gaussianDensity(xs, 1, 2),
  "far away N(10, 0.7²)": gaussianDensity(xs, 10, 0.7),
};

describe("theory", () => {
  it("linspace and trapezoid integrate a Gaussian to 1 and x² to its closed form", () => {
    assert.equal(xs[0], -15);
    assert.equal(xs[6000], 15);
    assert.ok(Math.abs(trapezoid(gaussianDensity(xs, 0.3, 0.8), xs) - 1) < 1e-10);
    // ∫_0^1 x² dx = 1/3; the trapezoid rule's error is h²/6·(f'(1) − f'(0))/2 = h²/6 for h = 1/1000.
    const u = linspace(0, 1, 1001);
    assert.ok(Math.abs(trapezoid(u.map((x) => x * x), u) - (1 / 3 + 1e-6 / 6)) < 1e-12);
    assert.ok(Math.abs(trapezoid(pData, xs) - 1) < 1e-10, "mixture integrates to 1");
  });

  for (const [name, pG] of Object.entries(generators)) {
    it(`V(D*, G) = −log 4 + 2·JSD and D* beats other discriminators: p_g ${name}`, () => {
      const jsd = jsDivergence(xs, pData, pG);
      const vStar = optimalValue(xs, pData, pG);
      assert.ok(Math.abs(vStar - (-LOG4 + 2 * jsd)) < 1e-4, `V(D*) ${vStar} vs −log4 + 2JSD ${-LOG4 + 2 * jsd}`);
      assert.ok(jsd >= -1e-12 && jsd <= Math.log(2) + 1e-9, `JSD ${jsd} in [0, log 2]`);
      const dStar = optimalDiscriminator(pData, pG);
      const others: Record<string, ArrayLike<number>> = {
        "D = 1/2": xs.map(() => 0.5),
        "D = σ(x)": xs.map((x) => 1 / (1 + Math.exp(-x))),
        "D* nudged up by 0.05": dStar.map((d) => Math.min(1, d + 0.05)),
        "D* shrunk toward 1/2": dStar.map((d) => 0.5 + 0.8 * (d - 0.5)),
      };
      for (const [other, d] of Object.entries(others)) {
        const v = valueFunction(xs, pData, pG, d);
        assert.ok(v <= vStar + 1e-9, `${other}: V = ${v} exceeds V(D*) = ${vStar}`);
      }
    });
  }

  it("JSD = 0 and V(D*, G) = −log 4 exactly when p_g = p_data; otherwise JSD > 0", () => {
    assert.ok(Math.abs(jsDivergence(xs, pData, pData)) < 1e-12);
    assert.ok(Math.abs(optimalValue(xs, pData, pData) + LOG4) < 1e-4);
    assert.ok(optimalDiscriminator(pData, pData).every((d) => d === 0.5));
    const pG = generators["N(0, 1)"];
    assert.ok(jsDivergence(xs, pData, pG) > 0.01);
    // optimalValue (log space) agrees with V evaluated at the D* array where nothing underflows.
    assert.ok(Math.abs(valueFunction(xs, pData, pG, optimalDiscriminator(pData, pG)) - optimalValue(xs, pData, pG)) < 1e-10);
  });

  it("JSD of disjoint supports is log 2, and V(D*, G) = 0 there", () => {
    // Two boxes of height 1 on [0, 1] and [2, 3] on a grid that puts their edges on grid points.
    const g = linspace(-1, 4, 5001);
    const p = g.map((x) => (x >= 0 && x <= 1 ? 1 : 0));
    const q = g.map((x) => (x >= 2 && x <= 3 ? 1 : 0));
    const mass = trapezoid(p, g);
    // The trapezoid rule sees each box with half-weight edges, so compare against its own mass.
    assert.ok(Math.abs(jsDivergence(g, p, q) - Math.log(2) * mass) < 1e-9);
    assert.ok(Math.abs(optimalValue(g, p, q)) < 1e-12);
    assert.equal(klDivergence(g, p, q), Infinity);
  });

  it("KL between Gaussians matches the closed form; KL(p ‖ p) = 0", () => {
    // KL(N(μ1, s1²) ‖ N(μ2, s2²)) = log(s2/s1) + (s1² + (μ1 − μ2)²)/(2 s2²) − 1/2
    const [m1, s1, m2, s2] = [0.5, 1.2, -1, 2];
    const closed = Math.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5; // ≈ 0.582
    const numeric = klDivergence(xs, gaussianDensity(xs, m1, s1), gaussianDensity(xs, m2, s2));
    assert.ok(Math.abs(numeric - closed) < 1e-6, `${numeric} vs ${closed}`);
    assert.equal(klDivergence(xs, pData, pData), 0);
  });

  it("W₁ between 1-D densities: |μ₁ − μ₂| for equal-width Gaussians, linear in the distance where JSD saturates at log 2", () => {
    for (const shift of [0, 0.5, 3, 8]) {
      const w = wassersteinDistance1D(xs, gaussianDensity(xs, -1, 0.5), gaussianDensity(xs, -1 + shift, 0.5));
      assert.ok(Math.abs(w - shift) < 1e-6, `shift ${shift}: W₁ ${w}`);
    }
    // Different widths: W₁(N(0, 1), N(0, 2²)) = E|X|·(2 − 1) = √(2/π) (the quantile coupling X ↦ 2X).
    const w = wassersteinDistance1D(xs, gaussianDensity(xs, 0, 1), gaussianDensity(xs, 0, 2));
    assert.ok(Math.abs(w - Math.sqrt(2 / Math.PI)) < 1e-5, `${w}`); // the grid's quadrature error is ~2e-6 here
    // Narrow bumps 6 and 9 apart: JSD is log 2 for both (disjoint supports), W₁ tells them apart.
    const narrow = (m: number) => gaussianDensity(xs, m, 0.05);
    const [j6, j9] = [6, 9].map((d) => jsDivergence(xs, narrow(-3), narrow(-3 + d)));
    assert.ok(Math.abs(j6 - Math.log(2)) < 1e-9 && Math.abs(j9 - Math.log(2)) < 1e-9);
    assert.ok(Math.abs(wassersteinDistance1D(xs, narrow(-3), narrow(3)) - 6) < 1e-6);
    assert.ok(Math.abs(wassersteinDistance1D(xs, narrow(-3), narrow(6)) - 9) < 1e-6);
    assert.throws(() => wassersteinDistance1D(xs, new Float64Array(xs.length), pData), /positive mass/);
  });

  it("rejects arrays that do not match the grid and D outside [0, 1]", () => {
    assert.throws(() => jsDivergence(xs, pData, new Float64Array(3)), /grid's length 6001, got 3/);
    assert.throws(() => valueFunction(xs, pData, pData, xs.map(() => 1.5)), /probability in \[0, 1\]/);
    assert.throws(() => gaussianDensity(xs, 0, 0), /std must be > 0/);
  });

  it("generator cost curves match the formulas and finite differences", () => {
    const c = generatorCostCurves([0.2, 0.5, 0.8]);
    // At D = 1/2: log(1/2) = −0.693147, −log(1/2) = 0.693147, −½·1 = −0.5; slopes −2, −2, −2.
    assert.ok(Math.abs(c.minimax[1] - Math.log(0.5)) < 1e-15);
    assert.ok(Math.abs(c.nonSaturating[1] + Math.log(0.5)) < 1e-15);
    assert.equal(c.maximumLikelihood[1], -0.5);
    assert.deepEqual([c.minimaxGradient[1], c.nonSaturatingGradient[1], c.maximumLikelihoodGradient[1]], [-2, -2, -2]);
    const h = 1e-6;
    for (const d of [0.2, 0.8]) {
      const plus = generatorCostCurves([d + h]), minus = generatorCostCurves([d - h]), at = generatorCostCurves([d]);
      for (const key of ["minimax", "nonSaturating", "maximumLikelihood"] as const) {
        const fd = (plus[key][0] - minus[key][0]) / (2 * h);
        const analytic = at[`${key}Gradient` as const][0];
        assert.ok(Math.abs(fd - analytic) < 1e-6 * (1 + Math.abs(analytic)), `${key} at ${d}: ${fd} vs ${analytic}`);
      }
    }
    assert.throws(() => generatorCostCurves([0]), /\(0, 1\)/);
  });
});

describe("theory: the normal CDF and quantile maps", () => {
  it("normalCdf matches tabulated Φ to 2e-7, and inverseCdf inverts it", () => {
    // Φ(0) = 0.5, Φ(1) = 0.8413447461, Φ(−1.96) = 0.0249978952, Φ(3) = 0.9986501020 (standard tables).
    for (const [x, want] of [[0, 0.5], [1, 0.8413447461], [-1.96, 0.0249978952], [3, 0.998650102]]) {
      assert.ok(Math.abs(theory.normalCdf(x) - want) < 2e-7, `Φ(${x}) = ${theory.normalCdf(x)} vs ${want}`);
    }
    for (const p of [0.01, 0.3, 0.5, 0.975]) {
      assert.ok(Math.abs(theory.normalCdf(theory.inverseCdf(theory.normalCdf, p)) - p) < 1e-9, `F(F⁻¹(${p}))`);
    }
    assert.ok(Math.abs(theory.inverseCdf(theory.normalCdf, 0.975) - 1.959964) < 1e-4);
    assert.throws(() => theory.inverseCdf(theory.normalCdf, 1.5), /p must be in \[0, 1\]/);
  });
});

describe("theory: cumulativeTrapezoid", () => {
  it("is exact for a linear integrand, ends at the trapezoid integral, and turns N(0, 1) into Φ", () => {
    const grid = linspace(0, 1, 11);
    const ramp = Array.from(grid, (x) => 2 * x);
    const c = theory.cumulativeTrapezoid(ramp, grid);
    c.forEach((v, i) => assert.ok(Math.abs(v - grid[i] ** 2) < 1e-15, `∫₀^x 2t dt at ${grid[i]}: ${v}`));
    assert.equal(c[c.length - 1], trapezoid(ramp, grid));
    const wide = linspace(-8, 8, 3201);
    const cdf = theory.cumulativeTrapezoid(gaussianDensity(wide, 0, 1), wide);
    for (const i of [800, 1400, 1600, 2000]) assert.ok(Math.abs(cdf[i] - theory.normalCdf(wide[i])) < 1e-5, `Φ(${wide[i]})`);
    assert.throws(() => theory.cumulativeTrapezoid([1, 2], grid), /grid's length 11/);
  });
});


describe("theory: fitGaussianByKl (mode covering vs mode seeking)", () => {
  // Two modes of unequal weight, far apart relative to their width: the textbook case (Bishop 2006, fig. 10.3).
  const grid = linspace(-8, 8, 1601);
  const components = [{ mean: -2, std: 0.5, weight: 0.6 }, { mean: 2, std: 0.5, weight: 0.4 }];
  const p = mixtureDensity(grid, components);
  // The mixture's moments in closed form: E x = Σ w μ, Var x = Σ w (σ² + μ²) − (E x)².
  const mean = 0.6 * -2 + 0.4 * 2;
  const std = Math.sqrt(0.6 * (0.25 + 4) + 0.4 * (0.25 + 4) - mean * mean);

  it("forward KL(p ‖ q) is minimised by the Gaussian with p's mean and variance (moment matching)", () => {
    const fit = theory.fitGaussianByKl(grid, p, "forward");
    assert.ok(Math.abs(fit.mean - mean) < 2e-3, `mean ${fit.mean} vs ${mean}`);
    assert.ok(Math.abs(fit.std - std) < 2e-3, `std ${fit.std} vs ${std}`);
    // The divergence at the fit is the one at the closed-form optimum, never below it (it is the minimum), and
    // above it by no more than the search's last step allows.
    const direct = klDivergence(grid, p, gaussianDensity(grid, mean, std));
    assert.ok(fit.divergence >= direct - 1e-9 && fit.divergence < direct + 1e-5, `${fit.divergence} vs ${direct}`);
  });

  it("reverse KL(q ‖ p) locks onto the heavier mode, about as narrow as it, at KL ≈ log(1/0.6)", () => {
    const fit = theory.fitGaussianByKl(grid, p, "reverse");
    assert.ok(Math.abs(fit.mean - -2) < 0.02, `mean ${fit.mean}`);
    assert.ok(Math.abs(fit.std - 0.5) < 0.02, `std ${fit.std}`);
    // q ≈ the mode's own Gaussian, where p ≈ 0.6·q: KL(q ‖ p) ≈ ∫ q log(q / 0.6q) = −log 0.6.
    assert.ok(Math.abs(fit.divergence - -Math.log(0.6)) < 1e-3, `${fit.divergence} vs ${-Math.log(0.6)}`);
    // And it is a better reverse fit than the moment-matched Gaussian, which puts mass between the modes.
    assert.ok(fit.divergence < klDivergence(grid, gaussianDensity(grid, mean, std), p) - 0.5);
  });

  it("rejects an unknown direction and arrays off the grid", () => {
    assert.throws(() => theory.fitGaussianByKl(grid, p, "sideways" as theory.KlDirection), /direction must be "forward" or "reverse"/);
    assert.throws(() => theory.fitGaussianByKl(grid, [1, 2], "forward"), /grid's length 1601/);
  });
});

describe("theory: kernelDensity", () => {
  const grid = linspace(-3, 5, 401);
  it("of many N(1, 0.5²) samples approaches that density and integrates to 1", () => {
    // Normal samples by inverting the CDF at evenly spaced probabilities: no randomness in the test.
    const n = 4000;
    const samples = Array.from({ length: n }, (_, i) => theory.inverseCdf((x) => theory.normalCdf((x - 1) / 0.5), (i + 0.5) / n));
    const estimate = theory.kernelDensity(samples, grid);
    const exact = gaussianDensity(grid, 1, 0.5);
    const worst = Math.max(...Array.from(estimate, (v, i) => Math.abs(v - exact[i])));
    // Silverman's h = 1.06·0.5·4000^(−1/5) ≈ 0.101 widens the estimate to σ ≈ √(0.25 + 0.0102): peak 0.782 vs 0.798.
    assert.ok(worst < 0.025, `max |estimate − density| = ${worst}`);
    assert.ok(Math.abs(trapezoid(estimate, grid) - 1) < 1e-6);
  });
  it("with a given bandwidth is the average of Gaussians at the samples; identical samples get the minimum bandwidth", () => {
    const estimate = theory.kernelDensity([0, 2], grid, { bandwidth: 0.3 });
    const byHand = gaussianDensity(grid, 0, 0.3).map((v, i) => (v + gaussianDensity(grid, 2, 0.3)[i]) / 2);
    assert.ok(Math.max(...Array.from(estimate, (v, i) => Math.abs(v - byHand[i]))) < 1e-12);
    const point = theory.kernelDensity([1, 1, 1], grid);
    assert.ok(Math.abs(Math.max(...point) - 1 / (0.02 * Math.sqrt(2 * Math.PI))) < 1e-9);
    assert.throws(() => theory.kernelDensity([], grid), /at least one sample/);
  });
});
