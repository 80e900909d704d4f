/**
 * The GAN objective on a 1-D grid, for checking the theory with numbers (lesson 01-objective).
 *
 * Goodfellow et al. 2014, §4: for a fixed generator the value function
 *   V(D, G) = ∫ p_data(x)·log D(x) + p_g(x)·log(1 − D(x)) dx
 * is maximised by D*(x) = p_data(x) / (p_data(x) + p_g(x)), and
 *   V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g)  (Theorem 1),
 * whose minimum −log 4 is reached exactly when p_g = p_data.
 *
 * Quadrature: every integral here is the trapezoid rule on the caller's grid (any increasing, not necessarily
 * uniform, abscissae). Densities are plain arrays on that grid; 0·log 0 is taken as 0 (the limit), so densities
 * with disjoint supports are fine; KL(p ‖ q) is +Infinity where p > 0 and q = 0.
 */

export type GridArray = ArrayLike<number>;

/** n evenly spaced points from `start` to `stop` inclusive (numpy's linspace). */
export function linspace(start: number, stop: number, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 2) throw new Error(`tsgan.theory.linspace: n must be an integer ≥ 2, got ${n}.`);
  const xs = new Float64Array(n);
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) xs[i] = start + i * step;
  xs[n - 1] = stop;
  return xs;
}

function checkSameLength(where: string, xs: GridArray, ...ys: GridArray[]): void {
  for (const y of ys) {
    if (y.length !== xs.length) {
      throw new Error(`tsgan.theory.${where}: every array must have the grid's length ${xs.length}, got ${y.length}.`);
    }
  }
  if (xs.length < 2) throw new Error(`tsgan.theory.${where}: the grid needs at least 2 points, got ${xs.length}.`);
}

/** ∫ y dx by the trapezoid rule on the abscissae xs. */
export function trapezoid(ys: GridArray, xs: GridArray): number {
  checkSameLength("trapezoid", xs, ys);
  let total = 0;
  for (let i = 1; i < xs.length; i++) total += 0.5 * (xs[i] - xs[i - 1]) * (ys[i] + ys[i - 1]);
  return total;
}

/** The normal density N(mean, std²) at each grid point. */
export function gaussianDensity(xs: GridArray, mean: number, std: number): Float64Array {
  if (!(std > 0)) throw new Error(`tsgan.theory.gaussianDensity: std must be > 0, got ${std}.`);
  const out = new Float64Array(xs.length);
  const norm = 1 / (std * Math.sqrt(2 * Math.PI));
  for (let i = 0; i < xs.length; i++) {
    const z = (xs[i] - mean) / std;
    out[i] = norm * Math.exp(-0.5 * z * z);
  }
  return out;
}

/**
 * The standard normal CDF Φ(x) = ½(1 + erf(x/√2)), with erf from Abramowitz & Stegun 7.1.26 (absolute error
 * below 1.5e-7): enough to place a 1-D transport map, which is what the lessons use it for.
 */
export function normalCdf(x: number): number {
  const t = Math.abs(x) / Math.SQRT2;
  const k = 1 / (1 + 0.3275911 * t);
  const erf = 1 - ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k * Math.exp(-t * t);
  return 0.5 * (1 + (x >= 0 ? erf : -erf));
}

/**
 * The inverse of a continuous increasing CDF on [lo, hi] at probability p, by bisection (60 halvings: the
 * interval's width times 2⁻⁶⁰). The optimal 1-D generator from a uniform code is z ↦ F⁻¹(z) (the quantile map).
 */
export function inverseCdf(cdf: (x: number) => number, p: number, lo = -10, hi = 10): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`tsgan.theory.inverseCdf: p must be in [0, 1], got ${p}.`);
  if (!(lo < hi)) throw new Error(`tsgan.theory.inverseCdf: need lo < hi, got ${lo} and ${hi}.`);
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface GaussianComponent {
  mean: number;
  std: number;
  /** Mixture weight; the weights are normalised to sum to 1. Default 1. */
  weight?: number;
}

