/**
 * Sample-quality metrics for image GANs, judged by the course's stored classifier (classifier.ts):
 *
 * - `classifierScore`: the Inception Score of Salimans et al. (2016, §4), exp(E_x KL(p(y|x) ‖ p(y))), with
 *   tsgan's MNIST / Fashion-MNIST classifier in place of the Inception network. 1 at the floor (every sample
 *   gets the same class distribution), 10 at the ceiling (each sample is classified with certainty and the
 *   classes are used equally).
 * - `frechetDistance`: the Fréchet distance of Heusel et al. (2017, §3, "FID") between Gaussians fitted to the
 *   classifier's 128 penultimate features of two sample sets. It is NOT comparable with the FID of papers,
 *   which uses the 2048 pool-3 features of Inception-v3 on ImageNet; compare these numbers only with numbers
 *   from the same stored classifier.
 * - `classCoverage`: how many of the 10 classes the samples are assigned to, and the KL divergence of that
 *   histogram from uniform (log 10 ≈ 2.303 when every sample is one class: mode collapse).
 * - `nearestNeighbours`: the k training images closest to each sample in pixel space (L2): a generator that
 *   memorised its data shows samples at distance ≈ 0 from a training image.
 *
 * The statistics are computed in Float64 on the CPU (JavaScript): 128-dimensional covariances are small,
 * and float32 loses the last digits of a trace of sums.
 */
import * as tf from "@tensorflow/tfjs";
import { CLASSIFIER_CLASSES, CLASSIFIER_FEATURES, Classifier, ImageInput, argmaxRows, toImageTensor } from "./classifier";
import { reverseKLToUniform } from "./mode-collapse";

// ---------------------------------------------------------------------------------------------------------
// Classifier score (Inception Score)

export interface ClassifierScoreOptions {
  /**
   * Score each of `splits` consecutive parts separately and report their mean ± std (Salimans et al. use 10
   * splits of 5,000). Default 1. The parts are consecutive, so pass the samples in random order: a set sorted
   * by class puts two or three classes in each part and scores far lower.
   */
  splits?: number;
}

export interface ClassifierScore {
  /** Mean of the split scores; with one split, the score. */
  mean: number;
  /** Population standard deviation of the split scores (0 with one split), as in the reference code. */
  std: number;
  /** The score of every split. */
  splitScores: number[];
}

/** exp(mean over rows of KL(p(y|x) ‖ p̄(y))) for rows [from, to) of a probability matrix; 0·log 0 = 0. */
function scoreOfRows(p: ArrayLike<number>, classes: number, from: number, to: number): number {
  const marginal = new Float64Array(classes);
  for (let i = from; i < to; i++) for (let c = 0; c < classes; c++) marginal[c] += p[i * classes + c];
  for (let c = 0; c < classes; c++) marginal[c] /= to - from;
  let klSum = 0;
  for (let i = from; i < to; i++) {
    for (let c = 0; c < classes; c++) {
      const q = p[i * classes + c];
      if (q > 0) klSum += q * Math.log(q / marginal[c]);
    }
  }
  return Math.exp(klSum / (to - from));
}

/**
 * The classifier score of samples given their class probabilities p(y|x) (count·classes values, row-major,
 * each row summing to 1). Salimans et al. 2016, §4: exp(E_x KL(p(y|x) ‖ p(y))), p(y) the mean of p(y|x).
 */
