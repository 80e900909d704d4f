import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import {
  minibatchDiscrimination, MinibatchDiscrimination, minibatchSimilarity, MINIBATCH_DISCRIMINATION_DEFAULTS,
} from "../../lib/layers/minibatch-discrimination";
import { assertSavesAndLoads } from "./round-trip";
import { seed } from "../../lib/engine/seed";

const values = (t: tf.Tensor) => Array.from(t.dataSync());

function close(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}

/** A built layer with T and the bias set by hand. */
function layerWith(kernel: tf.Tensor3D, bias: number[]): MinibatchDiscrimination {
  const [a, b, c] = kernel.shape;
  const layer = minibatchDiscrimination({ kernels: b, kernelDims: c });
  layer.build([null, a]);
  layer.setWeights([kernel, tf.tensor1d(bias)]);
  return layer;
}

describe("layers/minibatch-discrimination (Salimans et al. 2016, section 3.2)", () => {
  it("appends B features: [n, A] → [n, A + B], the input passing through; the reference's defaults", () => {
    const x = tf.randomNormal([8, 6], 0, 1, "float32", 1);
    const layer = minibatchDiscrimination();
    const y = layer.apply(x) as tf.Tensor;
    assert.deepEqual(y.shape, [8, 6 + 100]);
    assert.deepEqual(values(tf.slice(y, [0, 0], [8, 6])), values(x));
    const [kernel, bias] = layer.getWeights();
    assert.deepEqual(kernel.shape, [6, 100, 5], "T ∈ R^{A×B×C}, 100 kernels of 5 dims");
    assert.ok(values(bias).every((v) => v === -1), "bias initialised to −1 as the reference");
    const std = Math.sqrt(tf.moments(kernel).variance.dataSync()[0]);
    assert.ok(Math.abs(std - MINIBATCH_DISCRIMINATION_DEFAULTS.kernelStddev) < 0.005, `T ~ N(0, 0.05²): std ${std}`);
    assert.deepEqual(layer.computeOutputShape([null, 6]), [null, 106]);
    assert.equal(layer.trainableWeights.length, 2);
    tf.dispose([x, y, kernel, bias]);
  });

  it("a hand-computed case: 3 examples, 2 kernels of 1 dimension", () => {
    // f = [[1, 0], [0, 1], [1, 1]]; kernel 0 projects on [1, 0], kernel 1 on [1, 1]:
    //   M_{·,0} = [1, 0, 1], M_{·,1} = [1, 1, 2].
    // o_0 = [e⁻¹ + e⁰, e⁻¹ + e⁻¹, e⁰ + e⁻¹], o_1 = [e⁰ + e⁻¹, e⁰ + e⁻¹, e⁻¹ + e⁻¹] (self-pairs left out),
    // then the biases 0.5 and −1.
    const e = Math.exp(-1);
    const x = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const kernel = tf.tensor3d([[[1], [1]], [[0], [1]]]); // T[a, b, 0]
    const y = values(layerWith(kernel, [0.5, -1]).apply(x) as tf.Tensor);
    const o = [[e + 1, 1 + e], [2 * e, 1 + e], [1 + e, 2 * e]];
    o.forEach(([o0, o1], i) => {
      assert.deepEqual(y.slice(4 * i, 4 * i + 2), values(x).slice(2 * i, 2 * i + 2), `row ${i} passes through`);
      close(y[4 * i + 2], o0 + 0.5, `o(x_${i})_0`);
      close(y[4 * i + 3], o1 - 1, `o(x_${i})_1`);
    });
    tf.dispose([x, kernel]);
  });

  it("is permutation-equivariant over the batch: permuting the inputs permutes the outputs", () => {
    const x = tf.randomNormal([6, 4], 0, 1, "float32", 2);
    const layer = minibatchDiscrimination({ kernels: 7, kernelDims: 3 });
    const y = layer.apply(x) as tf.Tensor;
    const order = [3, 0, 5, 1, 4, 2];
    const permuted = layer.apply(tf.gather(x, order)) as tf.Tensor;
    const want = values(tf.gather(y, order)), got = values(permuted);
    got.forEach((v, k) => close(v, want[k], `entry ${k}`));
    tf.dispose([x, y, permuted]);
  });

  it("identical samples give the maximal similarity n − 1 (+ bias); a single sample gives 0 (+ bias)", () => {
    seed(72); // the layer's T: a fixed draw, so the bounds below do not depend on the tests run before
    const layer = minibatchDiscrimination({ kernels: 4, kernelDims: 3 });
    const same = tf.tile(tf.randomNormal([1, 5], 0, 1, "float32", 3), [6, 1]);
    const o = values(tf.slice(layer.apply(same) as tf.Tensor, [0, 5], [6, 4]));
    o.forEach((v, k) => close(v, 6 - 1 - 1, `identical, entry ${k}`));
    const one = values(tf.slice(layer.apply(tf.randomNormal([1, 5], 0, 1, "float32", 4)) as tf.Tensor, [0, 5], [1, 4]));
    assert.deepEqual(one, [-1, -1, -1, -1], "no other example: 0, plus the bias −1");
    // Spread-out samples sit between: each similarity is in (0, n − 1). (Spread them by a few units only: far
    // apart, every exp(−‖·‖₁) underflows to 0 in float32 and the similarity is exactly the bias.)
    const spread = values(tf.slice(layer.apply(tf.randomNormal([6, 5], 0, 3, "float32", 5)) as tf.Tensor, [0, 5], [6, 4]));
    assert.ok(spread.every((v) => v > -1 && v < 4), `spread-out samples: ${spread}`);
    same.dispose();
  });

  it("its gradient with respect to the inputs and to T matches central differences", () => {
    const [n, a, b, c] = [3, 3, 2, 2];
    const x0 = tf.randomNormal([n, a], 0, 1, "float32", 26) as tf.Tensor2D;
    // T of unit scale, so that the distances are O(1) and exp(−d) is far from flat.
    const t0 = tf.randomNormal([a, b, c], 0, 1, "float32", 27) as tf.Tensor3D;
    const w = tf.randomNormal([n, b], 0, 1, "float32", 8);
    // |·| has a kink where two projections coincide, and a central difference across it is wrong (seeds 6 and 7
    // put two of them 0.005 apart): at this point every |M_{i,b,d} − M_{j,b,d}| is at least 0.3, far beyond h.
    const m = (tf.matMul(x0, tf.reshape(t0, [a, b * c])) as tf.Tensor2D).arraySync();
    const gaps = [[0, 1], [0, 2], [1, 2]].flatMap(([i, j]) => m[i].map((v, k) => Math.abs(v - m[j][k])));
    assert.ok(Math.min(...gaps) > 0.3, `the test point is away from the kinks: ${Math.min(...gaps)}`);
    const f = (x: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(minibatchSimilarity(x as tf.Tensor2D, t as tf.Tensor3D), w));
    const [gx, gt] = tf.grads(f)([x0, t0]).map(values);
    const h = 5e-3;
    const check = (base: number[], shape: number[], analytic: number[], at: (v: tf.Tensor) => number, what: string) => {
      base.forEach((_, k) => {
        const shifted = (d: number) => { const v = [...base]; v[k] += d; return tf.tidy(() => at(tf.tensor(v, shape))); };
        const numeric = (shifted(h) - shifted(-h)) / (2 * h);
        assert.ok(Math.abs(analytic[k] - numeric) < 2e-2 * (1 + Math.abs(numeric)), `${what} entry ${k}: ${analytic[k]} vs ${numeric}`);
      });
      assert.ok(analytic.some((g) => Math.abs(g) > 1e-2), `${what}: the gradient is not trivially zero`);
    };
    check(values(x0), [n, a], gx, (x) => f(x, t0).dataSync()[0], "∂/∂x");
    check(values(t0), [a, b, c], gt, (t) => f(x0, t).dataSync()[0], "∂/∂T");
    // Through the layer, with respect to its variables: the bias's gradient is Σ_i w_i (o is linear in it).
    const layer = layerWith(t0, [0, 0]);
    const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.slice(layer.apply(x0) as tf.Tensor, [0, a], [n, b]), w)) as tf.Scalar, vars);
    values(grads[vars[0].name]).forEach((g, k) => close(g, gt[k], `layer ∂/∂T entry ${k}`, 1e-4));
    values(grads[vars[1].name]).forEach((g, k) => close(g, values(tf.sum(w, 0))[k], `layer ∂/∂bias ${k}`));
    tf.dispose([x0, t0, w, ...Object.values(grads)]);
  });

  it("a model holding it saves and loads back (registered for serialization)", async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 4, inputShape: [2] }), minibatchDiscrimination({ kernels: 3, kernelDims: 2 }), tf.layers.dense({ units: 1 })],
    });
    const x = tf.randomNormal([5, 2], 0, 1, "float32", 9);
    await assertSavesAndLoads(model, x, (loaded) => {
      const layer = loaded.layers[1] as MinibatchDiscrimination;
      assert.equal(layer.getClassName(), "TsganMinibatchDiscrimination");
      assert.deepEqual([layer.kernels, layer.kernelDims], [3, 2]);
    });
    x.dispose();
  });

  it("says what is wrong with a bad option, a feature-map input or a batch too large for its pairwise tensor", () => {
    assert.throws(() => minibatchDiscrimination({ kernels: 0 }), /kernels must be a positive integer, got 0/);
    assert.throws(() => minibatchDiscrimination({ kernelDims: 2.5 }), /kernelDims must be a positive integer, got 2.5/);
    assert.throws(() => minibatchDiscrimination().apply(tf.zeros([2, 3, 3, 1])), /takes \[n, features\] inputs.*tf\.layers\.flatten\(\)/);
    const layer = minibatchDiscrimination();
    assert.throws(() => layer.apply(tf.zeros([1024, 2])), /batch of 1024 take n²·B·C = 524288000 floats \(2000 MB\); use a batch of at most 518/);
  });
});
