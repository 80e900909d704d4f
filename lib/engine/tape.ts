/**
 * The gradient tape, from the outside. tfjs records every kernel run inside `tf.grad` / `tf.variableGrads`
 * and copies the tensors its gradient will need; code that only produces data for the update (a GAN
 * discriminator's G(z), spectral normalisation's power iteration) should not pay for that.
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs's engine state that say whether kernels are recorded for a gradient (tfjs-core 4.22). */
interface TapeState {
  gradientDepth: number;
  activeTape: unknown[] | null;
}

/**
 * Runs `fn` with the gradient tape off: tfjs records every kernel run inside variableGrads (and copies its
 * saved tensors) while `gradientDepth > 0`; with it at 0 nothing is recorded. The tape is put back
 * afterwards, also when `fn` takes gradients of its own (which would otherwise start over the outer tape).
 */
export function outsideGradientTape<T>(fn: () => T): T {
  const state = (tf.engine() as unknown as { state: TapeState }).state;
  const { gradientDepth, activeTape } = state;
  state.gradientDepth = 0;
  try {
    return fn();
  } finally {
    state.gradientDepth = gradientDepth;
    state.activeTape = activeTape;
  }
}


/**
 * After a function under `tf.grad` / `tf.variableGrads` threw: the tensors its tape saved for the backward pass
 * (kept, so they outlive every tidy) are never released by tfjs 4.22, which leaves the abandoned tape as the
 * engine's active one. This disposes them and drops that tape. Call it in the `catch` of a gradient call;
 * it does nothing inside a gradient that is still being recorded.
 */
export function disposeAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state;
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) if (!t.isDisposed) t.dispose();
  state.activeTape = null;
}
