/**
 * How much a learnt representation knows about the labels, measured with few labels: the probes of
 * representation learning (BiGAN's Table 1 reports 1-NN accuracy on E(x); its code's log also gives the
 * untrained encoder's, which is nearly as high, so a probe is only read beside a baseline).
 *
 * Features are row-major flat arrays of `dim` numbers per example.
 */

function checkFeatures(features: ArrayLike<number>, labels: ArrayLike<number>, dim: number, what: string, who: string): number {
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${who}: dim must be a positive integer, got ${dim}.`);
  if (features.length !== labels.length * dim) {
    throw new Error(`${who}: ${what} has ${features.length} numbers, but ${labels.length} labels × ${dim} features need ${labels.length * dim}.`);
  }
  if (labels.length === 0) throw new Error(`${who}: ${what} is empty.`);
  return labels.length;
}

/**
 * Accuracy of the 1-nearest-neighbour classifier (Euclidean) that knows only the labelled rows: each test row
 * takes the label of its nearest labelled row (ties: the first).
 */
export function nearestNeighbourAccuracy(
  labelled: ArrayLike<number>, labels: ArrayLike<number>, test: ArrayLike<number>, testLabels: ArrayLike<number>, dim: number,
): number {
  const n = checkFeatures(labelled, labels, dim, "the labelled set", "nearestNeighbourAccuracy");
  const m = checkFeatures(test, testLabels, dim, "the test set", "nearestNeighbourAccuracy");
  let correct = 0;
  for (let i = 0; i < m; i++) {
    let best = Infinity, label = -1;
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let k = 0; k < dim && d < best; k++) {
        const diff = test[i * dim + k] - labelled[j * dim + k];
        d += diff * diff;
      }
      if (d < best) { best = d; label = labels[j]; }
    }
    if (label === testLabels[i]) correct++;
  }
  return correct / m;
}

/**
 * Accuracy of the nearest-class-mean classifier: each test row takes the label whose labelled rows' mean is
 * nearest. Its decision boundaries are hyperplanes, so it is a linear probe with nothing to fit.
 */
export function nearestCentroidAccuracy(
  labelled: ArrayLike<number>, labels: ArrayLike<number>, test: ArrayLike<number>, testLabels: ArrayLike<number>, dim: number,
): number {
  const n = checkFeatures(labelled, labels, dim, "the labelled set", "nearestCentroidAccuracy");
  const m = checkFeatures(test, testLabels, dim, "the test set", "nearestCentroidAccuracy");
  const sums = new Map<number, { sum: Float64Array; count: number }>();
  for (let j = 0; j < n; j++) {
    const entry = sums.get(labels[j]) ?? { sum: new Float64Array(dim), count: 0 };
    for (let k = 0; k < dim; k++) entry.sum[k] += labelled[j * dim + k];
    entry.count++;
    sums.set(labels[j], entry);
  }
  const centroids = [...sums.entries()].map(([label, { sum, count }]) => ({ label, mean: sum.map((v) => v / count) }));
  let correct = 0;
  for (let i = 0; i < m; i++) {
    let best = Infinity, label = -1;
    for (const c of centroids) {
      let d = 0;
      for (let k = 0; k < dim; k++) d += (test[i * dim + k] - c.mean[k]) ** 2;
      if (d < best) { best = d; label = c.label; }
    }
    if (label === testLabels[i]) correct++;
  }
  return correct / m;
}