/** The density of a mixture of 1-D Gaussians at each grid point (weights normalised to sum to 1). */
export function mixtureDensity(xs: GridArray, components: GaussianComponent[]): Float64Array {
  if (components.length === 0) throw new Error("tsgan.theory.mixtureDensity: give at least one component.");
  const totalWeight = components.reduce((s, c) => s + (c.weight ?? 1), 0);
  if (!(totalWeight > 0)) throw new Error("tsgan.theory.mixtureDensity: the weights must sum to a positive number.");
  const out = new Float64Array(xs.length);
  for (const c of components) {
    const g = gaussianDensity(xs, c.mean, c.std);
    const w = (c.weight ?? 1) / totalWeight;
    for (let i = 0; i < out.length; i++) out[i] += w * g[i];
  }
  return out;
}

/** p·log(p/q) with the limits 0·log(0/q) = 0 and p·log(p/0) = +∞. */
function klTerm(p: number, q: number): number {
  if (p === 0) return 0;
  if (q === 0) return Infinity;
  return p * (Math.log(p) - Math.log(q)); // not log(p/q): p/q can overflow when q is tiny
}

/** KL(p ‖ q) = ∫ p·log(p/q) dx on the grid (nats). +Infinity when p has mass where q has none. */
export function klDivergence(xs: GridArray, p: GridArray, q: GridArray): number {
  checkSameLength("klDivergence", xs, p, q);
  const integrand = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) integrand[i] = klTerm(p[i], q[i]);
  return trapezoid(integrand, xs);
}

/** JSD(p ‖ q) = ½·KL(p ‖ m) + ½·KL(q ‖ m), m = (p + q)/2 (nats; between 0 and log 2). */
export function jsDivergence(xs: GridArray, p: GridArray, q: GridArray): number {
  checkSameLength("jsDivergence", xs, p, q);
  const integrand = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const m = 0.5 * (p[i] + q[i]);
    integrand[i] = 0.5 * klTerm(p[i], m) + 0.5 * klTerm(q[i], m);
  }
  return trapezoid(integrand, xs);
}

/**
 * D*(x) = p_data(x) / (p_data(x) + p_g(x)), Goodfellow et al. 2014, Proposition 1. Where both densities are 0
 * any D is optimal; 0.5 is returned there (it does not enter V).
 */
export function optimalDiscriminator(pData: GridArray, pG: GridArray): Float64Array {
  if (pData.length !== pG.length) {
    throw new Error(`tsgan.theory.optimalDiscriminator: p_data has ${pData.length} points but p_g has ${pG.length}.`);
  }
  const d = new Float64Array(pData.length);
  for (let i = 0; i < d.length; i++) {
    const total = pData[i] + pG[i];
    d[i] = total > 0 ? pData[i] / total : 0.5;
  }
  return d;
}

/**
 * V(D, G) = ∫ p_data·log D + p_g·log(1 − D) dx (Goodfellow et al. 2014, eq. 1, written for densities on a grid).
 * `d` is the discriminator's probability D(x) ∈ [0, 1] at each grid point. Terms with zero density count 0.
 * A D of exactly 0 where p_data > 0 (or 1 where p_g > 0) gives −Infinity, which is the true value of V there:
 * the discriminator is infinitely confident and wrong. Use `optimalValue` for V(D*, G), which avoids that.
 */
export function valueFunction(xs: GridArray, pData: GridArray, pG: GridArray, d: GridArray): number {
  checkSameLength("valueFunction", xs, pData, pG, d);
  const integrand = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    if (!(d[i] >= 0 && d[i] <= 1)) {
      throw new Error(`tsgan.theory.valueFunction: D(x) must be a probability in [0, 1], got ${d[i]} at x = ${xs[i]}.`);
    }
    const onData = pData[i] === 0 ? 0 : pData[i] * Math.log(d[i]);
    const onGenerated = pG[i] === 0 ? 0 : pG[i] * Math.log(1 - d[i]);
    integrand[i] = onData + onGenerated;
  }
  return trapezoid(integrand, xs);
}

/**
 * V(D*, G): the value of the game when the discriminator is optimal; equals −log 4 + 2·JSD(p_data ‖ p_g).
 * Evaluated as p·(log p − log(p + q)) + q·(log q − log(p + q)) rather than through D*, because D* = p/(p + q)
 * underflows to 0 in far tails where p is tiny but not 0, and 0 < p·log 0 would give −∞.
 */
export function optimalValue(xs: GridArray, pData: GridArray, pG: GridArray): number {
  checkSameLength("optimalValue", xs, pData, pG);
  const integrand = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const p = pData[i], q = pG[i];
    if (p + q === 0) continue;
    const logTotal = Math.log(p + q);
    integrand[i] = (p === 0 ? 0 : p * (Math.log(p) - logTotal)) + (q === 0 ? 0 : q * (Math.log(q) - logTotal));
  }
  return trapezoid(integrand, xs);
}

