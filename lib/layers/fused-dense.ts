/**
 * `fusedDense`: tf.layers.dense with its activation — ReLU, or leaky ReLU with a slope — computed as one op
 * forward and one backward (lib/engine/fused-dense.ts), for networks whose step time is per-op overhead (the
 * toy MLPs of chapters 1–4 run ~20 engine ops per Dense + LeakyReLU pair under a gradient tape).
 *
 * It IS a Dense layer (a subclass of tfjs-layers' own): the same weights in the same order with the same
 * initialisers, so a seed gives the same network, checkpoints restore by index as before, and the numbers
 * equal those of `dense` followed by `leakyReLU` bit for bit on wasm (the tests check). Only `call` differs,
 * and only for 2-D inputs with a linear, ReLU or leaky-ReLU activation; anything else is Dense's own path
 * (with the leaky ReLU applied after it).
 */
import * as tf from "@tensorflow/tfjs";
import { denseActivation, FusedDenseActivation } from "../engine/fused-dense";

type DenseArgs = Parameters<typeof tf.layers.dense>[0];

export interface FusedDenseArgs extends DenseArgs {
  /**
   * When set, a leaky ReLU with this slope for x < 0 follows the affine map (Maas et al. 2013); the
   * `activation` must then be linear (the default). Must be >= 0.
   */
  leakyAlpha?: number;
}

/** The fields of tfjs-layers' Dense that `call` reads (its class is not exported under a type). */
interface DenseInternals {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
}

// tfjs-layers' Dense class, reached through its factory; the explicit name takes no unique-name counter.
const Dense = tf.layers.dense({ units: 1, name: "tsgan_fused_dense_probe" }).constructor as new (args: DenseArgs) => tf.layers.Layer;

export class FusedDense extends Dense {
  static className = "TsganFusedDense";
  readonly leakyAlpha: number | null;

  constructor(args: FusedDenseArgs) {
    const { leakyAlpha, ...denseArgs } = args;
    super(denseArgs);
    if (leakyAlpha != null) {
      if (!(Number.isFinite(leakyAlpha) && leakyAlpha >= 0)) {
        throw new Error(`fusedDense: leakyAlpha must be a finite number >= 0, got ${leakyAlpha}.`);
      }
      const activation = (this as unknown as DenseInternals).activation.getClassName();
      if (activation !== "linear") {
        throw new Error(`fusedDense: leakyAlpha replaces the activation; leave activation unset (got "${args.activation}").`);
      }
    }
    this.leakyAlpha = leakyAlpha ?? null;
  }

  /** The fused op's activation for this layer, or null when Dense's own path must run. */
  private fusedActivation(): FusedDenseActivation | null {
    if (this.leakyAlpha !== null) return "leakyRelu";
    const name = (this as unknown as DenseInternals).activation.getClassName();
    if (name === "linear") return "linear";
    if (name === "relu") return "relu";
    return null;
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const activation = this.fusedActivation();
    const self = this as unknown as DenseInternals;
    if (x.rank === 2 && activation !== null) {
      return tf.tidy(() => denseActivation(x, self.kernel.read(), self.bias?.read(), activation, this.leakyAlpha ?? 0));
    }
    const y = super.call(inputs, kwargs) as tf.Tensor;
    if (this.leakyAlpha === null) return y;
    const alpha = this.leakyAlpha;
    return tf.tidy(() => {
      const out = tf.leakyRelu(y, alpha);
      y.dispose();
      return out;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    const config = super.getConfig();
    return this.leakyAlpha === null ? config : { ...config, leakyAlpha: this.leakyAlpha };
  }
}
// Dense has the static fromConfig (new cls(config)) at run time; its type here is only the constructor.
tf.serialization.registerClass(FusedDense as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** A `FusedDense` layer, as `tf.layers.dense(...)` makes a Dense one: `fusedDense({ units: 64, leakyAlpha: 0.2 })`. */
export function fusedDense(args: FusedDenseArgs): FusedDense {
  return new FusedDense(args);
}

/**
 * Whether a layer is a dense layer with a kernel [in, out]: tf.layers' Dense or a FusedDense (whose class name
 * differs, so a filter on `getClassName() === "Dense"` would silently miss the networks tsgan builds).
 */
export function isDenseLayer(layer: { getClassName(): string }): boolean {
  return layer instanceof FusedDense || layer.getClassName() === "Dense";
}
