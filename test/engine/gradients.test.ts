/**
 * Second-order gradients (lib/engine/gradients.ts) on every backend the engine can pick here.
 *
 * References: analytic derivatives, central finite differences, and for the WGAN-GP penalty
 * (Gulrajani et al. 2017) a float64 re-implementation of the critic and its input gradient in plain
 * JavaScript, differentiated by central differences in float64 (step 1e-6, error ~1e-10), so the only
 * float32 error in the comparison is tfjs's own.
 *
 * Set TSGAN_GRAD_REPORT=1 to print the measured errors.
 */
import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { engineInfo, useBackend, BackendChoice } from "../../lib/engine/backend";
import {
  installSecondOrderGradients,
  registerGradientsQuietly,
  secondOrderGradientConfigs,
} from "../../lib/engine/gradients";

const REPORT = !!process.env.TSGAN_GRAD_REPORT;
function report(line: string): void {
  if (REPORT) console.log(`      ${line}`);
}

const LEAK = 0.2;
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const sig = (x: number) => 1 / (1 + Math.exp(-x));

interface Activation {
  name: string;
  op: (x: tf.Tensor) => tf.Tensor;
  f: (x: number) => number;
  d1: (x: number) => number;
  d2: (x: number) => number;
  /** How a tf.layers critic spells it: a Dense activation, or a layer after a linear Dense. */
  layer: { activation: "relu" | "tanh" | "sigmoid" | "softplus" | "elu" } | { leakyReluAlpha: number } | null;
}

/** The activations a critic may use, plus exp and selu (same defect, same fix). */
const ACTIVATIONS: Activation[] = [
  { name: "relu", op: tf.relu, f: (x) => Math.max(x, 0), d1: (x) => (x > 0 ? 1 : 0), d2: () => 0, layer: { activation: "relu" } },
  {
    name: "leakyRelu",
    op: (x) => tf.leakyRelu(x, LEAK),
    f: (x) => (x > 0 ? x : LEAK * x),
    d1: (x) => (x > 0 ? 1 : LEAK),
    d2: () => 0,
    layer: { leakyReluAlpha: LEAK },
  },
  {
    name: "tanh",
    op: tf.tanh,
    f: Math.tanh,
    d1: (x) => 1 - Math.tanh(x) ** 2,
    d2: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2),
    layer: { activation: "tanh" },
  },
  {
    name: "sigmoid",
    op: tf.sigmoid,
    f: sig,
    d1: (x) => sig(x) * (1 - sig(x)),
    d2: (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)),
    layer: { activation: "sigmoid" },
  },
  {
    name: "softplus",
    op: tf.softplus,
    f: (x) => Math.log1p(Math.exp(x)),
    d1: sig,
    d2: (x) => sig(x) * (1 - sig(x)),
    layer: { activation: "softplus" },
  },
  {
    name: "elu",
    op: tf.elu,
    f: (x) => (x > 0 ? x : Math.expm1(x)),
    d1: (x) => (x > 0 ? 1 : Math.exp(x)),
    d2: (x) => (x > 0 ? 0 : Math.exp(x)),
    layer: { activation: "elu" },
  },
  {
    name: "selu",
    op: tf.selu,
    f: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
    d1: (x) => SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x)),
    d2: (x) => (x > 0 ? 0 : SELU_SCALE * SELU_ALPHA * Math.exp(x)),
    layer: null,
  },
  { name: "exp", op: tf.exp, f: Math.exp, d1: Math.exp, d2: Math.exp, layer: null },
];

/**
 * Other ops on a WGAN-GP path (‖g‖₂ = sqrt(Σ g²)) or with the same defect (Pow saved its output), on x > 0.
 * `pow(2, x)` differentiates through the exponent, the input whose gradient used the saved output.
 */
