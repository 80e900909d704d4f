/**
 * Spectral normalisation (Miyato et al. 2018, Algorithm 1): the power iteration against exact singular values,
 * the persistent u (training calls update it, inference calls do not), the normalised kernel's σ, the output
 * and gradient against a float64 reference and central differences, serialisation, cpu vs wasm, leaks, and
 * (when Python has torch) torch.nn.utils.spectral_norm on the same weights and u.
 *
 * Measured numbers are printed (console.log) so the lesson and the issue can quote them.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import {
  SpectralNormConv2D, spectralNormConv2d, SpectralNormDense, spectralNormDense, spectralNormEstimate, SpectralNormLayer, exactSpectralNorm,
} from "../../lib/layers/spectral-norm";
import { symmetricEigen } from "../../lib/metrics/quality";
import { fileSystem } from "../../lib/io/files";
import { engineInfo, useBackend } from "../../lib/engine/backend";
import { makeRandom, restoreMathRandom, seed } from "../../lib/engine/seed";

// ---------------------------------------------------------------------------------------------------------
// float64 references
// ---------------------------------------------------------------------------------------------------------

/** n standard normal draws (Box–Muller on a seeded uniform stream), times `scale`. */
function gaussian(rand: () => number, n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const t = 2 * Math.PI * rand();
    out[i] = r * Math.cos(t) * scale;
    if (i + 1 < n) out[i + 1] = r * Math.sin(t) * scale;
  }
  return out;
}

/** σ_max of the rows×cols row-major matrix K: √ of the largest eigenvalue of the smaller Gram matrix (Jacobi). */
function exactSigmaMax(k: ArrayLike<number>, rows: number, cols: number): number {
  const n = Math.min(rows, cols);
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      if (cols <= rows) for (let i = 0; i < rows; i++) s += k[i * cols + a] * k[i * cols + b]; // KᵀK
      else for (let j = 0; j < cols; j++) s += k[a * cols + j] * k[b * cols + j]; // KKᵀ
      gram[a * n + b] = s;
      gram[b * n + a] = s;
    }
  }
  return Math.sqrt(Math.max(0, symmetricEigen(gram, n).values[0]));
}

/** The kernel as the matrix K = Wᵀ, [in·k·k, out]: the same row-major data, rows = size / out. */
function matrixShape(shape: number[]): [number, number] {
  const out = shape[shape.length - 1];
  return [shape.reduce((a, b) => a * b, 1) / out, out];
}

function normalize64(x: Float64Array, eps = 1e-12): Float64Array {
  let s = 0;
  for (const v of x) s += v * v;
  const d = Math.sqrt(s) + eps;
  return x.map((v) => v / d);
}

/** K u (rows) and Kᵀ v (cols) for row-major K. */
function kTimes(k: ArrayLike<number>, rows: number, cols: number, u: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i] += k[i * cols + j] * u[j];
  return out;
}
function kTransposeTimes(k: ArrayLike<number>, rows: number, cols: number, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j] += k[i * cols + j] * v[i];
  return out;
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Algorithm 1 in float64 from u0: `iterations` × (v = normalize(K u), u = normalize(Kᵀ v)); σ = vᵀ K u. */
function powerIteration64(k: ArrayLike<number>, rows: number, cols: number, u0: ArrayLike<number>, iterations: number) {
  let u = Float64Array.from(u0);
  let v = new Float64Array(rows);
  for (let i = 0; i < iterations; i++) {
    v = normalize64(kTimes(k, rows, cols, u));
    u = normalize64(kTransposeTimes(k, rows, cols, v));
  }
  return { u, v, sigma: dot(v, kTimes(k, rows, cols, u)) };
}

/** Inference-mode σ from a fixed u: v = normalize(K u), σ = vᵀ K u = ‖K u‖. */
const inferenceSigma64 = (k: ArrayLike<number>, rows: number, cols: number, u: ArrayLike<number>) =>
  Math.sqrt(dot(kTimes(k, rows, cols, u), kTimes(k, rows, cols, u)));

/** Dense: x [n, in] · K [in, out] + b. */
function dense64(x: ArrayLike<number>, n: number, k: ArrayLike<number>, inDim: number, out: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n * out);
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < out; o++) {
      let acc = b[o];
      for (let i = 0; i < inDim; i++) acc += x[s * inDim + i] * k[i * out + o];
      y[s * out + o] = acc;
    }
  }
  return y;
}

interface ConvGeometry {
  n: number; h: number; w: number; cin: number; kh: number; kw: number; cout: number; stride: number; padding: "same" | "valid";
}