/** The three generator costs of Goodfellow 2016 (NIPS tutorial §3.2, fig. 16) and their derivatives. */
export interface GeneratorCostCurves {
  /** D(G(z)) at which the curves are evaluated. */
  d: Float64Array;
  /** Minimax: J = log(1 − D); dJ/dD = −1/(1 − D). */
  minimax: Float64Array;
  minimaxGradient: Float64Array;
  /** Non-saturating: J = −log D; dJ/dD = −1/D. */
  nonSaturating: Float64Array;
  nonSaturatingGradient: Float64Array;
  /** Maximum likelihood: J = −½·exp(σ⁻¹(D)) = −½·D/(1 − D); dJ/dD = −½/(1 − D)². */
  maximumLikelihood: Float64Array;
  maximumLikelihoodGradient: Float64Array;
}

/**
 * Each generator cost per sample, and its derivative, as a function of D(G(z)) ∈ (0, 1): the curves of the
 * chapter's figures 6.6 and 6.7. The closed forms are the reference the loss tests check tf.grad against.
 */
export function generatorCostCurves(d: GridArray): GeneratorCostCurves {
  const n = d.length;
  const out: GeneratorCostCurves = {
    d: Float64Array.from(d),
    minimax: new Float64Array(n),
    minimaxGradient: new Float64Array(n),
    nonSaturating: new Float64Array(n),
    nonSaturatingGradient: new Float64Array(n),
    maximumLikelihood: new Float64Array(n),
    maximumLikelihoodGradient: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const x = d[i];
    if (!(x > 0 && x < 1)) throw new Error(`tsgan.theory.generatorCostCurves: D(G(z)) must lie in (0, 1), got ${x}.`);
    out.minimax[i] = Math.log1p(-x);
    out.minimaxGradient[i] = -1 / (1 - x);
    out.nonSaturating[i] = -Math.log(x);
    out.nonSaturatingGradient[i] = -1 / x;
    out.maximumLikelihood[i] = -0.5 * (x / (1 - x));
    out.maximumLikelihoodGradient[i] = -0.5 / ((1 - x) * (1 - x));
  }
  return out;
}

/**
 * The running trapezoid integral ∫_{x₀}^{xᵢ} y dx at every grid point, starting at 0 (scipy's
 * `cumulative_trapezoid` with `initial=0`): of a density, its CDF on the grid (unnormalised).
 */
export function cumulativeTrapezoid(ys: GridArray, xs: GridArray): Float64Array {
  checkSameLength("cumulativeTrapezoid", xs, ys);
  const out = new Float64Array(xs.length);
  for (let i = 1; i < xs.length; i++) out[i] = out[i - 1] + 0.5 * (ys[i] + ys[i - 1]) * (xs[i] - xs[i - 1]);
  return out;
}

/**
 * The Wasserstein-1 (earth mover's) distance between two 1-D densities on the grid: in one dimension the
 * optimal transport plan is monotone, and W₁(p, q) = ∫ |F_p(x) − F_q(x)| dx with F the cumulative distribution
 * functions (Villani 2008; the form Arjovsky et al. 2017 start from). The densities are normalised to mass 1
 * first. Between N(μ₁, σ²) and N(μ₂, σ²) it is |μ₁ − μ₂|; between point masses at a and b, |a − b|.
 */
export function wassersteinDistance1D(xs: GridArray, p: GridArray, q: GridArray): number {
  checkSameLength("wassersteinDistance1D", xs, p, q);
  const massP = trapezoid(p, xs), massQ = trapezoid(q, xs);
  if (!(massP > 0) || !(massQ > 0)) throw new Error("tsgan.theory.wassersteinDistance1D: both densities need positive mass on the grid.");
  const cdfP = cumulativeTrapezoid(p, xs), cdfQ = cumulativeTrapezoid(q, xs);
  return trapezoid(cdfP.map((c, i) => Math.abs(c / massP - cdfQ[i] / massQ)), xs);
}

export type KlDirection = "forward" | "reverse";

export interface GaussianFit {
  mean: number;
  std: number;
  /** The divergence at the fit: KL(p ‖ q) for "forward", KL(q ‖ p) for "reverse" (nats). */
  divergence: number;
}

