/**
 * Minibatch standard deviation: Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs for Improved
 * Quality, Stability, and Variation" (ICLR), section 3. A discriminator layer that shows D how varied the
 * batch is, so a generator that collapses to a few samples is easy to spot: "compute the standard deviation
 * for each feature in each spatial location over the minibatch, average these estimates over all features
 * and spatial locations to a single value, replicate it and concatenate it to all spatial locations and over
 * the minibatch, yielding one additional (constant) feature map."
 *
 * As in the paper's code (`minibatch_stddev_layer`, group size 4), the statistic is taken within groups of
 * `groupSize` examples rather than over the whole batch: example i belongs to group i mod (n / groupSize),
 * and the standard deviation is the population one, √(E[(x − E x)²] + 1e-8).
 *
 * Shapes: [n, h, w, c] → [n, h, w, c + 1] (a feature map), or [n, f] → [n, f + 1] (a feature).
 */
import * as tf from "@tensorflow/tfjs";

export interface MinibatchStdDevArgs {
  /** Examples per group; n must be a multiple of min(groupSize, n). Default 4 (Karras et al.). */
  groupSize?: number;
  name?: string;
}

export class MinibatchStdDev extends tf.layers.Layer {
  static className = "TsganMinibatchStdDev";
  readonly groupSize: number;

  constructor(args: MinibatchStdDevArgs = {}) {
    super({ name: args.name });
    const g = args.groupSize ?? 4;
    if (!Number.isInteger(g) || g < 1) throw new Error(`minibatchStdDev: groupSize must be a positive integer, got ${g}.`);
    this.groupSize = g;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const last = shape[shape.length - 1];
    return [...shape.slice(0, -1), last == null ? null : last + 1];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const [n, ...rest] = x.shape;
      if (rest.length !== 1 && rest.length !== 3) {
        throw new Error(`minibatchStdDev: expects [n, features] or [n, h, w, c] inputs, got shape [${x.shape}].`);
      }
      const g = Math.min(this.groupSize, n);
      if (n % g !== 0) {
        throw new Error(`minibatchStdDev: the batch of ${n} is not a multiple of the group size ${g}; use a batch size divisible by it.`);
      }
      const groups = n / g;
      // [g, groups, ...]: the members of group m are examples m, m + groups, m + 2·groups, ...
      const y = tf.reshape(x, [g, groups, ...rest]);
      const centered = tf.sub(y, tf.mean(y, 0, true));
      const std = tf.sqrt(tf.add(tf.mean(tf.square(centered), 0), 1e-8)); // [groups, ...rest]
      const perGroup = tf.mean(std, rest.map((_, i) => i + 1)); // [groups]
      const spatial = rest.slice(0, -1);
      const feature = tf.reshape(
        tf.tile(tf.reshape(perGroup, [1, groups, ...spatial.map(() => 1), 1]), [g, 1, ...spatial, 1]),
        [n, ...spatial, 1],
      );
      return tf.concat([x, feature], -1);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groupSize: this.groupSize };
  }
}
tf.serialization.registerClass(MinibatchStdDev);

/** A `MinibatchStdDev` layer, as `tf.layers.dense(...)` makes a Dense one. */
export function minibatchStdDev(args: MinibatchStdDevArgs = {}): MinibatchStdDev {
  return new MinibatchStdDev(args);
}
