/**
 * Mode-collapse metrics for samples from a known mixture of isotropic Gaussians, by the protocol of VEEGAN
 * (Srivastava et al. 2017, §5.1) as implemented in PacGAN's code (Lin et al. 2018; fjxmlzn/PacGAN,
 * synthetic_data_experiments/PacGAN/pacgan/extensions.py, MetricLogger):
 *
 * 1. each sample goes to its nearest mode, distance measured in σ: ‖x − μ_k‖ / σ;
 * 2. it is HIGH QUALITY when that distance is below 3 (strictly, as `min_dis < dis_thre` there);
 * 3. a mode is CAPTURED when at least `minSamplesPerMode` high-quality samples went to it; PacGAN's code counts
 *    every mode with a non-zero count, i.e. the threshold is 1, our default;
 * 4. high-quality share = #high-quality / #samples;
 * 5. reverse KL = KL(p̂ ‖ uniform) = Σ_k p̂_k·log(K·p̂_k), where p̂ is the histogram of the HIGH-QUALITY samples
 *    over the K modes ("detail of coverage" normalised) and 0·log 0 = 0. 0 when all modes are hit equally,
 *    log K when one mode takes everything; NaN when there is no high-quality sample at all (p̂ is undefined).
 *    PacGAN's MetricLogger logs that histogram and its entropy H(p̂); KL(p̂ ‖ uniform) = log K − H(p̂) exactly.
 *
 * PacGAN reports these over 2,500 generated samples (Table 1).
 */
import * as tf from "@tensorflow/tfjs";

export interface ModeSet {
  /** Mode centres, all of one dimension. */
  modes: ReadonlyArray<ReadonlyArray<number>>;
  /** σ of every mode, per coordinate. */
  std: number;
}

export interface ModeCollapseOptions {
  /** A sample is high quality within this many σ of its nearest mode. Default 3. */
  thresholdStds?: number;
  /** High-quality samples a mode needs to count as captured. Default 1 (PacGAN's code). */
  minSamplesPerMode?: number;
}

export interface ModeCollapseReport {
  modesCaptured: number;
  totalModes: number;
  /** Share of all samples that are high quality, in [0, 1]. */
  highQualityShare: number;
  /** KL(high-quality histogram ‖ uniform over modes), nats. */
  reverseKL: number;
  /** High-quality samples per mode. */
  countsPerMode: number[];
  sampleCount: number;
}

export type Samples = tf.Tensor | ArrayLike<number> | ReadonlyArray<ReadonlyArray<number>>;

/** Samples as a flat row-major array of rows of length `dim`. */
function flatten(samples: Samples, dim: number): ArrayLike<number> {
  let flat: ArrayLike<number>;
  if (samples instanceof tf.Tensor) {
    const rank2 = samples.rank === 2 && samples.shape[1] === dim;
    const rank1 = samples.rank === 1 && dim === 1;
    if (!rank2 && !rank1) throw new Error(`tsgan.metrics.modeCollapseMetrics: samples must be a [n, ${dim}] tensor, got [${samples.shape}].`);
    flat = samples.dataSync();
  } else if (samples.length > 0 && Array.isArray((samples as ReadonlyArray<unknown>)[0])) {
    const rows = samples as ReadonlyArray<ReadonlyArray<number>>;
    const out = new Float64Array(rows.length * dim);
    rows.forEach((row, i) => {
      if (row.length !== dim) throw new Error(`tsgan.metrics.modeCollapseMetrics: sample ${i} has ${row.length} coordinates, the modes have ${dim}.`);
      for (let j = 0; j < dim; j++) out[i * dim + j] = row[j];
    });
    flat = out;
  } else {
    flat = samples as ArrayLike<number>;
  }
  if (flat.length % dim !== 0) {
    throw new Error(`tsgan.metrics.modeCollapseMetrics: ${flat.length} numbers do not split into rows of ${dim} coordinates.`);
  }
  return flat;
}

/** KL(p ‖ uniform over p.length bins) for a histogram of counts; NaN for an empty histogram. */
export function reverseKLToUniform(counts: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < counts.length; k++) total += counts[k];
  if (total === 0) return NaN;
  let kl = 0;
  for (let k = 0; k < counts.length; k++) {
    if (counts[k] > 0) {
      const p = counts[k] / total;
      kl += p * Math.log(p * counts.length);
    }
  }
  return kl;
}

/**
 * Which modes are starved: those whose count is below `fraction` of the fair share, total / K, of a histogram of
 * high-quality samples. The capture rule counts a mode with one sharp sample as captured; a starved mode is one
 * the generator has all but abandoned (lesson 04 uses a tenth). Returns the modes' indices.
 */
export function starvedModes(countsPerMode: ArrayLike<number>, fraction = 0.1): number[] {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`starvedModes: fraction must lie in (0, 1], got ${fraction}.`);
  let total = 0;
  for (let k = 0; k < countsPerMode.length; k++) total += countsPerMode[k];
  const below = (fraction * total) / countsPerMode.length;
  const starved: number[] = [];
  for (let k = 0; k < countsPerMode.length; k++) if (countsPerMode[k] < below) starved.push(k);
  return starved;
}

/** Modes captured, high-quality share and reverse KL of `samples` against a mixture's modes (see above). */
export function modeCollapseMetrics(samples: Samples, modeSet: ModeSet, options: ModeCollapseOptions = {}): ModeCollapseReport {
  const { thresholdStds = 3, minSamplesPerMode = 1 } = options;
  const { modes, std } = modeSet;
  if (modes.length === 0) throw new Error("tsgan.metrics.modeCollapseMetrics: give at least one mode.");
  if (!(std > 0)) throw new Error(`tsgan.metrics.modeCollapseMetrics: std must be > 0, got ${std}.`);
  const dim = modes[0].length;
  const flat = flatten(samples, dim);
  const n = flat.length / dim;
  if (n === 0) throw new Error("tsgan.metrics.modeCollapseMetrics: no samples to evaluate.");

  const counts = new Array<number>(modes.length).fill(0);
  // Compare squared distances with (threshold·σ)² to avoid a sqrt per pair.
  const limit = (thresholdStds * std) ** 2;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let bestMode = -1;
    for (let k = 0; k < modes.length; k++) {
      let d2 = 0;
      for (let j = 0; j < dim; j++) {
        const diff = flat[i * dim + j] - modes[k][j];
        d2 += diff * diff;
      }
      if (d2 < best) {
        best = d2;
        bestMode = k;
      }
    }
    if (best < limit) counts[bestMode] += 1;
  }
  const highQuality = counts.reduce((a, b) => a + b, 0);
  return {
    modesCaptured: counts.filter((c) => c >= minSamplesPerMode).length,
    totalModes: modes.length,
    highQualityShare: highQuality / n,
    reverseKL: reverseKLToUniform(counts),
    countsPerMode: counts,
    sampleCount: n,
  };
}