/**
 * The Gaussian q = N(mean, std²) closest to the density p on the grid, in one direction of KL:
 * - "forward", min KL(p ‖ q) — what maximum likelihood minimises (fit q to samples of p). It is infinite
 *   wherever p has mass q lacks, so q *covers* every mode; for a Gaussian q its optimum matches p's mean and
 *   variance (Bishop 2006, §10.1.2).
 * - "reverse", min KL(q ‖ p) — infinite wherever q puts mass p lacks, so q *seeks* one mode and stays in it;
 *   the divergence a GAN's generator behaves like when it drops modes (Goodfellow 2016, NIPS tutorial §3.2.5,
 *   fig. 14; Theis et al. 2016).
 * Found by search, not by formula, so that the moment-matching result is a check, not an assumption: a 61 × 61
 * grid of means over the grid's range and standard deviations from 4 grid steps to half the range (log-spaced),
 * then two refinements around the best point, each 6× narrower. Returns the best of those 3 · 61² candidates;
 * the reverse direction has one local minimum per mode, and the search keeps the global one.
 */
export function fitGaussianByKl(xs: GridArray, p: GridArray, direction: KlDirection): GaussianFit {
  checkSameLength("fitGaussianByKl", xs, p);
  if (direction !== "forward" && direction !== "reverse") {
    throw new Error(`tsgan.theory.fitGaussianByKl: direction must be "forward" or "reverse", got ${JSON.stringify(direction)}.`);
  }
  const lo = xs[0], hi = xs[xs.length - 1];
  const divergence = (mean: number, std: number) => {
    const q = gaussianDensity(xs, mean, std);
    return direction === "forward" ? klDivergence(xs, p, q) : klDivergence(xs, q, p);
  };
  const n = 61;
  let best: GaussianFit = { mean: NaN, std: NaN, divergence: Infinity };
  let meanRange: [number, number] = [lo, hi];
  let logStdRange: [number, number] = [Math.log((4 * (hi - lo)) / (xs.length - 1)), Math.log((hi - lo) / 2)];
  for (let level = 0; level < 3; level++) {
    for (let i = 0; i < n; i++) {
      const mean = meanRange[0] + ((meanRange[1] - meanRange[0]) * i) / (n - 1);
      for (let j = 0; j < n; j++) {
        const std = Math.exp(logStdRange[0] + ((logStdRange[1] - logStdRange[0]) * j) / (n - 1));
        const d = divergence(mean, std);
        if (d < best.divergence) best = { mean, std, divergence: d };
      }
    }
    if (!Number.isFinite(best.divergence)) {
      throw new Error("tsgan.theory.fitGaussianByKl: no Gaussian on the search grid has a finite divergence; widen the grid around p's mass.");
    }
    const meanHalf = (meanRange[1] - meanRange[0]) / 12;
    const logStdHalf = (logStdRange[1] - logStdRange[0]) / 12;
    meanRange = [best.mean - meanHalf, best.mean + meanHalf];
    logStdRange = [Math.log(best.std) - logStdHalf, Math.log(best.std) + logStdHalf];
  }
  return best;
}

/**
 * A Gaussian kernel density estimate of 1-D samples on the grid: the average of N(x_i, h²) densities, with
 * Silverman's rule of thumb h = 1.06·σ̂·n^(−1/5) (Silverman 1986, eq. 3.28) unless `bandwidth` is given. A
 * sample of identical values (σ̂ = 0) gets h = `minBandwidth`, so the estimate stays a density.
 */
export function kernelDensity(samples: ArrayLike<number>, xs: GridArray, options: { bandwidth?: number; minBandwidth?: number } = {}): Float64Array {
  const n = samples.length;
  if (n === 0) throw new Error("tsgan.theory.kernelDensity: give at least one sample.");
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (samples[i] - mean) ** 2 / n;
  const h = options.bandwidth ?? Math.max(1.06 * Math.sqrt(variance) * Math.pow(n, -0.2), options.minBandwidth ?? 0.02);
  if (!(h > 0)) throw new Error(`tsgan.theory.kernelDensity: the bandwidth must be > 0, got ${h}.`);
  const out = new Float64Array(xs.length);
  const norm = 1 / (n * h * Math.sqrt(2 * Math.PI));
  for (let j = 0; j < xs.length; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const u = (xs[j] - samples[i]) / h;
      total += Math.exp(-0.5 * u * u);
    }
    out[j] = total * norm;
  }
  return out;
}
