/**
 * Every layer the course uses, forward and backward, on wasm against the pure-JS cpu backend.
 *
 * For each layer: the same weights and input on both backends (moved as plain arrays); the loss
 * L = Σ r ⊙ layer(x) with a fixed random r; compared are the output, ∂L/∂x and ∂L/∂w for every trainable
 * weight. Tolerance: max |wasm − cpu| ≤ 1e-4 · max(1, max |cpu|) per tensor.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend, BackendChoice } from "../../lib/engine/backend";
import { makeRandom, seed, restoreMathRandom } from "../../lib/engine/seed";

const REL_TOL = 1e-4;

interface Arr {
  data: Float32Array;
  shape: number[];
}

interface LayerCase {
  name: string;
  make: () => tf.layers.Layer;
  inputShape: number[];
  /** Integer inputs in [0, intInput) (embedding); no input gradient then. */
  intInput?: number;
  /** Call with `training: true` (batch norm statistics, dropout). */
  training?: boolean;
}

const CASES: LayerCase[] = [
  { name: "dense", make: () => tf.layers.dense({ units: 24 }), inputShape: [6, 40] },
  { name: "dense without bias, 3-D input", make: () => tf.layers.dense({ units: 5, useBias: false }), inputShape: [3, 4, 7] },
  { name: "conv2d 3x3 stride 1 same", make: () => tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same" }), inputShape: [2, 8, 8, 3] },
  { name: "conv2d 3x3 stride 1 valid", make: () => tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "valid" }), inputShape: [2, 8, 8, 3] },
  { name: "conv2d 4x4 stride 2 same", make: () => tf.layers.conv2d({ filters: 8, kernelSize: 4, strides: 2, padding: "same" }), inputShape: [2, 14, 14, 2] },
  { name: "conv2d 3x3 stride 2 valid", make: () => tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: "valid" }), inputShape: [3, 9, 9, 4] },
  { name: "conv2d 5x5 stride 2 same, wide", make: () => tf.layers.conv2d({ filters: 32, kernelSize: 5, strides: 2, padding: "same" }), inputShape: [4, 14, 14, 16] },
  { name: "conv2dTranspose 4x4 stride 2 same", make: () => tf.layers.conv2dTranspose({ filters: 4, kernelSize: 4, strides: 2, padding: "same" }), inputShape: [2, 7, 7, 6] },
  { name: "conv2dTranspose 3x3 stride 2 valid", make: () => tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: "valid" }), inputShape: [2, 5, 5, 4] },
  { name: "upSampling2d", make: () => tf.layers.upSampling2d({ size: [2, 2] }), inputShape: [2, 4, 5, 3] },
  { name: "batchNormalization (dense features, training)", make: () => tf.layers.batchNormalization({ momentum: 0.8 }), inputShape: [16, 10], training: true },
  { name: "batchNormalization (conv features, training)", make: () => tf.layers.batchNormalization({ momentum: 0.8 }), inputShape: [4, 5, 5, 3], training: true },
  { name: "batchNormalization (inference)", make: () => tf.layers.batchNormalization({}), inputShape: [8, 6] },
  { name: "layerNormalization", make: () => tf.layers.layerNormalization({}), inputShape: [6, 12] },
  { name: "layerNormalization (conv features)", make: () => tf.layers.layerNormalization({ axis: -1 }), inputShape: [2, 4, 4, 5] },
  { name: "embedding", make: () => tf.layers.embedding({ inputDim: 10, outputDim: 8 }), inputShape: [5, 3], intInput: 10 },
  { name: "averagePooling2d 2x2", make: () => tf.layers.averagePooling2d({ poolSize: 2 }), inputShape: [2, 6, 6, 3] },
  { name: "averagePooling2d 3x3 stride 2 same", make: () => tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: "same" }), inputShape: [2, 7, 7, 2] },
  { name: "leakyReLU 0.2", make: () => tf.layers.leakyReLU({ alpha: 0.2 }), inputShape: [6, 20] },
  { name: "activation tanh", make: () => tf.layers.activation({ activation: "tanh" }), inputShape: [6, 20] },
  { name: "activation sigmoid", make: () => tf.layers.activation({ activation: "sigmoid" }), inputShape: [6, 20] },
  { name: "activation relu", make: () => tf.layers.activation({ activation: "relu" }), inputShape: [6, 20] },
  { name: "flatten", make: () => tf.layers.flatten(), inputShape: [3, 4, 4, 2] },
  { name: "reshape", make: () => tf.layers.reshape({ targetShape: [7, 7, 2] }), inputShape: [3, 98] },
];