const POSITIVE_OPS: Activation[] = [
  { name: "sqrt", op: tf.sqrt, f: Math.sqrt, d1: (x) => 0.5 / Math.sqrt(x), d2: (x) => -0.25 * x ** -1.5, layer: null },
  { name: "rsqrt", op: tf.rsqrt, f: (x) => x ** -0.5, d1: (x) => -0.5 * x ** -1.5, d2: (x) => 0.75 * x ** -2.5, layer: null },
  { name: "log", op: tf.log, f: Math.log, d1: (x) => 1 / x, d2: (x) => -1 / (x * x), layer: null },
  { name: "square", op: tf.square, f: (x) => x * x, d1: (x) => 2 * x, d2: () => 2, layer: null },
  { name: "pow(x, 3)", op: (x) => tf.pow(x, 3), f: (x) => x ** 3, d1: (x) => 3 * x * x, d2: (x) => 6 * x, layer: null },
  {
    name: "pow(2, x)",
    op: (x) => tf.pow(tf.scalar(2), x),
    f: (x) => 2 ** x,
    d1: (x) => 2 ** x * Math.LN2,
    d2: (x) => 2 ** x * Math.LN2 ** 2,
    layer: null,
  },
];
const POSITIVE_POINTS = [0.3, 0.7, 1.2, 2.5];

/** Points at least 0.15 from the kinks at 0, so a finite-difference step of 1e-2 never crosses one. */
const POINTS = [-1.7, -0.6, -0.15, 0.3, 0.9, 1.6];

function firstDerivative(act: Activation, xs: number[]): number[] {
  return tf.tidy(() => tf.grad(act.op)(tf.tensor1d(xs)).arraySync() as number[]);
}

function secondDerivative(act: Activation, xs: number[]): number[] {
  return tf.tidy(() => tf.grad((x: tf.Tensor) => tf.grad(act.op)(x))(tf.tensor1d(xs)).arraySync() as number[]);
}

