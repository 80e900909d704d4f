/**
 * Mode counting on Stacked MNIST (lib/data/stacked-mnist.ts): how many of the 1,000 three-digit modes a
 * generator's 28×28×3 samples hit, and how far their histogram is from uniform.
 *
 * The protocol of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018), as PacGAN's code runs it
 * (fjxmlzn/PacGAN, stacked_MNIST_experiments/VEEGAN_experiment/model.py, `log_metrics`):
 *
 * 1. classify each of the three channels with a pretrained MNIST classifier (argmax); the sample's mode is the
 *    triple (d₁, d₂, d₃), here the index 100·d₁ + 10·d₂ + d₃;
 * 2. a mode is CAPTURED when at least one sample went to it (`minSamplesPerMode`, default 1, as there);
 * 3. reverse KL = KL(p̂ ‖ uniform over 1,000) = Σ_k p̂_k·log(1000·p̂_k), natural log, 0·log 0 = 0
 *    (`reverseKLToUniform` of mode-collapse.ts): 0 for a perfectly even histogram, log 1000 ≈ 6.908 for one mode.
 *
 * The classifier is the course's stored one (`loadClassifier("mnist")`, classifier.ts; 97.85 % on its held-out
 * digits), not the papers' Keras network, so counts compare with other counts from the same checkpoint. Its
 * input is [−1, 1] (what tanh generators and `loadMnist` give); `pixelRange` maps another range onto it.
 *
 * Both counts depend on the number of samples. PacGAN and VEEGAN score 26,000. A perfect generator sampled
 * n times hits only 1000·(1 − (1 − 1/1000)ⁿ) modes on average (865 at n = 2,000, 1,000 at 26,000 to within
 * 0.01), and its plug-in KL is biased upwards, ≈ (K − 1)/2n (0.285 at n = 2,000, 0.019 at 26,000):
 * `uniformModeExpectation` gives both, the baseline a count should be read against.
 */
import * as tf from "@tensorflow/tfjs";
import { STACKED_MNIST_CHANNELS, STACKED_MNIST_MODES } from "../data/stacked-mnist";
import { Classifier, argmaxRows } from "./classifier";
import { reverseKLToUniform } from "./mode-collapse";

export interface StackedMnistModes {
  modesCaptured: number;
  /** 1,000. */
  totalModes: number;
  /** Samples per mode, indexed by 100·d₁ + 10·d₂ + d₃. */
  counts: number[];
  /** KL(mode histogram ‖ uniform over 1,000), nats. */
  reverseKL: number;
  /** The mode of each sample. */
  modeOfEach: Int32Array;
  /** The digit the classifier reads in each channel, sample-major: [3i + c]. */
  digitsOfEach: Int32Array;
  sampleCount: number;
}

export interface StackedMnistModesOptions {
  /** Samples a mode needs to count as captured. Default 1 (PacGAN's code). */
  minSamplesPerMode?: number;
  /** The images' pixel range [lo, hi], mapped linearly onto the classifier's [−1, 1]. Default [−1, 1]. */
  pixelRange?: [number, number];
  /** Classifier batch size (rows of one channel each). Default 500. */
  batchSize?: number;
}

/** Modes of samples from the digits read in their channels (sample-major, 3 per sample, each 0–9). */
export function stackedModesOfDigits(digits: ArrayLike<number>): Int32Array {
  if (digits.length === 0 || digits.length % STACKED_MNIST_CHANNELS !== 0) {
    throw new Error(`tsgan.metrics.stackedModesOfDigits: need 3 digits per sample (a positive multiple of 3), got ${digits.length}.`);
  }
  const modes = new Int32Array(digits.length / STACKED_MNIST_CHANNELS);
  for (let i = 0; i < modes.length; i++) {
    let mode = 0;
    for (let c = 0; c < STACKED_MNIST_CHANNELS; c++) {
      const d = digits[i * STACKED_MNIST_CHANNELS + c];
      if (!Number.isInteger(d) || d < 0 || d > 9) {
        throw new Error(`tsgan.metrics.stackedModesOfDigits: digit ${d} of sample ${i}, channel ${c} is not an integer 0–9.`);
      }
      mode = 10 * mode + d;
    }
    modes[i] = mode;
  }
  return modes;
}

/** Histogram, modes captured and reverse KL of samples' modes (each in [0, 1000)). */
export function stackedModeReport(modes: ArrayLike<number>, minSamplesPerMode = 1): Omit<StackedMnistModes, "digitsOfEach"> {
  if (modes.length === 0) throw new Error("tsgan.metrics.stackedModeReport: no samples; pass at least one mode.");
  if (!Number.isInteger(minSamplesPerMode) || minSamplesPerMode < 1) {
    throw new Error(`tsgan.metrics.stackedModeReport: minSamplesPerMode must be an integer ≥ 1, got ${minSamplesPerMode}.`);
  }
  const counts = new Array<number>(STACKED_MNIST_MODES).fill(0);
  for (let i = 0; i < modes.length; i++) {
    const m = modes[i];
    if (!Number.isInteger(m) || m < 0 || m >= STACKED_MNIST_MODES) {
      throw new Error(`tsgan.metrics.stackedModeReport: mode ${m} at ${i} is not in [0, 1000).`);
    }
    counts[m]++;
  }
  return {
    modesCaptured: counts.filter((c) => c >= minSamplesPerMode).length,
    totalModes: STACKED_MNIST_MODES,
    counts,
    reverseKL: reverseKLToUniform(counts),
    modeOfEach: Int32Array.from(modes),
    sampleCount: modes.length,
  };
}

