import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { outsideGradientTape } from "../../lib/engine/tape";

describe("engine/tape", () => {
  it("what is computed outside the tape is a constant to the gradient", () => {
    // f(x) = x · c with c = x² computed off the tape: df/dx = c = x² (it would be 3x² on the tape).
    const x = tf.scalar(2);
    const g = tf.grad((v: tf.Tensor) => tf.mul(v, outsideGradientTape(() => tf.square(v))))(x);
    assert.equal(g.dataSync()[0], 4);
    const onTape = tf.grad((v: tf.Tensor) => tf.mul(v, tf.square(v)))(x);
    assert.equal(onTape.dataSync()[0], 12);
    tf.dispose([x, g, onTape]);
  });

  it("a gradient taken inside leaves the outer tape as it was", () => {
    const x = tf.scalar(3);
    let inner = NaN;
    const outer = tf.grad((v: tf.Tensor) => {
      outsideGradientTape(() => { inner = tf.grad((u: tf.Tensor) => tf.square(u))(tf.scalar(5)).dataSync()[0]; });
      return tf.square(v);
    })(x);
    assert.equal(inner, 10);
    assert.equal(outer.dataSync()[0], 6);
    tf.dispose([x, outer]);
  });

  it("restores the tape when the function throws", () => {
    const x = tf.scalar(1);
    const g = tf.grad((v: tf.Tensor) => {
      assert.throws(() => outsideGradientTape(() => { throw new Error("inside"); }), /inside/);
      return tf.mul(v, 7);
    })(x);
    assert.equal(g.dataSync()[0], 7);
    tf.dispose([x, g]);
  });
});
