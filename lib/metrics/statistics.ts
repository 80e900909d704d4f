/**
 * Small statistics the lessons measure with: rank correlation over training, and the exact Wasserstein-1
 * distance between two 1-D samples, the mean and standard error of repeated runs.
 */

/** The arithmetic mean of a list of numbers (NaN for an empty one, as 0/0). */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** The median: the middle value, or the mean of the two middle ones for an even count (NaN for an empty list). */
export function median(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
}

/**
 * The mean of repeated measurements and its standard error: the sample standard deviation (n − 1) over √n,
 * NaN with a single value (no spread can be estimated from one run).
 */
export function meanAndStandardError(values: ArrayLike<number>): { mean: number; standardError: number; n: number } {
  const v = Array.from(values);
  if (v.length === 0) throw new Error("meanAndStandardError: no values.");
  if (!v.every(Number.isFinite)) throw new Error(`meanAndStandardError: every value must be finite, got ${v.filter((x) => !Number.isFinite(x)).join(", ")}; leave out runs where the quantity is undefined, and say so.`);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  if (v.length === 1) return { mean, standardError: NaN, n: 1 };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return { mean, standardError: sd / Math.sqrt(v.length), n: v.length };
}

/** Ranks 0..n−1 of `values`, ties sharing their mean rank (so Spearman's ρ is Pearson's r of these). */
export function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

/** Pearson's correlation coefficient of two equally long series (NaN when one is constant). */
export function pearsonCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) {
    throw new Error(`pearsonCorrelation: need two series of one length ≥ 2, got ${a.length} and ${b.length}.`);
  }
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i] / n; mb += b[i] / n; }
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/**
 * Spearman's rank correlation ρ (Spearman 1904): Pearson's r of the ranks. +1 when one series rises exactly
 * when the other does, whatever the scale: the right question for "does the loss move with the quality?".
 */
export function rankCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearsonCorrelation(ranks(a), ranks(b));
}

/**
 * W₁ between two 1-D samples of equal size: in one dimension the optimal transport plan pairs the sorted
 * samples, so W₁ = (1/n) Σ |a₍ᵢ₎ − b₍ᵢ₎| exactly (the empirical distributions' distance).
 */
export function wasserstein1DFromSamples(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(`wasserstein1DFromSamples: need two non-empty samples of one size, got ${a.length} and ${b.length}.`);
  }
  const x = Float64Array.from(a).sort(), y = Float64Array.from(b).sort();
  let total = 0;
  for (let i = 0; i < x.length; i++) total += Math.abs(x[i] - y[i]);
  return total / x.length;
}