/** [n, 28, 28, 3] in `range` → [3n, 28, 28, 1] in [−1, 1], row 3i + c being channel c of sample i. */
function channelsAsDigits(images: tf.Tensor4D, range: [number, number]): tf.Tensor4D {
  const [lo, hi] = range;
  const n = images.shape[0];
  return tf.tidy(() => {
    let x = images.toFloat();
    if (lo !== -1 || hi !== 1) x = x.sub(lo).mul(2 / (hi - lo)).sub(1);
    return x.transpose([0, 3, 1, 2]).reshape([n * STACKED_MNIST_CHANNELS, 28, 28, 1]);
  });
}

/**
 * Stacked MNIST's mode count and reverse KL of `images` [n, 28, 28, 3] (a generator's samples, or real stacks
 * from `stackedMnist(...).x`), each channel read by `classifier` (`loadClassifier("mnist")`) in one pass.
 */
export function stackedMnistModes(classifier: Classifier, images: tf.Tensor4D, options: StackedMnistModesOptions = {}): StackedMnistModes {
  const { minSamplesPerMode = 1, pixelRange = [-1, 1], batchSize = 500 } = options;
  if (!(images instanceof tf.Tensor)) {
    throw new Error("tsgan.metrics.stackedMnistModes: images must be a tf.Tensor [n, 28, 28, 3] (e.g. a generator's samples or stackedMnist(...).x).");
  }
  const s = images.shape;
  if (s.length !== 4 || s[1] !== 28 || s[2] !== 28 || s[3] !== STACKED_MNIST_CHANNELS || s[0] === 0) {
    const hint = s.length === 4 && s[3] === 1
      ? " One channel is plain MNIST: count its classes with classifierClassCoverage."
      : s.length === 4 && s[1] === 3
        ? " The channels look first (NCHW): transpose to [n, 28, 28, 3]."
        : "";
    throw new Error(`tsgan.metrics.stackedMnistModes: images have shape [${s}]; expected [n, 28, 28, 3] with n > 0, three digits in the channels.${hint}`);
  }
  if (!(Number.isFinite(pixelRange[0]) && Number.isFinite(pixelRange[1]) && pixelRange[1] > pixelRange[0])) {
    throw new Error(`tsgan.metrics.stackedMnistModes: pixelRange must be [lo, hi] with lo < hi, got [${pixelRange}].`);
  }
  const channels = channelsAsDigits(images, pixelRange);
  let digits: Int32Array;
  try {
    digits = argmaxRows(classifier.evaluate(channels, batchSize).probabilities);
  } finally {
    channels.dispose();
  }
  const report = stackedModeReport(stackedModesOfDigits(digits), minSamplesPerMode);
  return { ...report, digitsOfEach: digits };
}

/**
 * What a PERFECT generator (uniform over `totalModes` modes) scores with `sampleCount` samples, on average:
 * modes hit K·(1 − (1 − 1/K)ⁿ), and the plug-in KL(p̂ ‖ uniform) E = K·Σ_c P(c)·(c/n)·log(K·c/n), c ~ Binomial(n, 1/K),
 * summed exactly in log space. The floor a measured count and KL should be compared with.
 */
export function uniformModeExpectation(sampleCount: number, totalModes: number = STACKED_MNIST_MODES): { modesCaptured: number; reverseKL: number } {
  if (!Number.isInteger(sampleCount) || sampleCount < 1) {
    throw new Error(`tsgan.metrics.uniformModeExpectation: sampleCount must be a positive integer, got ${sampleCount}.`);
  }
  if (!Number.isInteger(totalModes) || totalModes < 1) {
    throw new Error(`tsgan.metrics.uniformModeExpectation: totalModes must be a positive integer, got ${totalModes}.`);
  }
  const n = sampleCount, K = totalModes, p = 1 / K;
  const modesCaptured = K * -Math.expm1(n * Math.log1p(-p));
  if (K === 1) return { modesCaptured, reverseKL: 0 };
  const logOdds = Math.log(p) - Math.log1p(-p);
  let logP = n * Math.log1p(-p); // log P(c = 0)
  let kl = 0;
  const mean = n * p;
  for (let c = 1; c <= n; c++) {
    logP += Math.log(n - c + 1) - Math.log(c) + logOdds;
    const prob = Math.exp(logP);
    kl += prob * (c / n) * Math.log((K * c) / n);
    if (c > mean && prob < 1e-17) break; // the tail beyond is below double precision of the sum
  }
  return { modesCaptured, reverseKL: K * kl };
}
