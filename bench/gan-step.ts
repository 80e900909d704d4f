/**
 * One GAN training step for the benchmark: one discriminator update, then one generator update, as in
 * Goodfellow et al. 2014 (Algorithm 1 with k = 1) and the book chapter's loop.
 *
 *   D step: z ~ N(0, I); fake = G(z) (not differentiated);
 *           L_D = BCE(D(real), 1) + BCE(D(fake), 0)   on logits: mean softplus(−l_real) + mean softplus(l_fake)
 *   G step: a fresh z; L_G = BCE(D(G(z)), 1) = mean softplus(−D(G(z)))   (the non-saturating cost)
 *
 * Both players use Adam(2e-4, beta1 0.5), the chapter's (and Radford et al. 2015's) setting. Every layer runs
 * in training mode (batch statistics in BN, dropout on) in both updates, as PyTorch's train() mode does.
 * Each update differentiates only its own player's trainable variables.
 *
 * This is the benchmark's stand-in until lib/train's step exists; it uses the same primitives
 * (tf.variableGrads, optimizer.applyGradients) and makes nothing outside its tf.tidy but the two losses.
 */
import * as tf from "@tensorflow/tfjs";

export interface GanStepConfig {
  generator: tf.LayersModel;
  discriminator: tf.LayersModel;
  latentDim: number;
  batchSize: number;
  learningRate?: number;
  beta1?: number;
}

export interface GanStepLosses {
  dLoss: tf.Scalar;
  gLoss: tf.Scalar;
}

export interface GanStep {
  /** Runs one D update and one G update on a batch of real images; the caller disposes the two losses. */
  (real: tf.Tensor): GanStepLosses;
  /** Frees the optimizers' slot variables. */
  dispose(): void;
}

function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Mean binary cross-entropy against label 1 of sigmoid(logits): mean softplus(−logits), stable for any logit. */
function bceWithLogitsOnes(logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.softplus(tf.neg(logits)));
}

/** Mean binary cross-entropy against label 0 of sigmoid(logits): mean softplus(logits). */
function bceWithLogitsZeros(logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.softplus(logits));
}

export function makeGanStep(cfg: GanStepConfig): GanStep {
  const { generator: G, discriminator: D, latentDim, batchSize } = cfg;
  const lr = cfg.learningRate ?? 2e-4;
  const beta1 = cfg.beta1 ?? 0.5;
  // Typed as the base class, whose applyGradients takes the gradient map tf.variableGrads returns.
  const dOptimizer: tf.Optimizer = tf.train.adam(lr, beta1);
  const gOptimizer: tf.Optimizer = tf.train.adam(lr, beta1);
  const dVars = trainableVariables(D);
  const gVars = trainableVariables(G);
  const train = { training: true };

  const step = ((real: tf.Tensor): GanStepLosses =>
    tf.tidy(() => {
      tf.util.assert(real.shape[0] === batchSize, () => `gan step: expected a batch of ${batchSize} real images, got ${real.shape[0]}.`);
      // D step. The fake batch is made before the tape starts: D's update does not reach into G.
      const fake = G.apply(tf.randomNormal([batchSize, latentDim]), train) as tf.Tensor;
      const d = tf.variableGrads(
        () => tf.add(bceWithLogitsOnes(D.apply(real, train) as tf.Tensor), bceWithLogitsZeros(D.apply(fake, train) as tf.Tensor)) as tf.Scalar,
        dVars,
      );
      dOptimizer.applyGradients(d.grads);
      // G step: gradients flow through D into G, but only G's variables are updated.
      const z = tf.randomNormal([batchSize, latentDim]);
      const g = tf.variableGrads(() => bceWithLogitsOnes(D.apply(G.apply(z, train) as tf.Tensor, train) as tf.Tensor), gVars);
      gOptimizer.applyGradients(g.grads);
      return { dLoss: d.value, gLoss: g.value };
    })) as GanStep;
  step.dispose = () => {
    dOptimizer.dispose();
    gOptimizer.dispose();
  };
  return step;
}
