/**
 * Custom tfjs layers of the course: subclasses of tf.layers.Layer with a lowercase factory (like
 * `tf.layers.dense`), registered with `tf.serialization.registerClass` so that a saved model holding them
 * loads back with `tf.loadLayersModel` (and so from checkpoints).
 */
export * from "./minibatch-stddev";
export * from "./spectral-norm";
export * from "./minibatch-discrimination";
export * from "./fused-dense";
