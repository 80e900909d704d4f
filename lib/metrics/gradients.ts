/**
 * Gradient norms through the depth of a network: Gulrajani et al. 2017, figure 1b, plots the norm of the
 * critic loss's gradient with respect to each successive layer of activations, to show that weight clipping
 * makes it explode or vanish through a deep critic and the gradient penalty does not.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * For a `tf.Sequential` network and a loss of its outputs, ‖∂loss/∂h_k‖ for the output h_k of every layer k
 * (1-based order; the last entry is the output itself). `inputs` is a list of batches whose outputs the loss
 * combines (a critic's loss takes the real and the generated batch: `(out) => mean(out[1]) − mean(out[0])`);
 * the norm is taken over all of them together. Inference mode; nothing is trained.
 */
export function activationGradientNorms(
  model: tf.Sequential, inputs: tf.Tensor[], loss: (outputs: tf.Tensor[]) => tf.Scalar,
): number[] {
  if (!(model instanceof tf.Sequential)) throw new Error("activationGradientNorms: expects a tf.Sequential network (layer after layer).");
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error("activationGradientNorms: give at least one input batch.");
  const layers = model.layers;
  return tf.tidy(() => {
    // The activations of every layer for every input batch, computed once.
    const activations = inputs.map((x) => {
      const hs: tf.Tensor[] = [];
      let h = x;
      for (const layer of layers) {
        h = layer.apply(h, { training: false }) as tf.Tensor;
        hs.push(h);
      }
      return hs;
    });
    const norms: number[] = [];
    for (let k = 0; k < layers.length; k++) {
      // The rest of the network, from layer k's output on.
      const rest = (h: tf.Tensor) => {
        let y = h;
        for (let j = k + 1; j < layers.length; j++) y = layers[j].apply(y, { training: false }) as tf.Tensor;
        return y;
      };
      const grads = tf.grads((...hs: tf.Tensor[]) => loss(hs.map(rest)))(activations.map((a) => a[k]));
      norms.push(Math.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
    }
    return norms;
  });
}