function convOut(g: ConvGeometry): { oh: number; ow: number; padTop: number; padLeft: number } {
  if (g.padding === "valid") return { oh: Math.ceil((g.h - g.kh + 1) / g.stride), ow: Math.ceil((g.w - g.kw + 1) / g.stride), padTop: 0, padLeft: 0 };
  const oh = Math.ceil(g.h / g.stride), ow = Math.ceil(g.w / g.stride);
  // TensorFlow's "same": the total padding split with the extra row / column at the bottom / right.
  const padH = Math.max((oh - 1) * g.stride + g.kh - g.h, 0), padW = Math.max((ow - 1) * g.stride + g.kw - g.w, 0);
  return { oh, ow, padTop: Math.floor(padH / 2), padLeft: Math.floor(padW / 2) };
}

/** Conv2D, NHWC, kernel [kh, kw, cin, cout], plus bias. */
function conv64(x: ArrayLike<number>, k: ArrayLike<number>, b: ArrayLike<number>, g: ConvGeometry): Float64Array {
  const { oh, ow, padTop, padLeft } = convOut(g);
  const y = new Float64Array(g.n * oh * ow * g.cout);
  for (let s = 0; s < g.n; s++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let o = 0; o < g.cout; o++) {
          let acc = b[o];
          for (let di = 0; di < g.kh; di++) {
            const r = i * g.stride + di - padTop;
            if (r < 0 || r >= g.h) continue;
            for (let dj = 0; dj < g.kw; dj++) {
              const c = j * g.stride + dj - padLeft;
              if (c < 0 || c >= g.w) continue;
              for (let ci = 0; ci < g.cin; ci++) {
                acc += x[((s * g.h + r) * g.w + c) * g.cin + ci] * k[((di * g.kw + dj) * g.cin + ci) * g.cout + o];
              }
            }
          }
          y[((s * oh + i) * ow + j) * g.cout + o] = acc;
        }
      }
    }
  }
  return y;
}

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length, "lengths");
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN-safe
  }
  return m;
};
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const relError = (a: ArrayLike<number>, ref: ArrayLike<number>) => maxAbsDiff(a, ref) / Math.max(maxAbs(ref), 1e-30);

/** The stored u of a built layer (its last weight: kernel, bias, then the non-trainable u). */
function storedU(layer: SpectralNormLayer): Float32Array {
  // Read, not getWeights(): that returns the variables themselves, which must not be disposed.
  return Float32Array.from(layer.weights[layer.weights.length - 1].read().dataSync());
}

/** A copy of the kernel (yours to dispose). */
function kernelOf(layer: SpectralNormLayer): tf.Tensor {
  return layer.weights[0].read().clone();
}

/** Sets kernel, bias (when the layer has one) and u from plain arrays. */
function setWeights(layer: SpectralNormLayer, kernel: ArrayLike<number>, bias: ArrayLike<number> | null, u: ArrayLike<number>): void {
  const shapes = layer.weights.map((w) => w.shape as number[]);
  const arrays = bias ? [kernel, bias, u] : [kernel, u];
  const tensors = arrays.map((a, i) => tf.tensor(Float32Array.from(a), shapes[i]));
  layer.setWeights(tensors);
  tf.dispose(tensors);
}

/** Output and ∂(Σ r ⊙ y)/∂kernel of one call. */
function outputAndKernelGradient(layer: SpectralNormLayer, x: tf.Tensor, r: ArrayLike<number>, training: boolean) {
  const kernel = layer.trainableWeights[0].read() as tf.Variable;
  return tf.tidy(() => {
    let output: Float32Array = new Float32Array();
    const { grads } = tf.variableGrads(() => {
      const y = layer.apply(x, { training }) as tf.Tensor;
      output = Float32Array.from(y.dataSync());
      return tf.sum(tf.mul(y, tf.tensor(Float32Array.from(r), y.shape))) as tf.Scalar;
    }, [kernel]);
    return { output, grad: Float32Array.from(grads[kernel.name].dataSync()) };
  });
}

// ---------------------------------------------------------------------------------------------------------