export function classifierScoreFromProbabilities(
  probabilities: ArrayLike<number>, classes: number = CLASSIFIER_CLASSES, options: ClassifierScoreOptions = {},
): ClassifierScore {
  const splits = options.splits ?? 1;
  const count = probabilities.length / classes;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`tsgan.metrics.classifierScore: ${probabilities.length} probabilities are not a positive multiple of ${classes} classes.`);
  }
  if (!Number.isInteger(splits) || splits < 1 || splits > count) {
    throw new Error(`tsgan.metrics.classifierScore: splits must be an integer in [1, ${count}] (the sample count), got ${splits}.`);
  }
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += probabilities[i * classes + c];
    if (!(Math.abs(sum - 1) < 1e-3)) {
      throw new Error(`tsgan.metrics.classifierScore: row ${i} of the probabilities sums to ${sum}, not 1; pass softmax outputs.`);
    }
  }
  const splitScores: number[] = [];
  for (let s = 0; s < splits; s++) {
    splitScores.push(scoreOfRows(probabilities, classes, Math.floor((s * count) / splits), Math.floor(((s + 1) * count) / splits)));
  }
  const mean = splitScores.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(splitScores.reduce((a, b) => a + (b - mean) ** 2, 0) / splits);
  return { mean, std, splitScores };
}

/** The classifier score of `images` under a stored classifier (see `classifierScoreFromProbabilities`). */
export function classifierScore(classifier: Classifier, images: ImageInput, options: ClassifierScoreOptions = {}): ClassifierScore {
  return classifierScoreFromProbabilities(classifier.evaluate(images).probabilities, CLASSIFIER_CLASSES, options);
}

// ---------------------------------------------------------------------------------------------------------
// Linear algebra for the Fréchet distance (Float64, row-major n×n matrices)

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** n×n row-major; column j is the unit eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of a real symmetric matrix by the cyclic Jacobi method (Golub & Van Loan, Matrix
 * Computations, §8.5): rotations zero the off-diagonal entries one by one until their norm is negligible.
 * Slower than QR for large n but simple, unconditionally stable and accurate to a few ulps for the 128×128
 * covariances here. `a` is not modified.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, maxSweeps = 100): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1 || a.length !== n * n) {
    throw new Error(`tsgan.metrics.symmetricEigen: expected an n×n matrix with n = ${n} (${n * n} values), got ${a.length} values.`);
  }
  const m = Float64Array.from(a);
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(m[i * n + j] - m[j * n + i]) > 1e-9 * Math.max(scale, 1e-300)) {
        throw new Error(`tsgan.metrics.symmetricEigen: the matrix is not symmetric (entry ${i},${j} is ${m[i * n + j]} but ${j},${i} is ${m[j * n + i]}).`);
      }
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += m[i * n + j] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        // The rotation angle θ with tan 2θ = 2a_pq / (a_qq − a_pp); t = tan θ, the smaller root for stability.
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // columns p, q of m ← m·J
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          // rows p, q of m ← Jᵀ·m
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k * n + from];
  });
  return { values, vectors };
}

/** a·b for n×n row-major matrices. */
function matMul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}

/**
 * The symmetric square root of a positive semi-definite matrix: V·diag(√λ)·Vᵀ. Eigenvalues slightly below 0
 * (round-off of a rank-deficient covariance) are treated as 0.
 */
export function sqrtPsdMatrix(a: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n);
  const out = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const root = Math.sqrt(Math.max(values[j], 0));
    if (root === 0) continue;
    for (let i = 0; i < n; i++) {
      const vij = vectors[i * n + j] * root;
      for (let k = 0; k < n; k++) out[i * n + k] += vij * vectors[k * n + j];
    }
  }
  return out;
}

/** Mean (d) and unbiased covariance (d×d, divided by n − 1 as numpy.cov) of n row vectors of length d. */
export function meanAndCovariance(rows: ArrayLike<number>, dim: number): { mean: Float64Array; covariance: Float64Array; count: number } {
  const count = rows.length / dim;
  if (!Number.isInteger(count) || count < 2) {
    throw new Error(`tsgan.metrics.meanAndCovariance: need at least 2 rows of ${dim} values, got ${rows.length} values.`);
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j] += rows[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= count;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = rows[i * dim + j] - mean[j];
    for (let j = 0; j < dim; j++) {
      const cj = centred[j];
      if (cj === 0) continue;
      for (let k = j; k < dim; k++) covariance[j * dim + k] += cj * centred[k];
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      covariance[j * dim + k] /= count - 1;
      covariance[k * dim + j] = covariance[j * dim + k];
    }
  }
  return { mean, covariance, count };
}