function randomArr(rand: () => number, shape: number[], scale = 1): Arr {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (rand() * 2 - 1) * scale;
  return { data, shape };
}

/** Runs `f` in a tf.tidy scope and returns its plain (non-tensor) result. */
function tidyPlain<T>(f: () => T): T {
  let result!: T;
  tf.tidy(() => {
    result = f();
  });
  return result;
}

function toArr(t: tf.Tensor): Arr {
  return { data: Float32Array.from(t.dataSync()), shape: t.shape.slice() };
}

function assertClose(actual: Arr, expected: Arr, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < expected.data.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected.data[i]));
    const d = Math.abs(actual.data[i] - expected.data[i]);
    if (!(d <= maxDiff)) maxDiff = d; // NaN-safe
  }
  const tol = REL_TOL * Math.max(1, maxRef);
  assert.ok(maxDiff <= tol, `${what}: max |wasm - cpu| = ${maxDiff} > ${tol}`);
}

interface LayerRun {
  output: Arr;
  /** ∂L/∂x (absent for integer inputs), then ∂L/∂w in the layer's trainable-weight order. */
  grads: { name: string; value: Arr }[];
}

/**
 * Builds the layer on `backend`, sets `weights` (or records fresh ones into it), and returns output and
 * gradients of Σ r ⊙ layer(x).
 */
async function runLayer(backend: BackendChoice, c: LayerCase, x: Arr, weights: Arr[] | null, rand: () => number, rSeed: number): Promise<{ run: LayerRun; weights: Arr[] }> {
  await useBackend(backend);
  const layer = c.make();
  const xT = c.intInput ? tf.tensor(Int32Array.from(x.data), x.shape, "int32") : tf.tensor(x.data, x.shape);
  tf.tidy(() => void layer.apply(xT)); // builds the weights
  let used: Arr[];
  if (weights) {
    layer.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
    used = weights;
  } else {
    // Non-trivial values for every weight (γ, β, moving statistics too), so each one is exercised.
    used = layer.weights.map((w) => {
      const a = randomArr(rand, w.shape as number[], 0.5);
      if (/moving_variance|gamma/.test(w.name)) for (let i = 0; i < a.data.length; i++) a.data[i] = 1 + a.data[i] * 0.5;
      return a;
    });
    layer.setWeights(used.map((w) => tf.tensor(w.data, w.shape)));
  }
  const rRand = makeRandom(rSeed);
  const run = tidyPlain(() => {
    const xVar = c.intInput ? null : tf.variable(xT as tf.Tensor, true);
    const trainable = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const varList = [...(xVar ? [xVar] : []), ...trainable];
    let output: tf.Tensor | null = null;
    const { grads } = tf.variableGrads(() => {
      const y = layer.apply(xVar ?? xT, { training: c.training ?? false }) as tf.Tensor;
      output = tf.keep(y.clone());
      const r = tf.tensor(randomArr(rRand, y.shape).data, y.shape);
      return tf.sum(tf.mul(y, r)) as tf.Scalar;
    }, varList);
    const result: LayerRun = {
      output: toArr(output!),
      grads: [
        ...(xVar ? [{ name: "input", value: toArr(grads[xVar.name]) }] : []),
        ...layer.trainableWeights.map((w, i) => ({ name: w.name, value: toArr(grads[trainable[i].name]) })),
      ],
    };
    tf.dispose(output!);
    xVar?.dispose();
    return result;
  });
  xT.dispose();
  layer.dispose();
  return { run, weights: used };
}

