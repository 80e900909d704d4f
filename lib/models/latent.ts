/**
 * Walking a generator's latent space: interpolation between two noise vectors and vector arithmetic on
 * averaged ones.
 *
 * - Linear interpolation, z(t) = (1 − t)·z0 + t·z1, is what Radford et al. 2015 (section 6.1, "walking in the
 *   latent space") use to show that G changes smoothly, without memorised jumps.
 * - Spherical interpolation (slerp; Shoemake 1985) is what White 2016, "Sampling Generative Networks"
 *   (arXiv:1609.04468), recommends instead: for a Gaussian prior in d dimensions almost all the mass lies near
 *   the sphere of radius √d, while the midpoint of a straight line between two draws has norm ≈ √(d/2) — a
 *   region G never saw in training. Slerp follows the great circle, keeping the norm.
 * - Vector arithmetic (Radford et al. 2015, section 6.3.2): "smiling woman − neutral woman + neutral man"
 *   gives a smiling man, but only when each concept is the MEAN of several latents (they average three);
 *   single vectors were unstable.
 *
 * Every function takes and returns tf tensors and disposes its intermediates. Latent vectors are compared
 * as flat vectors, whatever their shape.
 */
import * as tf from "@tensorflow/tfjs";

export type InterpolationMethod = "linear" | "slerp";

/**
 * Below this sine of the angle between z0 and z1 the two are treated as parallel (slerp's weights are 0/0
 * there; the linear path is its limit).
 */
const PARALLEL_SINE = 1e-6;

function assertSameShape(z0: tf.Tensor, z1: tf.Tensor, fn: string): void {
  if (!(z0 instanceof tf.Tensor) || !(z1 instanceof tf.Tensor)) {
    throw new Error(`${fn}: z0 and z1 must be tf.Tensors (one latent vector each).`);
  }
  if (!tf.util.arraysEqual(z0.shape, z1.shape)) {
    throw new Error(
      `${fn}: z0 and z1 must have the same shape, got [${z0.shape}] and [${z1.shape}]. Pass one latent vector ` +
        "each, e.g. z.slice([i, 0], [1, d]).reshape([d]).",
    );
  }
  if (z0.size === 0) throw new Error(`${fn}: z0 and z1 are empty.`);
}

/** The fractions t at which to interpolate: `count` evenly spaced points of [0, 1], or the given list. */
function interpolationFractions(steps: number | ArrayLike<number>, fn: string): number[] {
  if (typeof steps === "number") {
    if (!Number.isInteger(steps) || steps < 2) {
      throw new Error(`${fn}: steps must be an integer ≥ 2 (the two endpoints included), got ${steps}.`);
    }
    // i / (n − 1) hits 0 and 1 exactly, so the path starts at z0 and ends at z1 bit for bit.
    return Array.from({ length: steps }, (_, i) => i / (steps - 1));
  }
  const ts = Array.from(steps);
  if (ts.length === 0 || !ts.every(Number.isFinite)) {
    throw new Error(`${fn}: steps must be a count or a non-empty list of finite fractions t, got ${JSON.stringify(ts)}.`);
  }
  return ts;
}

/** Flat dot products and norms of two same-shaped tensors, read back in one sync. */
function dotAndNorms(z0: tf.Tensor, z1: tf.Tensor): { dot: number; norm0: number; norm1: number } {
  const values = tf.tidy(() => {
    const a = tf.cast(z0, "float32").flatten();
    const b = tf.cast(z1, "float32").flatten();
    return tf.stack([tf.sum(tf.mul(a, b)), tf.norm(a), tf.norm(b)]);
  });
  const [dot, norm0, norm1] = Array.from(values.dataSync());
  values.dispose();
  return { dot, norm0, norm1 };
}

/**
 * The angle Ω between z0 and z1 (radians, in [0, π]): cos Ω = z0·z1 / (‖z0‖‖z1‖). Throws for a zero vector,
 * which has no direction.
 */
export function latentAngle(z0: tf.Tensor, z1: tf.Tensor): number {
  assertSameShape(z0, z1, "latentAngle");
  const { dot, norm0, norm1 } = dotAndNorms(z0, z1);
  if (!(norm0 > 0) || !(norm1 > 0)) {
    throw new Error(`latentAngle: a zero (or non-finite) vector has no direction (norms ${norm0} and ${norm1}).`);
  }
  return Math.acos(Math.min(1, Math.max(-1, dot / (norm0 * norm1))));
}

/**
 * The weights (w0, w1) with slerp(z0, z1; t) = w0·z0 + w1·z1 (White 2016):
 *   w0 = sin((1 − t)Ω) / sin Ω,  w1 = sin(tΩ) / sin Ω,
 * and (1 − t, t) when z0 and z1 are parallel (sin Ω ≈ 0 with Ω ≈ 0), the limit of those weights.
 */