/**
 * Fréchet (2-Wasserstein) distance between N(μ1, Σ1) and N(μ2, Σ2) (Heusel et al. 2017, eq. 6; Dowson &
 * Landau 1982): ‖μ1 − μ2‖² + tr(Σ1) + tr(Σ2) − 2·tr((Σ1Σ2)^½). Σ1Σ2 is not symmetric, so its square-root
 * trace is taken as tr((√Σ1·Σ2·√Σ1)^½), the same number (the two matrices are similar), from a symmetric
 * eigen-decomposition. Returns ≥ 0 up to round-off.
 */
export function frechetDistanceFromMoments(
  mean1: ArrayLike<number>, covariance1: ArrayLike<number>, mean2: ArrayLike<number>, covariance2: ArrayLike<number>,
): number {
  const d = mean1.length;
  if (mean2.length !== d || covariance1.length !== d * d || covariance2.length !== d * d) {
    throw new Error(
      `tsgan.metrics.frechetDistance: means of length ${mean1.length} and ${mean2.length} with covariances of ` +
        `${covariance1.length} and ${covariance2.length} values do not describe two Gaussians of one dimension.`,
    );
  }
  let meanTerm = 0;
  let traces = 0;
  for (let i = 0; i < d; i++) {
    meanTerm += (mean1[i] - mean2[i]) ** 2;
    traces += covariance1[i * d + i] + covariance2[i * d + i];
  }
  const root1 = sqrtPsdMatrix(covariance1, d);
  const middle = matMul(matMul(root1, Float64Array.from(covariance2), d), root1, d);
  // Symmetrise away round-off before the symmetric solver.
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const avg = (middle[i * d + j] + middle[j * d + i]) / 2;
      middle[i * d + j] = avg;
      middle[j * d + i] = avg;
    }
  }
  let traceRoot = 0;
  for (const lambda of symmetricEigen(middle, d).values) traceRoot += Math.sqrt(Math.max(lambda, 0));
  return meanTerm + traces - 2 * traceRoot;
}

/**
 * Fréchet distance between Gaussians fitted to two sets of feature rows (count·dim values each).
 * NOT the FID of the literature unless the features are Inception-v3's pool-3 activations; see the module note.
 */
export function frechetDistance(featuresA: ArrayLike<number>, featuresB: ArrayLike<number>, dim: number = CLASSIFIER_FEATURES): number {
  const a = meanAndCovariance(featuresA, dim);
  const b = meanAndCovariance(featuresB, dim);
  return frechetDistanceFromMoments(a.mean, a.covariance, b.mean, b.covariance);
}

/**
 * Fréchet distance between two image sets in the stored classifier's 128-dimensional penultimate feature
 * space ("classifier FID"). Heusel et al. recommend ≥ 10,000 samples per set for Inception features; with 128
 * features a few thousand give a stable value, fewer bias it upwards. Not comparable with Inception FID.
 */
export function classifierFrechetDistance(classifier: Classifier, imagesA: ImageInput, imagesB: ImageInput): number {
  return frechetDistance(classifier.evaluate(imagesA).features, classifier.evaluate(imagesB).features, CLASSIFIER_FEATURES);
}

// ---------------------------------------------------------------------------------------------------------
// Class coverage

export interface ClassCoverage {
  /** Samples assigned to each class. */
  histogram: number[];
  /** Classes that got at least one sample. */
  classesCovered: number;
  /** classesCovered / classes, in [1/classes, 1]. */
  coverage: number;
  /** KL(histogram share ‖ uniform) = Σ_k p̂_k·log(K·p̂_k), nats: 0 when balanced, log K for a single class. */
  klToUniform: number;
}

