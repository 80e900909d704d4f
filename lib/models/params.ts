/**
 * Parameter counts by hand, the way the lessons check that a network has the architecture its paper or
 * chapter describes, and the count of a built model to compare them with; and the check every builder
 * applies to its numeric options.
 */
import type * as tf from "@tensorflow/tfjs";

/** Weights of the layers the course's networks are made of, as Keras's and tfjs's `summary()` count them. */
export const parameterCount = {
  /** Dense(units) on `inputs` features: an inputs × units kernel and a bias. */
  dense: (inputs: number, units: number): number => inputs * units + units,
  /** Conv2D / Conv2DTranspose with a k×k kernel: k·k·inChannels·filters weights and a bias per filter. */
  conv2d: (kernel: number, inChannels: number, filters: number): number => kernel * kernel * inChannels * filters + filters,
  /** BatchNormalization over `channels`: γ and β (trainable) and the moving mean and variance (not). */
  batchNorm: (channels: number): number => 4 * channels,
  /** Embedding(classes, dim): one row per class. */
  embedding: (classes: number, dim: number): number => classes * dim,
};

/** Trainable weights of a model (countParams() also counts batch norm's moving statistics). */
export function trainableParameterCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** A positive number (or integer) option, or an error naming the builder and the option. */
export function positiveOption(value: number, name: string, who: string, integer = false): number {
  if (!(Number.isFinite(value) && value > 0) || (integer && !Number.isInteger(value))) {
    throw new Error(`${who}: ${name} must be a positive ${integer ? "integer" : "number"}, got ${value}.`);
  }
  return value;
}