/** max_i |got_i − want_i| / (1 + |want_i|): absolute near 0, relative for large values. */
function maxScaledError(got: number[], want: number[]): number {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------------
// A float64 critic: an MLP d → h → h → 1 with the activation on the hidden layers, its gradient with
// respect to the input, and the WGAN-GP penalty mean_i (‖∇ₓD(xᵢ)‖₂ − 1)².

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function uniforms(seed: number, n: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Layer widths of the test critic: input 3, two hidden layers of 6, scalar output. */
const WIDTHS = [3, 6, 6, 1];
const BATCH = 4;

interface DenseParams {
  /** Row-major [in][out]. */
  W: number[];
  b: number[];
  nIn: number;
  nOut: number;
}

/** Splits a flat parameter vector into layers: W1, b1, W2, b2, W3, b3 (the order tfjs sees them in). */
function unpack(flat: number[]): DenseParams[] {
  const layers: DenseParams[] = [];
  let k = 0;
  for (let l = 1; l < WIDTHS.length; l++) {
    const nIn = WIDTHS[l - 1];
    const nOut = WIDTHS[l];
    const W = flat.slice(k, k + nIn * nOut);
    k += nIn * nOut;
    const b = flat.slice(k, k + nOut);
    k += nOut;
    layers.push({ W, b, nIn, nOut });
  }
  assert.equal(k, flat.length);
  return layers;
}

function paramCount(): number {
  let n = 0;
  for (let l = 1; l < WIDTHS.length; l++) n += WIDTHS[l - 1] * WIDTHS[l] + WIDTHS[l];
  return n;
}

/** ∇ₓD(x) in float64, by forward pass then backward pass through the hidden activations. */
function inputGradient64(layers: DenseParams[], act: Activation, x: number[]): number[] {
  const preacts: number[][] = [];
  let a = x;
  layers.forEach((L, l) => {
    const z = L.b.slice();
    for (let i = 0; i < L.nIn; i++) for (let j = 0; j < L.nOut; j++) z[j] += a[i] * L.W[i * L.nOut + j];
    preacts.push(z);
    a = l < layers.length - 1 ? z.map(act.f) : z;
  });
  let delta = [1];
  for (let l = layers.length - 1; l >= 0; l--) {
    const L = layers[l];
    const g = new Array<number>(L.nIn).fill(0);
    for (let i = 0; i < L.nIn; i++) for (let j = 0; j < L.nOut; j++) g[i] += L.W[i * L.nOut + j] * delta[j];
    delta = l > 0 ? g.map((gi, i) => gi * act.d1(preacts[l - 1][i])) : g;
  }
  return delta;
}

function penalty64(flat: number[], act: Activation, xs: number[][]): number {
  const layers = unpack(flat);
  let total = 0;
  for (const x of xs) {
    const g = inputGradient64(layers, act, x);
    total += (Math.hypot(...g) - 1) ** 2;
  }
  return total / xs.length;
}

/** ∂penalty/∂θ by central differences in float64. */
function penaltyGradient64(flat: number[], act: Activation, xs: number[][]): number[] {
  const h = 1e-6;
  return flat.map((_, k) => {
    const plus = flat.slice();
    const minus = flat.slice();
    plus[k] += h;
    minus[k] -= h;
    return (penalty64(plus, act, xs) - penalty64(minus, act, xs)) / (2 * h);
  });
}

/** Weights scaled so pre-activations are O(1) (both sides of every kink are visited). */
function criticFixture(seed: number): { flat: number[]; xs: number[][] } {
  const u = uniforms(seed, paramCount() + BATCH * WIDTHS[0]);
  const flat: number[] = [];
  let k = 0;
  for (let l = 1; l < WIDTHS.length; l++) {
    const scale = 1.5 / Math.sqrt(WIDTHS[l - 1]);
    for (let i = 0; i < WIDTHS[l - 1] * WIDTHS[l]; i++) flat.push((2 * u[k++] - 1) * scale);
    for (let i = 0; i < WIDTHS[l]; i++) flat.push(u[k++] - 0.5);
  }
  const xs: number[][] = [];
  for (let i = 0; i < BATCH; i++) xs.push(Array.from({ length: WIDTHS[0] }, () => 2 * u[k++] - 1));
  return { flat, xs };
}

/** The penalty of a critic D: tfjs tensors, nested tf.grad as a WGAN-GP implementation would do it. */
function gradientPenaltyTf(critic: (x: tf.Tensor) => tf.Tensor, points: tf.Tensor2D): tf.Scalar {
  // Samples are independent, so the gradient of Σᵢ D(xᵢ) is the per-sample ∇ₓD(xᵢ).
  const g = tf.grad((x: tf.Tensor) => tf.sum(critic(x)))(points);
  const norms = tf.sqrt(tf.sum(tf.square(g), 1));
  return tf.mean(tf.square(tf.sub(norms, 1))) as tf.Scalar;
}

/** Plain-op MLP critic on parameter tensors [W1, b1, W2, b2, W3, b3]. */
function mlpCritic(params: tf.Tensor[], act: Activation): (x: tf.Tensor) => tf.Tensor {
  return (x) => {
    let a = x;
    for (let l = 0; l < params.length / 2; l++) {
      const z = tf.add(tf.matMul(a as tf.Tensor2D, params[2 * l] as tf.Tensor2D), params[2 * l + 1]);
      a = l < params.length / 2 - 1 ? act.op(z) : z;
    }
    return a;
  };
}

function paramTensors(flat: number[]): tf.Tensor[] {
  return unpack(flat).flatMap((L) => [tf.tensor2d(L.W, [L.nIn, L.nOut]), tf.tensor1d(L.b)]);
}

/** Flattens gradients for W1, b1, …, W3 and appends 0 for b3, which the penalty does not depend on. */
function flattenWithZeroLastBias(grads: tf.Tensor[]): number[] {
  return [...grads.flatMap((g) => Array.from(g.dataSync())), 0];
}

/** max |got − want| / max |want|: the error relative to the gradient's scale. */
function relativeToScale(got: number[], want: number[]): number {
  const scale = Math.max(...want.map(Math.abs));
  return Math.max(...got.map((g, i) => Math.abs(g - want[i]))) / scale;
}

// Tolerances, float32 (unit roundoff 6e-8). Measured errors are 10–100× below each.
const TOL_FIRST = 1e-6; // analytic f′, scaled by 1 + |f′|
const TOL_SECOND = 1e-6; // analytic f″, scaled by 1 + |f″|
const TOL_SECOND_FD = 3e-4; // f″ vs (f′(x+h) − f′(x−h))/2h in float32 with h = 1e-2: h²f⁗/6 + 2·6e-8·|f′|/h
const TOL_PENALTY = 2e-5; // penalty gradient vs float64 finite differences, relative to its largest entry

const BACKENDS: BackendChoice[] = ["cpu", "wasm"];

describe("engine/gradients: second-order gradients", function () {
  this.timeout(60000);
  let original: BackendChoice;
  before(() => {
    installSecondOrderGradients(); // ready() did this; calling again must be harmless
    original = engineInfo().choice;
  });
  after(async () => {
    await useBackend(original);
  });

  for (const backend of BACKENDS) {
    describe(`on ${backend}`, () => {
      before(async () => {
        await useBackend(backend);
      });

      for (const act of ACTIVATIONS) {
        it(`${act.name}: first derivative unchanged (analytic f′)`, () => {
          const got = firstDerivative(act, POINTS);
          const err = maxScaledError(got, POINTS.map(act.d1));
          report(`${backend} ${act.name} f′ err ${err.toExponential(2)}`);
          assert.ok(err <= TOL_FIRST, `${act.name} f′ error ${err} > ${TOL_FIRST}: ${got}`);
        });

        it(`${act.name}: f″ by nested tf.grad matches analytic f″ and central differences of f′`, () => {
          const got = secondDerivative(act, POINTS);
          const errAnalytic = maxScaledError(got, POINTS.map(act.d2));
          const h = 1e-2;
          const up = firstDerivative(act, POINTS.map((x) => x + h));
          const down = firstDerivative(act, POINTS.map((x) => x - h));
          const fd = up.map((u, i) => (u - down[i]) / (2 * h));
          const errFd = maxScaledError(got, fd);
          report(`${backend} ${act.name} f″ err analytic ${errAnalytic.toExponential(2)}, vs FD ${errFd.toExponential(2)}`);
          assert.ok(errAnalytic <= TOL_SECOND, `${act.name} f″ error ${errAnalytic} > ${TOL_SECOND}: ${got}`);
          assert.ok(errFd <= TOL_SECOND_FD, `${act.name} f″ vs FD error ${errFd} > ${TOL_SECOND_FD}: ${got} vs ${fd}`);
        });
      }

      for (const op of POSITIVE_OPS) {
        it(`${op.name}: f′ and f″ match the analytic derivatives`, () => {
          const err1 = maxScaledError(firstDerivative(op, POSITIVE_POINTS), POSITIVE_POINTS.map(op.d1));
          const err2 = maxScaledError(secondDerivative(op, POSITIVE_POINTS), POSITIVE_POINTS.map(op.d2));
          report(`${backend} ${op.name} f′ err ${err1.toExponential(2)}, f″ err ${err2.toExponential(2)}`);
          assert.ok(err1 <= TOL_FIRST, `${op.name} f′ error ${err1} > ${TOL_FIRST}`);
          assert.ok(err2 <= TOL_SECOND, `${op.name} f″ error ${err2} > ${TOL_SECOND}`);
        });
      }

      it("prelu: the mixed derivative ∂²f/∂α∂x is 1 where x < 0 and 0 elsewhere", () => {
        const got = tf.tidy(() => {
          const x = tf.tensor1d(POINTS);
          const dfdx = (alpha: tf.Tensor) => tf.sum(tf.grad((xx: tf.Tensor) => tf.prelu(xx, alpha))(x));
          return Array.from(tf.grad(dfdx)(tf.fill([POINTS.length], 0.25)).dataSync());
        });
        assert.deepEqual(got, POINTS.map((x) => (x < 0 ? 1 : 0)));
      });

      ACTIVATIONS.slice(0, 6).forEach((act, index) => {
        it(`${act.name}: WGAN-GP penalty gradient w.r.t. an MLP critic's weights matches float64 finite differences`, () => {
          const { flat, xs } = criticFixture(17 + index);
          const want = penaltyGradient64(flat, act, xs);
          const { value, got } = tf.tidy(() => {
            const params = paramTensors(flat);
            const points = tf.tensor2d(xs);
            const lastBias = params[params.length - 1];
            const f = (...ps: tf.Tensor[]) => gradientPenaltyTf(mlpCritic([...ps, lastBias], act), points);
            const value = f(...params.slice(0, -1)).dataSync()[0];
            const grads = tf.grads(f)(params.slice(0, -1));
            return { value, got: flattenWithZeroLastBias(grads) };
          });
          const valueErr = Math.abs(value - penalty64(flat, act, xs)) / (1 + Math.abs(value));
          const err = relativeToScale(got, want);
          report(`${backend} ${act.name} MLP penalty value err ${valueErr.toExponential(2)}, gradient err ${err.toExponential(2)}`);
          assert.ok(valueErr <= 1e-5, `penalty value differs from the float64 reference by ${valueErr}`);
          assert.ok(err <= TOL_PENALTY, `${act.name} penalty gradient error ${err} > ${TOL_PENALTY}`);
        });
      });

      ACTIVATIONS.filter((a) => a.layer !== null).forEach((act, index) => {
        it(`${act.name}: the same penalty through a tf.layers critic (Dense, fused linear output) is right`, () => {
          const { flat, xs } = criticFixture(29 + index);
          const want = penaltyGradient64(flat, act, xs);
          const model = tf.sequential();
          for (let l = 1; l < WIDTHS.length; l++) {
            const hidden = l < WIDTHS.length - 1;
            const spec = act.layer!;
            const activation = hidden && "activation" in spec ? spec.activation : "linear";
            model.add(tf.layers.dense({ units: WIDTHS[l], activation, ...(l === 1 ? { inputShape: [WIDTHS[0]] } : {}) }));
            if (hidden && "leakyReluAlpha" in spec) model.add(tf.layers.leakyReLU({ alpha: spec.leakyReluAlpha }));
          }
          try {
            tf.tidy(() => model.setWeights(paramTensors(flat)));
            const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
            const got = tf.tidy(() => {
              const points = tf.tensor2d(xs);
              const critic = (x: tf.Tensor) => model.apply(x) as tf.Tensor;
              const { grads } = tf.variableGrads(() => gradientPenaltyTf(critic, points), vars.slice(0, -1));
              // variableGrads omits a variable it finds no path to (tfjs 4.22.0 does so for the hidden biases
              // through tanh/sigmoid), as an optimizer would: count that as a zero gradient, which is wrong.
              return flattenWithZeroLastBias(vars.slice(0, -1).map((v) => grads[v.name] ?? tf.zerosLike(v)));
            });
            const err = relativeToScale(got, want);
            report(`${backend} ${act.name} tf.layers penalty gradient err ${err.toExponential(2)}`);
            assert.ok(err <= TOL_PENALTY, `${act.name} tf.layers penalty gradient error ${err} > ${TOL_PENALTY}`);
          } finally {
            model.dispose();
          }
        });
      });

      it("a gradient of a gradient inside tf.tidy leaves no tensors behind", () => {
        // Warm up once: the first call on a backend may allocate lasting state.
        for (const act of ACTIVATIONS) secondDerivative(act, POINTS);
        const before = tf.memory().numTensors;
        for (const act of ACTIVATIONS) secondDerivative(act, POINTS);
        const { flat, xs } = criticFixture(5);
        tf.tidy(() => {
          const params = paramTensors(flat);
          const points = tf.tensor2d(xs);
          for (const act of ACTIVATIONS.slice(0, 6)) {
            tf.grads((...ps: tf.Tensor[]) => gradientPenaltyTf(mlpCritic([...ps, params[5]], act), points))(params.slice(0, 5));
          }
        });
        assert.equal(tf.memory().numTensors, before);
      });
    });
  }

  describe("installation", () => {
    it("replaces the output-saving gradients of Tanh, Sigmoid, Exp, Elu and Pow with input-saving ones", () => {
      for (const name of ["Tanh", "Sigmoid", "Exp", "Elu", "Pow"]) {
        const config = tf.getGradient(name)!;
        assert.ok(config, `${name} has a gradient`);
        assert.ok(!config.outputsToSave || config.outputsToSave.every((s) => !s), `${name} saves no outputs`);
      }
      for (const name of ["Greater", "LessEqual", "LogicalAnd", "LogicalNot", "ZerosLike", "EluGrad"]) {
        assert.ok(tf.getGradient(name), `${name} has a gradient`);
      }
    });

    it("is idempotent: a second call registers nothing new", () => {
      const before = secondOrderGradientConfigs().map((c) => tf.getGradient(c.kernelName));
      installSecondOrderGradients();
      const after = secondOrderGradientConfigs().map((c) => tf.getGradient(c.kernelName));
      after.forEach((c, i) => assert.equal(c, before[i]));
    });

    it("does not print tfjs's 'Overriding the gradient' warnings, even with tfjs's DEBUG flag on", () => {
      const warnings: string[] = [];
      const originalWarn = console.warn;
      const wasDebug = tf.env().getBool("DEBUG");
      console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
      try {
        tf.env().set("DEBUG", true); // tfjs itself warns "Debugging mode is ON" here; not ours
        warnings.length = 0;
        registerGradientsQuietly(secondOrderGradientConfigs());
      } finally {
        tf.env().set("DEBUG", wasDebug);
        console.warn = originalWarn;
      }
      assert.deepEqual(warnings.filter((w) => /Overriding/.test(w)), []);
      assert.deepEqual(warnings, []);
    });
  });
});