/** Coverage of `classes` classes by samples with the given predicted labels. */
export function classCoverage(predictedLabels: ArrayLike<number>, classes: number = CLASSIFIER_CLASSES): ClassCoverage {
  if (predictedLabels.length === 0) throw new Error("tsgan.metrics.classCoverage: no samples; pass at least one predicted label.");
  const histogram = new Array<number>(classes).fill(0);
  for (let i = 0; i < predictedLabels.length; i++) {
    const y = predictedLabels[i];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new Error(`tsgan.metrics.classCoverage: label ${y} at ${i} is not a class in [0, ${classes}).`);
    }
    histogram[y]++;
  }
  const classesCovered = histogram.filter((h) => h > 0).length;
  return { histogram, classesCovered, coverage: classesCovered / classes, klToUniform: reverseKLToUniform(histogram) };
}

/** Class coverage of `images` with the classes the stored classifier predicts (its argmax). */
export function classifierClassCoverage(classifier: Classifier, images: ImageInput): ClassCoverage {
  return classCoverage(argmaxRows(classifier.evaluate(images).probabilities), CLASSIFIER_CLASSES);
}

/** How well a conditional generator obeys its labels, as an independent classifier reads its samples. */
export interface AskedClassAccuracy {
  /** Per class: the share of the samples asked for that class that the classifier assigns to it (NaN if none were asked). */
  perClass: number[];
  /** Over all samples: the share assigned to the class they were asked for. Chance is 1/classes. */
  overall: number;
  /** Classes whose share is above chance (1/classes). */
  classesAboveChance: number;
}

/**
 * The conditional generator's check (CGAN, Mirza & Osindero 2014; ACGAN, Odena et al. 2017, who judge it with
 * an Inception network): sample i was asked for class `asked[i]` and the classifier predicts `predicted[i]`.
 */
export function askedClassAccuracy(
  predicted: ArrayLike<number>, asked: ArrayLike<number>, classes: number = CLASSIFIER_CLASSES,
): AskedClassAccuracy {
  if (predicted.length !== asked.length || predicted.length === 0) {
    throw new Error(
      `tsgan.metrics.askedClassAccuracy: got ${predicted.length} predictions for ${asked.length} asked labels; pass one of each per sample.`,
    );
  }
  const hits = new Array<number>(classes).fill(0);
  const counts = new Array<number>(classes).fill(0);
  let correct = 0;
  for (let i = 0; i < asked.length; i++) {
    const y = asked[i];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new Error(`tsgan.metrics.askedClassAccuracy: asked label ${y} at ${i} is not a class in [0, ${classes}).`);
    }
    counts[y]++;
    if (predicted[i] === y) { hits[y]++; correct++; }
  }
  const perClass = hits.map((h, c) => (counts[c] === 0 ? NaN : h / counts[c]));
  return { perClass, overall: correct / asked.length, classesAboveChance: perClass.filter((v) => v > 1 / classes).length };
}

// ---------------------------------------------------------------------------------------------------------
// All three at once

export interface SampleQuality {
  classifierScore: ClassifierScore;
  coverage: ClassCoverage;
  /** Against `reference` (or `referenceFeatures`) when one was given. */
  frechetDistance?: number;
}

export interface SampleQualityOptions extends ClassifierScoreOptions {
  /** Reference images (e.g. held-out real digits) for the Fréchet distance; classified on every call. */
  reference?: ImageInput;
  /**
   * The reference's features, `classifier.evaluate(reference).features`, computed once: scoring many sample
   * sets against one reference (a curve over training, a table of models) then classifies it only once.
   */
  referenceFeatures?: Float32Array;
}