export function slerpWeights(omega: number, t: number): [number, number] {
  const sinOmega = Math.sin(omega);
  if (Math.abs(sinOmega) < PARALLEL_SINE) return [1 - t, t];
  return [Math.sin((1 - t) * omega) / sinOmega, Math.sin(t * omega) / sinOmega];
}

/**
 * Points on the path from z0 to z1, stacked: the result has shape [n, ...z0.shape], row i being the point at
 * fraction t_i. `steps` is a count n ≥ 2 (t_i = i/(n − 1), so the first row is z0 and the last z1 exactly) or
 * an explicit list of fractions.
 *
 * - "linear": (1 − t)·z0 + t·z1 (Radford et al. 2015, section 6.1).
 * - "slerp": spherical linear interpolation, White 2016 ("Sampling Generative Networks"): the angle to z0 grows
 *   linearly in t, and for ‖z0‖ = ‖z1‖ every point keeps that norm. Vectors of different norms are handled as
 *   in White's code (the weights come from the angle only; the norm then varies smoothly between the two).
 *   Opposite vectors (Ω = π) have no unique great circle and are rejected.
 */
export function interpolate(
  z0: tf.Tensor, z1: tf.Tensor, steps: number | ArrayLike<number>, method: InterpolationMethod = "linear",
): tf.Tensor {
  assertSameShape(z0, z1, "interpolate");
  if (method !== "linear" && method !== "slerp") {
    throw new Error(`interpolate: method must be "linear" or "slerp", got ${JSON.stringify(method)}.`);
  }
  const ts = interpolationFractions(steps, "interpolate");
  let weights: [number, number][];
  if (method === "linear") {
    weights = ts.map((t) => [1 - t, t]);
  } else {
    const omega = latentAngle(z0, z1);
    if (Math.abs(Math.sin(omega)) < PARALLEL_SINE && omega > Math.PI / 2) {
      throw new Error(
        "interpolate: z0 and z1 point in opposite directions, so no great circle joins them uniquely; " +
          "use \"linear\" or pick another pair.",
      );
    }
    weights = ts.map((t) => slerpWeights(omega, t));
  }
  return tf.tidy(() => {
    const a = tf.cast(z0, "float32");
    const b = tf.cast(z1, "float32");
    // Endpoints are copied rather than computed, so that G(path[0]) is G(z0) bit for bit.
    const rows = weights.map(([w0, w1]) => {
      if (w0 === 1 && w1 === 0) return a.clone();
      if (w0 === 0 && w1 === 1) return b.clone();
      return tf.add(tf.mul(a, w0), tf.mul(b, w1));
    });
    return tf.stack(rows);
  });
}

/** Checks a concept group: [n, ...] with n ≥ 1 latents. */
function assertGroup(group: tf.Tensor, name: string): void {
  if (!(group instanceof tf.Tensor) || group.rank < 2) {
    const got = group instanceof tf.Tensor ? `shape [${group.shape}]` : typeof group;
    throw new Error(
      `latentArithmetic: ${name} must be a batch of latents [n, ...latentShape], got ${got}. ` +
        "Stack the vectors of one concept along the first axis (Radford et al. average three).",
    );
  }
  if (group.shape[0] < 1) {
    throw new Error(`latentArithmetic: ${name} holds no latent; give at least one (Radford et al. average three).`);
  }
}

/** The mean of a concept's latents, [n, ...shape] → [...shape]: the paper's "average Z vector". */
export function conceptMean(latents: tf.Tensor): tf.Tensor {
  assertGroup(latents, "conceptMean's input");
  return tf.tidy(() => tf.mean(tf.cast(latents, "float32"), 0));
}

/**
 * Vector arithmetic on averaged latents (Radford et al. 2015, section 6.3.2, figure 7):
 *   mean(a) − mean(b) + mean(c),
 * e.g. a = "smiling woman", b = "neutral woman", c = "neutral man" gives a smiling man. Each argument is a
 * batch [n, ...latentShape] of latents showing one concept; the groups may differ in n but not in the latent
 * shape. The paper averages three latents per concept, because single vectors gave unstable results; one is
 * accepted here so that the difference can be seen. Returns one latent, [...latentShape].
 */
export function latentArithmetic(a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Tensor {
  assertGroup(a, "a");
  assertGroup(b, "b");
  assertGroup(c, "c");
  const latentShape = a.shape.slice(1);
  for (const [name, group] of [["b", b], ["c", c]] as const) {
    if (!tf.util.arraysEqual(group.shape.slice(1), latentShape)) {
      throw new Error(
        `latentArithmetic: the groups must hold latents of one shape; a has [${latentShape}] per latent, ` +
          `${name} has [${group.shape.slice(1)}].`,
      );
    }
  }
  return tf.tidy(() => tf.add(tf.sub(conceptMean(a), conceptMean(b)), conceptMean(c)));
}