describe("layers/spectral-norm (Miyato et al. 2018, Algorithm 1)", function () {
  afterEach(() => restoreMathRandom());

  it("spectralNormEstimate converges to the exact σ_max of random matrices (reported per iteration count)", () => {
    const counts = [1, 2, 5, 10, 20, 50, 100, 200, 500];
    const cases: { name: string; shape: number[]; seed: number }[] = [
      { name: "dense 64×32", shape: [64, 32], seed: 1 },
      { name: "dense 32×64 (wide)", shape: [32, 64], seed: 2 },
      { name: "dense 256×128", shape: [256, 128], seed: 3 },
      { name: "conv 3×3×16×32", shape: [3, 3, 16, 32], seed: 4 },
      { name: "conv 4×4×8×1 (one filter)", shape: [4, 4, 8, 1], seed: 5 },
    ];
    const table: string[] = [];
    for (const c of cases) {
      const rand = makeRandom(c.seed);
      const [rows, cols] = matrixShape(c.shape);
      const data = gaussian(rand, rows * cols);
      const exact = exactSigmaMax(Float32Array.from(data), rows, cols);
      const kernel = tf.tensor(Float32Array.from(data), c.shape);
      const u0 = tf.tensor1d(Float32Array.from(normalize64(gaussian(rand, cols))));
      const errors = counts.map((n) => {
        const { sigma, u } = spectralNormEstimate(kernel, n, u0);
        u.dispose();
        assert.ok(sigma <= exact * (1 + 1e-5), `${c.name}, ${n} iterations: the estimate ${sigma} exceeds σ_max ${exact} (it is a lower bound)`);
        return (exact - sigma) / exact;
      });
      table.push(`  ${c.name.padEnd(26)} σ_max ${exact.toFixed(4).padStart(8)}  ${errors.map((e) => e.toExponential(1).padStart(8)).join("")}`);
      // The error falls with the count (Rayleigh quotients of power iteration do not decrease), to float32 noise.
      errors.forEach((e, i) => i > 0 && assert.ok(e <= errors[i - 1] + 2e-6, `${c.name}: error ${e} after ${counts[i]} > ${errors[i - 1]} after ${counts[i - 1]}`));
      assert.ok(errors[errors.length - 1] < 1e-3, `${c.name}: relative error ${errors[errors.length - 1]} after ${counts[counts.length - 1]} iterations`);
      tf.dispose([kernel, u0]);
    }
    console.log(`      relative error (σ_max − σ̂)/σ_max after ${counts.join(", ")} iterations:\n${table.join("\n")}`);
  });

  it("spectralNormEstimate leaves its inputs alone, leaks nothing and says what is wrong", () => {
    const kernel = tf.randomNormal([5, 3], 0, 1, "float32", 1);
    const u0 = tf.tensor1d([1, 0, 0]);
    const before = tf.memory().numTensors;
    const { u } = spectralNormEstimate(kernel, 3, u0);
    u.dispose();
    spectralNormEstimate(kernel, 2).u.dispose(); // a random start
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(values(u0), [1, 0, 0]);
    assert.throws(() => spectralNormEstimate(tf.zeros([4]), 1), /rank 2 or more/);
    assert.throws(() => spectralNormEstimate(kernel, 0), /iterations must be a positive integer/);
    assert.throws(() => spectralNormEstimate(kernel, 1, tf.zeros([5])), /one entry per output \(3/);
    tf.dispose([kernel, u0]);
  });

  it("u is a non-trainable weight that persists across calls and changes only in training calls", () => {
    seed(11);
    const layer = spectralNormDense({ units: 4, inputShape: [6] });
    const model = tf.sequential({ layers: [layer] });
    assert.deepEqual(layer.trainableWeights.map((w) => w.name.split("/").pop()), ["kernel", "bias"]);
    assert.deepEqual(layer.nonTrainableWeights.map((w) => [w.name.split("/").pop(), w.shape]), [["sn_u", [4]]]);
    const x = tf.randomNormal([3, 6], 0, 1, "float32", 12);
    const u0 = storedU(layer);
    assert.ok(Math.abs(Math.hypot(...u0) - 1) < 1e-6, "the initial u is a unit vector");
    // Inference, in every way a network is called in inference mode: u stays bit-identical.
    tf.tidy(() => {
      layer.apply(x);
      layer.apply(x, { training: false });
      model.predict(x);
      model.apply(x, { training: false });
    });
    assert.deepEqual(storedU(layer), u0, "inference calls leave u alone");
    // Each training call is one step of the iteration from the stored u: after n calls, u is the estimate's u
    // after n iterations from u0 (the same float32 operations, so the same bits).
    const kernel = kernelOf(layer);
    const u0T = tf.tensor1d(u0);
    for (let n = 1; n <= 3; n++) {
      tf.tidy(() => void model.apply(x, { training: true }));
      const expected = spectralNormEstimate(kernel, n, u0T);
      assert.deepEqual(storedU(layer), Float32Array.from(expected.u.dataSync()), `after ${n} training calls`);
      expected.u.dispose();
    }
    const u3 = storedU(layer);
    assert.notDeepEqual(u3, u0);
    tf.tidy(() => void model.predict(x));
    assert.deepEqual(storedU(layer), u3, "and inference after training leaves it alone too");
    // powerIterations: 3 runs three steps per call.
    const three = spectralNormDense({ units: 4, powerIterations: 3 });
    tf.tidy(() => void three.apply(x));
    setWeights(three, kernel.dataSync(), new Float32Array(4), u0);
    tf.tidy(() => void three.apply(x, { training: true }));
    const expected3 = spectralNormEstimate(kernel, 3, u0T);
    assert.deepEqual(storedU(three), Float32Array.from(expected3.u.dataSync()));
    assert.equal(three.getConfig().powerIterations, 3);
    tf.dispose([x, kernel, u0T, expected3.u]);
    model.dispose();
    three.dispose();
  });

  it("after enough training calls the normalised kernel's exact σ is 1 (dense and conv)", () => {
    seed(21);
    const calls = [1, 5, 20, 100];
    const report: string[] = [];
    // Dense without bias: applied to the identity, the layer returns its normalised kernel W/σ itself.
    const dense = spectralNormDense({ units: 24, useBias: false, inputShape: [40] });
    const eye = tf.eye(40);
    const conv = spectralNormConv2d({ filters: 16, kernelSize: 3, padding: "same", inputShape: [6, 6, 8] });
    const x = tf.randomNormal([2, 6, 6, 8], 0, 1, "float32", 22);
    tf.tidy(() => void [dense.apply(eye), conv.apply(x)]);
    const sigmaOf = (t: tf.Tensor) => exactSigmaMax(t.dataSync(), ...matrixShape(t.shape));
    const raw = tf.tidy(() => [sigmaOf(kernelOf(dense)), sigmaOf(kernelOf(conv))]);
    let done = 0;
    for (const n of calls) {
      let denseTrained = 0;
      for (; done < n; done++) {
        denseTrained = tf.tidy(() => sigmaOf(dense.apply(eye, { training: true }) as tf.Tensor));
        tf.tidy(() => void conv.apply(x, { training: true }));
      }
      const denseInference = tf.tidy(() => sigmaOf(dense.apply(eye) as tf.Tensor));
      const convInference = tf.tidy(() => sigmaOf(conv.normalizedKernel()));
      report.push(`  after ${String(n).padStart(3)} calls: dense σ(W/σ̂) = ${denseTrained.toFixed(6)} (training call), ${denseInference.toFixed(6)} (inference); conv ${convInference.toFixed(6)}`);
      // σ̂ is a lower bound of σ_max, so the normalised σ is at least 1.
      for (const s of [denseTrained, denseInference, convInference]) assert.ok(s >= 1 - 1e-5, `σ ${s} < 1`);
      if (n === calls[calls.length - 1]) {
        for (const s of [denseTrained, denseInference, convInference]) assert.ok(Math.abs(s - 1) < 1e-4, `after ${n} calls σ = ${s}`);
      }
    }
    // The conv layer really computes with that kernel.
    const viaKernel = tf.tidy(() => values(tf.add(tf.conv2d(x as tf.Tensor4D, conv.normalizedKernel() as tf.Tensor4D, 1, "same"), conv.getWeights()[1])));
    const viaLayer = tf.tidy(() => values(conv.apply(x) as tf.Tensor));
    assert.ok(maxAbsDiff(viaLayer, viaKernel) < 1e-6, "conv output = conv2d(x, W/σ) + b");
    assert.ok(Math.abs(dense.sigma() - raw[0]) / raw[0] < 1e-4, `layer.sigma() ${dense.sigma()} vs σ_max ${raw[0]}`);
    console.log(`      σ_max of the raw kernels: dense ${raw[0].toFixed(4)}, conv ${raw[1].toFixed(4)}\n${report.join("\n")}`);
    tf.dispose([eye, x]);
    dense.dispose();
    conv.dispose();
  });

  describe("output and gradient against float64 references and central differences", () => {
    const rand = makeRandom(31);
    const g: ConvGeometry = { n: 2, h: 5, w: 5, cin: 2, kh: 3, kw: 3, cout: 3, stride: 2, padding: "same" };
    const cases = [
      {
        name: "dense 5 → 4",
        kernelShape: [5, 4], xShape: [3, 5], out: 4,
        make: () => spectralNormDense({ units: 4 }),
        forward: (x: ArrayLike<number>, k: ArrayLike<number>, b: ArrayLike<number>) => dense64(x, 3, k, 5, 4, b),
      },
      {
        name: "conv 3×3×2×3, stride 2, same",
        kernelShape: [3, 3, 2, 3], xShape: [2, 5, 5, 2], out: 3,
        make: () => spectralNormConv2d({ filters: 3, kernelSize: 3, strides: 2, padding: "same" }),
        forward: (x: ArrayLike<number>, k: ArrayLike<number>, b: ArrayLike<number>) => conv64(x, k, b, g),
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const [rows, cols] = matrixShape(c.kernelShape);
        const kernel = Float32Array.from(gaussian(rand, rows * cols, 0.5));
        const bias = Float32Array.from(gaussian(rand, cols, 0.1));
        const xData = Float32Array.from(gaussian(rand, c.xShape.reduce((a, b) => a * b, 1)));
        const u0 = Float32Array.from(normalize64(gaussian(rand, cols)));
        const layer = c.make();
        const x = tf.tensor(xData, c.xShape);
        tf.tidy(() => void layer.apply(x));
        const outSize = tf.tidy(() => (layer.apply(x) as tf.Tensor).size);
        const r = Float64Array.from(gaussian(rand, outSize));
        /** Σ r ⊙ y for the kernel k divided by sigma(k). */
        const objective = (k: ArrayLike<number>, sigma: (k: ArrayLike<number>) => number) => {
          const s = sigma(k);
          return dot(r, c.forward(xData, Float64Array.from(k, (v) => v / s), bias));
        };
        /** Central differences in float64, h = 1e-6. */
        const centralDifferences = (sigma: (k: ArrayLike<number>) => number) =>
          Float64Array.from(kernel, (_, i) => {
            const h = 1e-6;
            const plus = Float64Array.from(kernel), minus = Float64Array.from(kernel);
            plus[i] += h;
            minus[i] -= h;
            return (objective(plus, sigma) - objective(minus, sigma)) / (2 * h);
          });

        // Inference, u fixed: σ = ‖K u‖ exactly, a smooth function of K, and the layer's gradient is its true gradient.
        setWeights(layer, kernel, bias, u0);
        const inference = outputAndKernelGradient(layer, x, r, false);
        const sInf = (k: ArrayLike<number>) => inferenceSigma64(k, rows, cols, u0);
        const refOut = c.forward(xData, Float64Array.from(kernel, (v) => v / sInf(kernel)), bias);
        const outErr = relError(inference.output, refOut);
        const fdInf = centralDifferences(sInf);
        const gradErrInf = relError(inference.grad, fdInf);
        assert.deepEqual(storedU(layer), u0, "the inference calls left u alone");

        // Training, u reset to u0: the layer's gradient treats u₁ and v (Algorithm 1's) as constants, as the
        // reference code does; compared with the derivative of K ↦ x·K/(vᵀ K u₁) at those constants.
        const it1 = powerIteration64(kernel, rows, cols, u0, 1);
        const training = outputAndKernelGradient(layer, x, r, true);
        const sFixed = (k: ArrayLike<number>) => dot(it1.v, kTimes(k, rows, cols, it1.u));
        const trainOutErr = relError(training.output, c.forward(xData, Float64Array.from(kernel, (v) => v / it1.sigma), bias));
        const gradErrTrain = relError(training.grad, centralDifferences(sFixed));
        assert.ok(maxAbsDiff(storedU(layer), it1.u) < 1e-6, "the training call stored u₁");
        // The full derivative of the training-mode function (u₁, v depending on K) differs far from the fixed
        // point, and agrees at it (σ is stationary in u, v there).
        const sFull = (k: ArrayLike<number>) => powerIteration64(k, rows, cols, u0, 1).sigma;
        const gapRandomU = relError(training.grad, centralDifferences(sFull));
        const converged = powerIteration64(kernel, rows, cols, u0, 2000).u;
        setWeights(layer, kernel, bias, converged);
        const atFixedPoint = outputAndKernelGradient(layer, x, r, true);
        const sFullConverged = (k: ArrayLike<number>) => powerIteration64(k, rows, cols, converged, 1).sigma;
        const gapConverged = relError(atFixedPoint.grad, centralDifferences(sFullConverged));

        console.log(
          `      ${c.name}: inference output ${outErr.toExponential(1)}, ∂/∂kernel vs central differences ${gradErrInf.toExponential(1)}; ` +
            `training output ${trainOutErr.toExponential(1)}, ∂/∂kernel (u, v constant) ${gradErrTrain.toExponential(1)}; ` +
            `gap to the full derivative: random u ${gapRandomU.toExponential(1)}, converged u ${gapConverged.toExponential(1)} (max relative errors)`,
        );
        assert.ok(outErr < 1e-5 && trainOutErr < 1e-5, `outputs: ${outErr}, ${trainOutErr}`);
        assert.ok(gradErrInf < 1e-4, `inference gradient: ${gradErrInf}`);
        assert.ok(gradErrTrain < 1e-4, `training gradient: ${gradErrTrain}`);
        assert.ok(gapConverged < 1e-3, `at the fixed point the constant-u,v gradient is the true one: ${gapConverged}`);
        x.dispose();
        layer.dispose();
      });
    }
  });

  it("a model holding both layers saves and loads back with its u, config and outputs (registered)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-sn-"));
    try {
      seed(41);
      const model = tf.sequential({
        layers: [
          spectralNormConv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 1], padding: "same", powerIterations: 2, epsilon: 1e-8, inputShape: [6, 6, 2] }),
          tf.layers.leakyReLU({ alpha: 0.1 }),
          tf.layers.flatten(),
          spectralNormDense({ units: 3, activation: "tanh", kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.02 }) }),
        ],
      });
      const x = tf.randomNormal([2, 6, 6, 2], 0, 1, "float32", 42);
      for (let i = 0; i < 3; i++) tf.tidy(() => void model.apply(x, { training: true })); // u away from its start
      await model.save(fileSystem(dir));
      const loaded = await tf.loadLayersModel(fileSystem(dir));
      assert.deepEqual(loaded.layers.map((l) => l.getClassName()), ["TsganSpectralNormConv2D", "LeakyReLU", "Flatten", "TsganSpectralNormDense"]);
      const conv = loaded.layers[0] as SpectralNormConv2D;
      const dense = loaded.layers[3] as SpectralNormDense;
      assert.deepEqual([conv.filters, conv.kernelSize, conv.strides, conv.padding, conv.powerIterations, conv.epsilon], [4, [3, 2], [2, 1], "same", 2, 1e-8]);
      assert.deepEqual([dense.units, dense.activation, dense.useBias], [3, "tanh", true]);
      assert.deepEqual(dense.getConfig().kernelInitializer, { className: "RandomNormal", config: { mean: 0, stddev: 0.02, seed: null } });
      // Loading renames the variables (kernel → kernel_1: tfjs keeps names unique), so compare base names.
      const weightsOf = (m: tf.LayersModel) => m.weights.map((w) => [w.name.split("/").pop()!.replace(/_\d+$/, ""), values(w.read())]);
      assert.deepEqual(weightsOf(loaded), weightsOf(model), "every weight, u included, bit for bit");
      assert.deepEqual(values(loaded.predict(x) as tf.Tensor), values(model.predict(x) as tf.Tensor));
      const trainOut = (m: tf.LayersModel) => tf.tidy(() => values(m.apply(x, { training: true }) as tf.Tensor));
      assert.deepEqual(trainOut(loaded), trainOut(model), "and the next training call (same u, same iteration)");
      assert.deepEqual(weightsOf(loaded), weightsOf(model));
      model.dispose();
      loaded.dispose();
      x.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the same outputs, u and gradients on the cpu and wasm backends", async function () {
    const original = engineInfo().choice;
    if (original !== "wasm" && original !== "cpu") this.skip();
    const rand = makeRandom(51);
    const cases = [
      { name: "dense 40 → 24", make: () => spectralNormDense({ units: 24 }), kernel: [40, 24], x: [6, 40] },
      { name: "conv 3×3×8×16, same", make: () => spectralNormConv2d({ filters: 16, kernelSize: 3, padding: "same" }), kernel: [3, 3, 8, 16], x: [2, 7, 7, 8] },
      { name: "conv 4×4×3×8, stride 2, valid, 2 iterations", make: () => spectralNormConv2d({ filters: 8, kernelSize: 4, strides: 2, powerIterations: 2 }), kernel: [4, 4, 3, 8], x: [2, 9, 9, 3] },
    ];
    const report: string[] = [];
    try {
      for (const c of cases) {
        const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
        const out = c.kernel[c.kernel.length - 1];
        const kernel = Float32Array.from(gaussian(rand, size(c.kernel), 0.3));
        const bias = Float32Array.from(gaussian(rand, out, 0.1));
        const u0 = Float32Array.from(normalize64(gaussian(rand, out)));
        const xData = Float32Array.from(gaussian(rand, size(c.x)));
        const runs: Record<string, Float32Array[]> = {};
        for (const backend of ["cpu", "wasm"] as const) {
          await useBackend(backend);
          const layer = c.make();
          const x = tf.tensor(xData, c.x);
          tf.tidy(() => void layer.apply(x));
          setWeights(layer, kernel, bias, u0);
          const r = gaussian(makeRandom(52), tf.tidy(() => (layer.apply(x) as tf.Tensor).size));
          const inference = outputAndKernelGradient(layer, x, r, false);
          const training = outputAndKernelGradient(layer, x, r, true);
          runs[backend] = [inference.output, inference.grad, training.output, training.grad, storedU(layer)];
          x.dispose();
          layer.dispose();
        }
        const names = ["inference output", "inference ∂/∂kernel", "training output", "training ∂/∂kernel", "new u"];
        const diffs = names.map((n, i) => relError(runs.wasm[i], runs.cpu[i]));
        report.push(`  ${c.name}: ${names.map((n, i) => `${n} ${diffs[i].toExponential(1)}`).join(", ")}`);
        diffs.forEach((d, i) => assert.ok(d < 1e-5, `${c.name}: ${names[i]} differs by ${d} (relative to its largest entry)`));
      }
    } finally {
      await useBackend(original);
    }
    console.log(`      max |wasm − cpu| / max |cpu|:\n${report.join("\n")}`);
  });

  it("leaks no tensor per training call, with or without a gradient", () => {
    const dense = spectralNormDense({ units: 8, inputShape: [5] });
    const conv = spectralNormConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "same", inputShape: [6, 6, 2] });
    const x = tf.randomNormal([3, 5]);
    const y = tf.randomNormal([3, 6, 6, 2]);
    const once = () => {
      for (const [layer, input] of [[dense, x], [conv, y]] as const) {
        tf.tidy(() => void layer.apply(input, { training: true }));
        tf.tidy(() => void layer.apply(input));
        tf.tidy(() => {
          const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
          tf.variableGrads(() => tf.sum(layer.apply(input, { training: true }) as tf.Tensor) as tf.Scalar, vars);
        });
        // Without a tidy of the caller's: the layer's own tidy keeps only the output.
        const out = layer.apply(input, { training: true }) as tf.Tensor;
        out.dispose();
      }
    };
    once(); // builds the layers
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) once();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    dense.dispose();
    conv.dispose();
  });

  it("says what is wrong with bad options and inputs", () => {
    assert.throws(() => spectralNormDense({ units: 0 }), /units must be a positive integer/);
    assert.throws(() => spectralNormDense({ units: 3, powerIterations: 0 }), /powerIterations must be a positive integer/);
    assert.throws(() => spectralNormDense({ units: 3, epsilon: 0 }), /epsilon must be a small positive number/);
    assert.throws(() => spectralNormDense({ units: 3, activation: "leakyRelu" as never }), /activation must be one of .*leakyReLU/);
    assert.throws(() => spectralNormDense({ units: 3, kernelInitializer: "uniformish" as never }), /unknown initializer "uniformish"/);
    assert.throws(() => spectralNormConv2d({ filters: 2, kernelSize: 0 }), /kernelSize must be a positive integer/);
    assert.throws(() => spectralNormConv2d({ filters: 2, kernelSize: 3, padding: "causal" as never }), /padding must be "same" or "valid"/);
    assert.throws(() => spectralNormConv2d({ filters: 2, kernelSize: 3 }).apply(tf.zeros([2, 4])), /\[batch, height, width, channels\]/);
    const d = spectralNormDense({ units: 2 });
    assert.throws(() => d.sigma(), /not built yet/);
    tf.tidy(() => void d.apply(tf.zeros([1, 3])));
    assert.throws(() => d.apply(tf.zeros([1, 4])), /expected inputs with 3 features/);
    d.dispose();
  });

  describe("against torch.nn.utils.spectral_norm", function () {
    const python = "/usr/bin/python3";
    /** Python's environment without the OpenBLAS overrides of this machine (they break torch's BLAS). */
    const childEnv = () => {
      const env = { ...process.env };
      delete env.OPENBLAS_CORETYPE;
      delete env.OPENBLAS_L2_SIZE;
      return env;
    };
    let torchVersion: string | null = null;
    before(function () {
      this.timeout(60000);
      const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { env: childEnv(), encoding: "utf8" });
      if (probe.status !== 0) {
        console.log(`      skipped: ${python} -c "import torch" failed (${(probe.stderr || String(probe.error)).trim().split("\n").pop()})`);
        this.skip();
      }
      torchVersion = probe.stdout.trim();
    });

    // Builds the torch module with the same weights and u, runs one training-mode forward (its power
    // iteration), backpropagates Σ r ⊙ y to weight_orig, then an eval-mode forward with v = normalize(Wᵀu),
    // which makes its σ = uᵀ W v = ‖Wᵀu‖, the σ of a tsgan inference call.
    const SCRIPT = String.raw`
import json, sys, torch
import torch.nn.functional as F
cases = json.load(sys.stdin)
results = []
for c in cases:
    ks = c["kernelShape"]
    kernel = torch.tensor(c["kernel"], dtype=torch.float32).reshape(ks)
    if c["kind"] == "dense":
        m = torch.nn.Linear(ks[0], ks[1])
        weight = kernel.t().contiguous()                      # [in, out] -> [out, in]
    else:
        m = torch.nn.Conv2d(ks[2], ks[3], (ks[0], ks[1]), stride=c["stride"], padding=c["torchPadding"])
        weight = kernel.permute(3, 2, 0, 1).contiguous()      # [kh, kw, in, out] -> [out, in, kh, kw]
    with torch.no_grad():
        m.weight.copy_(weight)
        m.bias.copy_(torch.tensor(c["bias"], dtype=torch.float32))
    m = torch.nn.utils.spectral_norm(m, n_power_iterations=c["iterations"], eps=1e-12)
    with torch.no_grad():
        m.weight_u.copy_(torch.tensor(c["u"], dtype=torch.float32))
    x = torch.tensor(c["x"], dtype=torch.float32).reshape(c["xShape"])
    if c["kind"] == "conv":
        x = x.permute(0, 3, 1, 2)
    to_tf = (lambda y: y) if c["kind"] == "dense" else (lambda y: y.permute(0, 2, 3, 1))
    m.train()
    y = to_tf(m(x))
    r = torch.tensor(c["r"], dtype=torch.float32).reshape(y.shape)
    (y * r).sum().backward()
    g = m.weight_orig.grad
    g = g.t() if c["kind"] == "dense" else g.permute(2, 3, 1, 0)
    m.eval()
    with torch.no_grad():
        w = m.weight_orig.reshape(m.weight_orig.shape[0], -1)
        m.weight_v.copy_(F.normalize(w.t() @ m.weight_u, dim=0, eps=1e-12))
        y_eval = to_tf(m(x))
    results.append({
        "train": y.detach().reshape(-1).tolist(), "grad": g.reshape(-1).tolist(),
        "u": m.weight_u.reshape(-1).tolist(), "eval": y_eval.reshape(-1).tolist(),
    })
json.dump(results, sys.stdout)
`;

    it("same training output, new u, kernel gradient and inference output on the same weights and u", function () {
      this.timeout(120000);
      const rand = makeRandom(61);
      const cases = [
        { name: "dense 12 → 7, 1 iteration", kind: "dense", kernelShape: [12, 7], xShape: [4, 12], iterations: 1, make: () => spectralNormDense({ units: 7 }) },
        { name: "dense 12 → 7, 2 iterations", kind: "dense", kernelShape: [12, 7], xShape: [4, 12], iterations: 2, make: () => spectralNormDense({ units: 7, powerIterations: 2 }) },
        { name: "conv 3×3×3×5, same", kind: "conv", kernelShape: [3, 3, 3, 5], xShape: [2, 6, 6, 3], iterations: 1, stride: 1, torchPadding: 1, make: () => spectralNormConv2d({ filters: 5, kernelSize: 3, padding: "same" }) },
        { name: "conv 3×3×4×6, stride 2, valid, 3 iterations", kind: "conv", kernelShape: [3, 3, 4, 6], xShape: [2, 7, 7, 4], iterations: 3, stride: 2, torchPadding: 0, make: () => spectralNormConv2d({ filters: 6, kernelSize: 3, strides: 2, padding: "valid", powerIterations: 3 }) },
      ];
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const ours = cases.map((c) => {
        const out = c.kernelShape[c.kernelShape.length - 1];
        const kernel = Float32Array.from(gaussian(rand, size(c.kernelShape), 0.4));
        const bias = Float32Array.from(gaussian(rand, out, 0.1));
        const u = Float32Array.from(normalize64(gaussian(rand, out)));
        const xData = Float32Array.from(gaussian(rand, size(c.xShape)));
        const layer = c.make();
        const x = tf.tensor(xData, c.xShape);
        tf.tidy(() => void layer.apply(x));
        setWeights(layer, kernel, bias, u);
        const r = Float32Array.from(gaussian(rand, tf.tidy(() => (layer.apply(x) as tf.Tensor).size)));
        const training = outputAndKernelGradient(layer, x, r, true);
        const uNew = storedU(layer);
        const inference = tf.tidy(() => Float32Array.from((layer.apply(x) as tf.Tensor).dataSync()));
        x.dispose();
        layer.dispose();
        return {
          payload: { ...c, make: undefined, kernel: Array.from(kernel), bias: Array.from(bias), u: Array.from(u), x: Array.from(xData), r: Array.from(r) },
          results: { train: training.output, grad: training.grad, u: uNew, eval: inference },
        };
      });
      const child = spawnSync(python, ["-c", SCRIPT], { input: JSON.stringify(ours.map((o) => o.payload)), env: childEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
      assert.equal(child.status, 0, `the torch script failed: ${child.stderr}`);
      const theirs = JSON.parse(child.stdout) as Record<"train" | "grad" | "u" | "eval", number[]>[];
      const report: string[] = [];
      cases.forEach((c, i) => {
        const keys = ["train", "u", "grad", "eval"] as const;
        const errs = keys.map((k) => relError(ours[i].results[k], theirs[i][k]));
        report.push(`  ${c.name}: ${keys.map((k, j) => `${k} ${errs[j].toExponential(1)}`).join(", ")}`);
        errs.forEach((e, j) => assert.ok(e < 1e-5, `${c.name}: ${keys[j]} differs from torch by ${e} (relative to its largest entry)`));
      });
      console.log(`      torch ${torchVersion}, max |tsgan − torch| / max |torch|:\n${report.join("\n")}`);
    });
  });
});

describe("layers/spectral-norm: exactSpectralNorm", () => {
  it("is the largest singular value: a diagonal matrix's largest entry, a rank-one uvᵀ's ‖u‖‖v‖, either orientation", () => {
    const diag = tf.tensor2d([[3, 0, 0], [0, -5, 0]]);
    assert.ok(Math.abs(exactSpectralNorm(diag) - 5) < 1e-12);
    const u = [1, 2, 2], v = [0.5, -0.5, 0.5, 0.5];
    const rankOne = tf.tensor2d(u.flatMap((a) => v.map((b) => a * b)), [3, 4]);
    assert.ok(Math.abs(exactSpectralNorm(rankOne) - 3) < 1e-6);
    assert.ok(Math.abs(exactSpectralNorm(rankOne.transpose()) - 3) < 1e-6);
    tf.dispose([diag, rankOne]);
  });
});