/** Classifier score, class coverage and (with reference images, e.g. held-out real data) the Fréchet distance. */
export function sampleQuality(classifier: Classifier, samples: ImageInput, options: SampleQualityOptions = {}): SampleQuality {
  if (options.reference !== undefined && options.referenceFeatures !== undefined) {
    throw new Error("tsgan.metrics.sampleQuality: give reference or referenceFeatures, not both (the features are the reference's, computed once).");
  }
  if (options.referenceFeatures !== undefined && (options.referenceFeatures.length === 0 || options.referenceFeatures.length % CLASSIFIER_FEATURES !== 0)) {
    throw new Error(
      `tsgan.metrics.sampleQuality: referenceFeatures has ${options.referenceFeatures.length} numbers, not a positive multiple of the ` +
        `classifier's ${CLASSIFIER_FEATURES} features; pass classifier.evaluate(reference).features.`,
    );
  }
  const out = classifier.evaluate(samples);
  const result: SampleQuality = {
    classifierScore: classifierScoreFromProbabilities(out.probabilities, CLASSIFIER_CLASSES, options),
    coverage: classCoverage(argmaxRows(out.probabilities), CLASSIFIER_CLASSES),
  };
  const referenceFeatures = options.referenceFeatures ?? (options.reference !== undefined ? classifier.evaluate(options.reference).features : undefined);
  if (referenceFeatures !== undefined) result.frechetDistance = frechetDistance(out.features, referenceFeatures, CLASSIFIER_FEATURES);
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Nearest training neighbours (memorisation check)

export interface NearestNeighbours {
  /** indices[i]: the k training rows nearest to sample i, nearest first. */
  indices: Int32Array[];
  /** distances[i][j]: L2 distance in pixel space (the images' own scale) between sample i and indices[i][j]. */
  distances: Float64Array[];
}

function pixelRows(images: ImageInput, what: string): { data: Float32Array; count: number; dim: number } {
  if (images instanceof Float32Array) {
    if (images.length % (28 * 28) !== 0 || images.length === 0) {
      throw new Error(`tsgan.metrics.nearestNeighbours: ${what} has ${images.length} pixels, not a positive multiple of 784.`);
    }
    return { data: images, count: images.length / 784, dim: 784 };
  }
  const t = toImageTensor(images, what);
  try {
    return { data: t.dataSync() as Float32Array, count: t.shape[0], dim: 784 };
  } finally {
    t.dispose();
  }
}

/**
 * For each sample, the k nearest training images by Euclidean distance over pixels. Candidates are found on
 * the tf backend in chunks (‖s‖² + ‖t‖² − 2·s·t, a matrix product), then the best k + 8 per chunk are re-ranked
 * with exact Float64 distances, so near-duplicates are not misordered by float32 cancellation.
 */
export function nearestNeighbours(samples: ImageInput, training: ImageInput, k = 1, chunk = 8192): NearestNeighbours {
  const s = pixelRows(samples, "samples");
  const t = pixelRows(training, "training images");
  if (!Number.isInteger(k) || k < 1 || k > t.count) {
    throw new Error(`tsgan.metrics.nearestNeighbours: k must be an integer in [1, ${t.count}] (the training images), got ${k}.`);
  }
  const dim = s.dim;
  const candidates: number[][] = Array.from({ length: s.count }, () => []);
  const sampleTensor = tf.tensor2d(s.data, [s.count, dim]);
  try {
    const sampleNorms = tf.tidy(() => sampleTensor.square().sum(1, true));
    try {
      for (let start = 0; start < t.count; start += chunk) {
        const size = Math.min(chunk, t.count - start);
        const take = Math.min(size, k + 8);
        const rows = tf.tidy(() => {
          const block = tf.tensor2d(t.data.subarray(start * dim, (start + size) * dim), [size, dim]);
          // An explicit transpose then a plain product: wasm's matMul with transposeB is ~20× slower.
          const squared = sampleNorms.add(block.square().sum(1).reshape([1, size])).sub(sampleTensor.matMul(block.transpose()).mul(2));
          return tf.topk(squared.neg(), take).indices.arraySync() as number[][];
        });
        rows.forEach((row, i) => row.forEach((j) => candidates[i].push(start + j)));
      }
    } finally {
      sampleNorms.dispose();
    }
  } finally {
    sampleTensor.dispose();
  }
  const indices: Int32Array[] = [];
  const distances: Float64Array[] = [];
  for (let i = 0; i < s.count; i++) {
    const exact = candidates[i].map((j) => {
      let sum = 0;
      for (let p = 0; p < dim; p++) sum += (s.data[i * dim + p] - t.data[j * dim + p]) ** 2;
      return { j, d: Math.sqrt(sum) };
    });
    exact.sort((a, b) => a.d - b.d || a.j - b.j);
    indices.push(Int32Array.from(exact.slice(0, k), (e) => e.j));
    distances.push(Float64Array.from(exact.slice(0, k), (e) => e.d));
  }
  return { indices, distances };
}

/**
 * The share of pixels that carry ink: values above 0 in images scaled to [-1, 1] (the background is −1). Real
 * MNIST digits have about 0.19; an untrained generator's grey noise about half; a collapsed one may have none.
 */
export function inkShare(images: tf.Tensor): number {
  if (!(images instanceof tf.Tensor) || images.size === 0) throw new Error("inkShare: expected a non-empty tensor of images in [-1, 1].");
  return tf.tidy(() => tf.mean(tf.cast(tf.greater(images, 0), "float32")).dataSync()[0]);
}

/**
 * Sharpness as the mean gradient magnitude of the images: √(∂x² + ∂y²) from forward differences, averaged over
 * pixels and images (in the images' own units per pixel). Blur lowers it: a VAE's pixel-wise reconstructions,
 * which average the digits a code could stand for, score below real digits (Larsen et al. 2016 compare
 * sharpness by eye; this puts a number on it). Shapes: [n, h, w, c], h, w ≥ 2.
 */
export function imageSharpness(images: tf.Tensor): number {
  if (!(images instanceof tf.Tensor) || images.rank !== 4 || (images.shape[1] as number) < 2 || (images.shape[2] as number) < 2) {
    const got = images instanceof tf.Tensor ? `shape [${images.shape}]` : typeof images;
    throw new Error(`imageSharpness: expected images [n, h, w, c] with h, w ≥ 2, got ${got}.`);
  }
  return tf.tidy(() => {
    const [n, h, w, c] = images.shape;
    const dx = tf.sub(tf.slice(images, [0, 0, 1, 0], [n, h - 1, w - 1, c]), tf.slice(images, [0, 0, 0, 0], [n, h - 1, w - 1, c]));
    const dy = tf.sub(tf.slice(images, [0, 1, 0, 0], [n, h - 1, w - 1, c]), tf.slice(images, [0, 0, 0, 0], [n, h - 1, w - 1, c]));
    return tf.mean(tf.sqrt(tf.add(tf.square(dx), tf.square(dy)))).dataSync()[0];
  });
}

/**
 * The mean Euclidean distance over the ordered pairs i ≠ j of a set of images [n, ...]: within-class diversity.
 * A class histogram cannot see intra-class collapse (ten copies of one digit per class read as perfect
 * coverage); this can (the copies are at distance 0). NaN for fewer than two images. Computed as
 * ‖a‖² + ‖b‖² − 2a·b, clipped at 0 against round-off, with the diagonal masked out exactly.
 */
export function meanPairwiseDistance(images: tf.Tensor): number {
  if (!(images instanceof tf.Tensor) || images.rank < 2) {
    throw new Error(`meanPairwiseDistance: expected a tensor of n examples [n, ...], got ${images instanceof tf.Tensor ? `shape [${images.shape}]` : typeof images}.`);
  }
  const n = images.shape[0];
  if (n < 2) return NaN;
  return tf.tidy(() => {
    const f = tf.reshape(images, [n, -1]);
    const squares = tf.sum(tf.square(f), 1);
    // An explicit transpose then a plain product: wasm's matMul with transposeB is much slower (see nearestNeighbours).
    const d2 = tf.relu(tf.sub(tf.add(tf.expandDims(squares, 1), tf.expandDims(squares, 0)), tf.mul(tf.matMul(f, tf.transpose(f)), 2)));
    return tf.sum(tf.mul(tf.sqrt(d2), tf.sub(1, tf.eye(n)))).dataSync()[0] / (n * (n - 1));
  });
}