describe("engine/layers on wasm vs cpu (forward and backward)", function () {
  after(async () => {
    restoreMathRandom();
    await useBackend("wasm");
  });

  CASES.forEach((c, k) => {
    it(c.name, async () => {
      const rand = makeRandom(100 + k);
      const x: Arr = c.intInput
        ? { data: Float32Array.from({ length: c.inputShape.reduce((a, b) => a * b, 1) }, () => Math.floor(rand() * c.intInput!)), shape: c.inputShape }
        : randomArr(rand, c.inputShape);
      const cpu = await runLayer("cpu", c, x, null, rand, 7 + k);
      const wasm = await runLayer("wasm", c, x, cpu.weights, rand, 7 + k);
      assertClose(wasm.run.output, cpu.run.output, `${c.name}: output`);
      const shortName = (g: { name: string }) => g.name.split("/").pop();
      assert.deepEqual(wasm.run.grads.map(shortName), cpu.run.grads.map(shortName));
      cpu.run.grads.forEach((g, i) => assertClose(wasm.run.grads[i].value, g.value, `${c.name}: gradient w.r.t. ${g.name}`));
    });
  });

  it("dropout: same seed gives the same mask on both backends; kept units are scaled by exactly 1/(1-rate)", async () => {
    const rate = 0.3;
    const shape = [32, 50];
    const x = randomArr(makeRandom(5), shape);
    const runs: { out: Arr; grad: Arr }[] = [];
    for (const backend of ["cpu", "wasm"] as const) {
      await useBackend(backend);
      seed(1234);
      const layer = tf.layers.dropout({ rate });
      const res = tidyPlain(() => {
        const xT = tf.tensor(x.data, x.shape);
        let out: tf.Tensor | null = null;
        const grad = tf.grad((v: tf.Tensor) => {
          const y = layer.apply(v, { training: true }) as tf.Tensor;
          out = tf.keep(y.clone());
          return y.sum();
        })(xT);
        const r = { out: toArr(out!), grad: toArr(grad) };
        tf.dispose(out!);
        return r;
      });
      runs.push(res);
    }
    restoreMathRandom();
    const [cpu, wasm] = runs;
    assertClose(wasm.out, cpu.out, "dropout output");
    assertClose(wasm.grad, cpu.grad, "dropout gradient");
    const scale = 1 / (1 - rate);
    let dropped = 0;
    for (let i = 0; i < x.data.length; i++) {
      const g = wasm.grad.data[i];
      if (g === 0) {
        dropped++;
        assert.ok(wasm.out.data[i] === 0, `dropped unit output ${wasm.out.data[i]} != 0`);
      } else {
        assert.ok(Math.abs(g - scale) <= 1e-6 * scale, `kept unit gradient ${g} != 1/(1-rate) = ${scale}`);
        assert.ok(Math.abs(wasm.out.data[i] - x.data[i] * scale) <= 1e-6 * Math.max(1, Math.abs(x.data[i] * scale)));
      }
    }
    // 1600 units, each dropped with probability 0.3: mean 480, sd ≈ 18.3; ±5 sd.
    const n = x.data.length;
    const sd = Math.sqrt(n * rate * (1 - rate));
    assert.ok(Math.abs(dropped - n * rate) <= 5 * sd, `dropped ${dropped} of ${n}, expected ${n * rate} ± ${5 * sd}`);
  });

  it("a DCGAN-style generator and critic, trained one step, agree on both backends", async () => {
    const build = () => {
      const g = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [8], units: 4 * 7 * 7 }),
          tf.layers.reshape({ targetShape: [7, 7, 4] }),
          tf.layers.upSampling2d({ size: [2, 2] }),
          tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same" }),
          tf.layers.batchNormalization({ momentum: 0.8 }),
          tf.layers.activation({ activation: "relu" }),
          tf.layers.conv2dTranspose({ filters: 4, kernelSize: 4, strides: 2, padding: "same" }),
          tf.layers.batchNormalization({ momentum: 0.8 }),
          tf.layers.leakyReLU({ alpha: 0.2 }),
          tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: "same", activation: "tanh" }),
          tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "same" }),
          tf.layers.leakyReLU({ alpha: 0.2 }),
          tf.layers.dropout({ rate: 0.25 }),
          tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: "same" }),
          tf.layers.layerNormalization({}),
          tf.layers.averagePooling2d({ poolSize: 2, padding: "same" }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1, activation: "sigmoid" }),
        ],
      });
      return g;
    };
    const z = randomArr(makeRandom(9), [6, 8]);
    const results: Arr[][] = [];
    let weights: Arr[] | null = null;
    for (const backend of ["cpu", "wasm"] as const) {
      await useBackend(backend);
      seed(42);
      const model = build();
      if (!weights) weights = model.getWeights().map(toArr);
      else model.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
      seed(43); // same dropout mask on both backends
      const out = tidyPlain(() => {
        const zT = tf.tensor(z.data, z.shape);
        const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(() => (model.apply(zT, { training: true }) as tf.Tensor).log().mean() as tf.Scalar, vars);
        return [toArr(value), ...vars.map((v) => toArr(grads[v.name]))];
      });
      results.push(out);
      model.dispose();
    }
    restoreMathRandom();
    const [cpu, wasm] = results;
    assert.equal(wasm.length, cpu.length);
    cpu.forEach((ref, i) => assertClose(wasm[i], ref, i === 0 ? "loss" : `gradient ${i - 1}`));
  });
});
