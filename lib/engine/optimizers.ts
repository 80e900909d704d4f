/**
 * Fused Adam and RMSProp: the same updates as `tf.train.adam` / `tf.train.rmsprop`, one pass per variable.
 *
 * TensorFlow.js builds each update from about ten elementwise kernels per variable (multiply, add, square,
 * divide, sqrt, ...), each reading and writing the whole tensor and each paying the engine's per-kernel cost.
 * For the vanilla GAN (20 variables, 2 million parameters) that is ~200 kernels and ~20 passes over memory
 * per training step. Here one kernel per variable reads the variable, its gradient and its moments once and
 * writes the new values. On `wasm` the kernel is a WebAssembly SIMD loop over the backend's own memory
 * (./perf-simd); on `cpu` a JavaScript loop over the backend's arrays; on any other backend (tfjs-node, webgl)
 * the optimizers fall back to tf ops with exactly tfjs's formulas. Every path performs tfjs's float32
 * operations in tfjs's order, so results equal tf.train's bit for bit on the same backend.
 *
 * Measured (2 cores, shared; the vanilla GAN's 20 variables, 2.0M parameters, one applyGradients):
 * wasm 26 ms → 5 ms; cpu 710 ms → 55 ms (process CPU time).
 *
 * The state is kept as tfjs keeps it (non-trainable variables named `<var>/m`, `<var>/v` for Adam,
 * `<var>/rms`, `<var>/momentum` and `<var>/mg` for RMSProp, in that order after `iter`), so `getWeights()`
 * and `setWeights()` exchange state with tfjs's own optimizers and with saved checkpoints.
 *
 * Adam: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1, in tfjs's form:
 *   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²
 *   θ ← θ − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 * with ε added *outside* the square root of the bias-corrected v (as tfjs and the paper do) and ε defaulting
 * to the backend's epsilon (1e-7 on float32 backends, as tfjs; PyTorch's default is 1e-8). β1ᵗ and β2ᵗ are
 * accumulated by repeated float32 multiplication, as tfjs does.
 *
 * RMSProp: Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e (2012), in tfjs's
 * form with momentum:
 *   ms ← ρ·ms + (1−ρ)·g²;   mom ← μ·mom + lr·g / √(ms + ε);   θ ← θ − mom
 * and, centered (Graves 2013, "Generating Sequences With Recurrent Neural Networks", eq. 38–40):
 *   mg ← ρ·mg + (1−ρ)·g;   mom ← μ·mom + lr·g / √(ms − (mg² + ε))
 * Note the centered denominator subtracts ε: that is what tfjs 4.22 computes (TensorFlow's Python optimizer
 * adds it; with tfjs's form the root is NaN wherever ms1 ≤ mg1² + ε). It is kept so that results match
 * `tf.train.rmsprop(..., centered=true)`; WGAN uses plain RMSProp, which is unaffected.
 */
import * as tf from "@tensorflow/tfjs";
import { simdLoopsFor, SimdLoops } from "./perf-simd";
import { wasmMemoryOf } from "./wasm-backend-access";

/** A backend's view of a tensor, as kernels receive it. */
type Info = tf.TensorInfo;
/** A named tensor as optimizers exchange them (tfjs-core's NamedTensor, not re-exported by @tensorflow/tfjs). */
type NamedTensor = { name: string; tensor: tf.Tensor };
type Attrs = Record<string, number | boolean>;

const ADAM_KERNEL = "TsganFusedAdam";
const RMSPROP_KERNEL = "TsganFusedRMSProp";

// ---------------------------------------------------------------------------------------------------------
// The update rules. Every path performs tfjs's float32 operations in tfjs's order (Math.fround after each
// operation in JavaScript; f32x4 lanes in the SIMD loops), so a step matches tfjs's on the same backend
// bit for bit, not just to a tolerance.

interface AdamCoefficients {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1ᵗ and 1 − β2ᵗ for this step, float32 as tfjs computes them. */
  biasCorrection1: number;
  biasCorrection2: number;
}

interface RMSPropCoefficients {
  lr: number;
  decay: number;
  momentum: number;
  epsilon: number;
}

const f = Math.fround;

/** Adam on elements [start, end): arrays are [x, m, v, g, outX, outM, outV]. */
function adamLoop(a: Float32Array[], c: AdamCoefficients, start: number, end: number): void {
  const [x, m, v, g, outX, outM, outV] = a;
  const b1 = f(c.beta1), a1 = f(1 - c.beta1), b2 = f(c.beta2), a2 = f(1 - c.beta2);
  const bc1 = f(c.biasCorrection1), bc2 = f(c.biasCorrection2), eps = f(c.epsilon), negLr = f(-c.lr);
  for (let i = start; i < end; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * b1) + f(gi * a1));
    const vi = f(f(v[i] * b2) + f(f(gi * gi) * a2));
    const step = f(f(mi / bc1) / f(f(Math.sqrt(f(vi / bc2))) + eps));
    outM[i] = mi;
    outV[i] = vi;
    outX[i] = f(step * negLr) + x[i];
  }
}

/** RMSProp on [start, end): arrays are [x, ms, mom, g, outX, outMs, outMom] or, centered, with mg after g and outMg last. */
function rmspropLoop(a: Float32Array[], c: RMSPropCoefficients, centered: boolean, start: number, end: number): void {
  const [x, ms, mom, g] = a;
  const mg = centered ? a[4] : null;
  const k = centered ? 5 : 4;
  const outX = a[k], outMs = a[k + 1], outMom = a[k + 2], outMg = centered ? a[k + 3] : null;
  const rho = f(c.decay), oneMinusRho = f(1 - c.decay), mu = f(c.momentum), lr = f(c.lr), eps = f(c.epsilon);
  for (let i = start; i < end; i++) {
    const gi = g[i];
    const msi = f(f(ms[i] * rho) + f(f(gi * gi) * oneMinusRho));
    let denominator: number;
    if (mg !== null && outMg !== null) {
      const mgi = f(f(mg[i] * rho) + f(gi * oneMinusRho));
      outMg[i] = mgi;
      denominator = f(Math.sqrt(f(msi - f(f(mgi * mgi) + eps))));
    } else {
      denominator = f(Math.sqrt(f(msi + eps)));
    }
    const momi = f(f(mom[i] * mu) + f(f(gi * lr) / denominator));
    outMs[i] = msi;
    outMom[i] = momi;
    outX[i] = f(x[i] - momi);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Kernels: the same rule on the wasm heap and on the cpu backend's arrays. Each returns fresh outputs rather
// than updating in place: a variable's buffer may be shared (tf.variable(t) shares t's), and wasm caches
// XNNPACK operators with packed weights keyed by tensor id, so writing into a weight in place would leave
// stale packed copies behind.

/** The parts of the wasm backend the kernels use (BackendWasm in @tensorflow/tfjs-backend-wasm). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array;
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  /** The single-threaded build exports its memory (`asm.memory`); the threaded build imports a shared one. */
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

/** The parts of the cpu backend the kernels use (MathBackendCPU in @tensorflow/tfjs-backend-cpu). */
interface CpuBackendLike {
  data: { get(dataId: unknown): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): Info;
}

function checkInputs(inputs: Record<string, Info>, kernel: string): void {
  const like = inputs.x;
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") {
      throw new Error(`${kernel}: input ${name} has dtype ${t.dtype}; fused optimizers update float32 variables only.`);
    }
    if (t.shape.join(",") !== like.shape.join(",")) {
      throw new Error(`${kernel}: input ${name} has shape [${t.shape}] but the variable has [${like.shape}].`);
    }
  }
}

const sizeOf = (t: Info) => t.shape.reduce((a, b) => a * b, 1);

/** Runs `simd` on the largest multiple of 4 elements and `js` on the rest, on the wasm heap. */
function runOnWasm(
  backend: WasmBackendLike, ins: Info[], outCount: number,
  simd: ((loops: SimdLoops, offsets: number[], n4: number) => void) | null,
  js: (arrays: Float32Array[], start: number, end: number) => void,
): Info[] {
  // Allocate before taking views: growing the wasm memory detaches views taken earlier.
  const outs: Info[] = [];
  for (let i = 0; i < outCount; i++) outs.push(backend.makeOutput(ins[0].shape, "float32"));
  const all = [...ins, ...outs];
  const n = sizeOf(ins[0]);
  const memory = wasmMemoryOf(backend);
  const loops = simd && memory ? simdLoopsFor(memory) : null;
  let done = 0;
  if (loops && simd) {
    done = n - (n % 4);
    simd(loops, all.map((t) => backend.dataIdMap.get(t.dataId).memoryOffset), done);
  }
  if (done < n) js(all.map((t) => backend.typedArrayFromHeap(t)), done, n);
  return outs;
}

function runOnCpu(
  backend: CpuBackendLike, ins: Info[], outCount: number,
  js: (arrays: Float32Array[], start: number, end: number) => void,
): Info[] {
  const n = sizeOf(ins[0]);
  const outArrays: Float32Array[] = [];
  for (let i = 0; i < outCount; i++) outArrays.push(new Float32Array(n));
  js([...ins.map((t) => backend.data.get(t.dataId).values as Float32Array), ...outArrays], 0, n);
  return outArrays.map((a) => backend.makeTensorInfo(ins[0].shape, "float32", a));
}

function adamInputs(inputs: tf.NamedTensorInfoMap): Info[] {
  const { x, m, v, g } = inputs as Record<string, Info>;
  checkInputs({ x, m, v, g }, ADAM_KERNEL);
  return [x, m, v, g];
}

function adamSimd(c: AdamCoefficients) {
  return (loops: SimdLoops, o: number[], n4: number) =>
    loops.adam(o[0], o[1], o[2], o[3], o[4], o[5], o[6], n4,
      c.beta1, 1 - c.beta1, c.beta2, 1 - c.beta2, c.biasCorrection1, c.biasCorrection2, c.epsilon, -c.lr);
}

function rmspropInputs(inputs: tf.NamedTensorInfoMap): Info[] {
  const { x, ms, mom, g, mg } = inputs as Record<string, Info>;
  checkInputs(mg ? { x, ms, mom, g, mg } : { x, ms, mom, g }, RMSPROP_KERNEL);
  return mg ? [x, ms, mom, g, mg] : [x, ms, mom, g];
}

function rmspropSimd(c: RMSPropCoefficients, centered: boolean) {
  return (loops: SimdLoops, o: number[], n4: number) =>
    centered
      ? loops.rmspropCentered(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], n4, c.decay, 1 - c.decay, c.momentum, c.lr, c.epsilon)
      : loops.rmsprop(o[0], o[1], o[2], o[3], o[4], o[5], o[6], n4, c.decay, 1 - c.decay, c.momentum, c.lr, c.epsilon);
}

const KERNELS: tf.KernelConfig[] = [
  {
    kernelName: ADAM_KERNEL, backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const c = attrs as unknown as AdamCoefficients;
      return runOnWasm(backend as unknown as WasmBackendLike, adamInputs(inputs), 3, adamSimd(c), (a, s, e) => adamLoop(a, c, s, e));
    },
  },
  {
    kernelName: ADAM_KERNEL, backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const c = attrs as unknown as AdamCoefficients;
      return runOnCpu(backend as unknown as CpuBackendLike, adamInputs(inputs), 3, (a, s, e) => adamLoop(a, c, s, e));
    },
  },
  {
    kernelName: RMSPROP_KERNEL, backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const c = attrs as unknown as RMSPropCoefficients;
      const ins = rmspropInputs(inputs), centered = ins.length === 5;
      return runOnWasm(backend as unknown as WasmBackendLike, ins, centered ? 4 : 3, rmspropSimd(c, centered),
        (a, s, e) => rmspropLoop(a, c, centered, s, e));
    },
  },
  {
    kernelName: RMSPROP_KERNEL, backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const c = attrs as unknown as RMSPropCoefficients;
      const ins = rmspropInputs(inputs), centered = ins.length === 5;
      return runOnCpu(backend as unknown as CpuBackendLike, ins, centered ? 4 : 3, (a, s, e) => rmspropLoop(a, c, centered, s, e));
    },
  },
];

/** Registers the fused kernels for wasm and cpu (idempotent; also runs on import). */
export function installFusedOptimizerKernels(): void {
  for (const k of KERNELS) {
    if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  }
}
installFusedOptimizerKernels();

/** True when the active backend has the fused kernel; otherwise the optimizers use tf ops. */
function hasFusedKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Optimizer state, keyed by variable name.
//
// tfjs's optimizers keep each variable's state in arrays indexed by the position of its gradient in
// `applyGradients`. A network that grows between updates (Progressive GAN adds layers, Karras et al. 2018)
// shifts those positions, and the old layers' moments end up on the wrong variables. Here every variable's
// state lives under its name: a new variable starts with zeros, the others keep theirs, and the state of a
// variable that was disposed is freed at the next update.

/** One variable's part of an optimizer's state. */
export interface VariableOptimizerState {
  /** Slot tensors by slot name: Adam's m and v; RMSProp's rms and momentum (and mg when centered). */
  slots: Record<string, tf.Tensor>;
  /**
   * Exact float32 scalars of this variable: Adam's β1ᵗ and β2ᵗ for its own step count t (recomputing them
   * with pow differs in the last bits, enough for a resumed run to drift).
   */
  scalars: Record<string, number>;
}

/** A snapshot of an optimizer's state for checkpoints. Its tensors are the optimizer's own: do not dispose them. */
export interface OptimizerState {
  /** What `getClassName()` returns; a state only loads into an optimizer of the same class. */
  className: string;
  /** The hyperparameters (`getConfig()`), so a resumed run can say when they differ. */
  config: Record<string, number | boolean | null>;
  /** `applyGradients` calls so far. */
  iterations: number;
  /** Each variable's state, by variable name. */
  variables: Record<string, VariableOptimizerState>;
}

/** An optimizer that exports and imports its whole state by variable name (every tsgan optimizer). */
export interface StatefulOptimizer {
  exportState(): OptimizerState;
  /** Replaces the state with copies of `state`'s tensors. Variables must exist (be registered) under its names. */
  importState(state: OptimizerState): void;
}

export function isStatefulOptimizer(optimizer: unknown): optimizer is tf.Optimizer & StatefulOptimizer {
  const o = optimizer as Partial<StatefulOptimizer> | null;
  return o != null && typeof o.exportState === "function" && typeof o.importState === "function";
}

type Gradients = tf.NamedTensorMap | NamedTensor[];

function namesOf(gradients: Gradients): string[] {
  return Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients);
}

function gradientAt(gradients: Gradients, name: string, i: number): tf.Tensor | undefined {
  return Array.isArray(gradients) ? gradients[i].tensor : gradients[name];
}

function registeredVariable(name: string): tf.Variable {
  const v = tf.engine().registeredVariables[name];
  if (!v) throw new Error(`Optimizer: no variable named "${name}" is registered; pass gradients from tf.variableGrads.`);
  return v;
}

/** The backend's float32 epsilon, as tfjs's optimizers default to. */
function backendEpsilon(): number {
  return tf.backend().epsilon();
}

/** Replaces a variable's value with a tensor the kernel produced, releasing the old buffer. */
function assignAndDispose(variable: tf.Variable, value: tf.Tensor): void {
  variable.assign(value);
  value.dispose();
}

/** A copy as a non-trainable variable, so later updates never alias the caller's data. */
function stateVariable(value: tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.add(value, 0).variable(false));
}

/** What an optimizer keeps for one variable. */
interface VariableState {
  /** The variable the state belongs to: a later variable registered under the same name gets fresh state. */
  owner: tf.Variable;
  slots: Record<string, tf.Variable>;
  scalars: Record<string, number>;
}

/**
 * The state bookkeeping shared by tsgan's optimizers: slots and scalars by variable name, tfjs-compatible
 * getWeights/setWeights. Scalars such as Adam's βᵗ are per variable too, so a layer added at step 1000 gets the
 * bias correction of its own first step, as PyTorch's per-parameter step counts give it; when every variable
 * is updated at every step (tfjs's case) they all equal tfjs's single counter.
 */
abstract class KeyedStateOptimizer extends tf.Optimizer implements StatefulOptimizer {
  /** The step size of the next update; a learning-rate schedule changes it with `setLearningRate`. */
  abstract learningRate: number;

  /**
   * Sets the step size of the following updates (a learning-rate schedule, e.g. annealing at the end of a run);
   * the moment estimates and other slots are kept. 0 freezes the variables.
   */
  setLearningRate(rate: number): void {
    if (!(typeof rate === "number" && Number.isFinite(rate) && rate >= 0)) {
      throw new Error(`${this.getClassName()}.setLearningRate: the rate must be a finite number ≥ 0, got ${rate}.`);
    }
    this.learningRate = rate;
  }

  /** The slots of each variable, in the order tfjs's getWeights lists them. */
  protected abstract slotNames(): readonly string[];
  /** The scalars of a variable that has not been updated yet. */
  protected initialScalars(): Record<string, number> {
    return {};
  }
  /** The scalars of a variable after `iterations` updates, as tfjs recomputes them in setWeights. */
  protected scalarsAfter(_iterations: number): Record<string, number> {
    return {};
  }
  private state = new Map<string, VariableState>();

  /** The state of `value`, created (zero slots) the first time it is updated. */
  private stateOf(value: tf.Variable): VariableState {
    const entry = this.state.get(value.name);
    if (entry && entry.owner === value) return entry;
    if (entry) tf.dispose(Object.values(entry.slots)); // a new variable under a disposed one's name
    const slots: Record<string, tf.Variable> = {};
    for (const s of this.slotNames()) slots[s] = tf.tidy(() => tf.zerosLike(value).variable(false));
    const fresh = { owner: value, slots, scalars: this.initialScalars() };
    this.state.set(value.name, fresh);
    return fresh;
  }

  /** Frees the state of variables that have been disposed (a network replaced by a grown one). */
  protected forgetDisposedVariables(): void {
    const registered = tf.engine().registeredVariables;
    for (const [name, entry] of this.state) {
      if (registered[name] !== entry.owner) {
        tf.dispose(Object.values(entry.slots));
        this.state.delete(name);
      }
    }
  }

  /** Calls `update` for each variable that has a gradient, with its state; then counts the iteration. */
  protected forEachGradient(gradients: Gradients, update: (value: tf.Variable, g: tf.Tensor, state: VariableState) => void): void {
    this.forgetDisposedVariables();
    namesOf(gradients).forEach((name, i) => {
      const g = gradientAt(gradients, name, i);
      if (g == null) return;
      const value = registeredVariable(name);
      update(value, g, this.stateOf(value));
    });
    this.incrementIterations();
  }

  /** Names of the variables this optimizer holds state for, in the order they were first updated. */
  stateVariableNames(): string[] {
    return [...this.state.keys()];
  }

  dispose(): void {
    for (const entry of this.state.values()) tf.dispose(Object.values(entry.slots));
    this.state.clear();
  }

  /** tfjs's layout: `iter`, then every variable's first slot, then every variable's second slot, ... */
  async getWeights(): Promise<NamedTensor[]> {
    const entries = [...this.state.entries()];
    const state = this.slotNames().flatMap((s) => entries.map(([name, e]) => ({ name: `${name}/${s}`, tensor: e.slots[s] as tf.Tensor })));
    return [await this.saveIterations(), ...state];
  }

  /**
   * Reads tfjs's layout (also tf.train's own optimizers' `getWeights()`); state is keyed by the variable names
   * it holds, and the scalars are recomputed from the iteration count, as tfjs does.
   */
  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const slots = this.slotNames();
    if (slots.length === 0 ? rest.length !== 0 : rest.length % slots.length !== 0) {
      throw new Error(
        `${this.getClassName()}.setWeights: expected iter then ${slots.join(", ") || "nothing"} for each variable, ` +
          `got ${rest.length} state tensors.`,
      );
    }
    const n = slots.length === 0 ? 0 : rest.length / slots.length;
    const variables: Record<string, VariableOptimizerState> = {};
    const scalars = this.scalarsAfter(this.iterations);
    for (let k = 0; k < n; k++) {
      const suffix = `/${slots[0]}`;
      const first = rest[k].name;
      const name = first.endsWith(suffix) ? first.slice(0, -suffix.length) : first;
      variables[name] = { slots: Object.fromEntries(slots.map((s, j) => [s, rest[j * n + k].tensor])), scalars };
    }
    this.replaceState(variables);
  }

  exportState(): OptimizerState {
    const variables: Record<string, VariableOptimizerState> = {};
    for (const [name, e] of this.state) variables[name] = { slots: { ...e.slots }, scalars: { ...e.scalars } };
    return {
      className: this.getClassName(),
      config: this.getConfig() as Record<string, number | boolean | null>,
      iterations: this.iterations,
      variables,
    };
  }

  importState(state: OptimizerState): void {
    if (state == null || state.className !== this.getClassName()) {
      throw new Error(
        `${this.getClassName()}.importState: the state is ${state?.className ?? "missing"}'s; use the same kind of optimizer as the saved run.`,
      );
    }
    for (const [name, v] of Object.entries(state.variables ?? {})) {
      const missing = this.slotNames().filter((s) => !(v?.slots?.[s] instanceof tf.Tensor));
      if (missing.length > 0) throw new Error(`${this.getClassName()}.importState: variable "${name}" lacks slot(s) ${missing.join(", ")}.`);
    }
    this.replaceState(state.variables ?? {});
    this.iterations_ = state.iterations;
  }

  /** Disposes the current state and makes copies of `variables` (name → slots and scalars). */
  private replaceState(variables: Record<string, VariableOptimizerState>): void {
    const registered = tf.engine().registeredVariables;
    const next = new Map<string, VariableState>();
    try {
      for (const [name, v] of Object.entries(variables)) {
        const owner = registered[name];
        if (!owner) throw new Error(`${this.getClassName()}: there is no variable named "${name}" to restore optimizer state for.`);
        const copies: Record<string, tf.Variable> = {};
        next.set(name, { owner, slots: copies, scalars: { ...this.initialScalars(), ...v.scalars } });
        for (const s of this.slotNames()) {
          if (!tf.util.arraysEqual(v.slots[s].shape, owner.shape)) {
            throw new Error(`${this.getClassName()}: the ${s} state of "${name}" has shape [${v.slots[s].shape}] but the variable has [${owner.shape}].`);
          }
          copies[s] = stateVariable(v.slots[s]);
        }
      }
    } catch (err) {
      for (const e of next.values()) tf.dispose(Object.values(e.slots));
      throw err;
    }
    this.dispose();
    this.state = next;
  }
}

/**
 * Adam with one fused kernel per variable. Drop-in for `tf.train.adam(learningRate, beta1, beta2, epsilon)`:
 * same defaults, bit-identical results on the same backend, same `getWeights()` layout.
 */
export class FusedAdamOptimizer extends KeyedStateOptimizer {
  static className = "TsganFusedAdam";
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super();
    checkRate("adam", "learningRate", learningRate);
    checkUnitInterval("adam", "beta1", beta1);
    checkUnitInterval("adam", "beta2", beta2);
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon ?? backendEpsilon();
  }

  protected slotNames(): readonly string[] {
    return ["m", "v"];
  }

  /** β1ᵗ and β2ᵗ for the variable's next step t = 1: tfjs starts its accumulators at β. */
  protected initialScalars(): Record<string, number> {
    return { accBeta1: Math.fround(this.beta1), accBeta2: Math.fround(this.beta2) };
  }

  /** tfjs restores βᵗ as pow(β, iter + 1) in float32. */
  protected scalarsAfter(iterations: number): Record<string, number> {
    return {
      accBeta1: Math.fround(Math.pow(Math.fround(this.beta1), iterations + 1)),
      accBeta2: Math.fround(Math.pow(Math.fround(this.beta2), iterations + 1)),
    };
  }

  applyGradients(gradients: Gradients): void {
    const fused = hasFusedKernel(ADAM_KERNEL);
    const b1 = Math.fround(this.beta1), b2 = Math.fround(this.beta2);
    this.forEachGradient(gradients, (value, g, { slots: { m, v }, scalars }) => {
      const attrs: AdamCoefficients = {
        lr: this.learningRate,
        beta1: this.beta1,
        beta2: this.beta2,
        epsilon: this.epsilon,
        biasCorrection1: Math.fround(1 - scalars.accBeta1),
        biasCorrection2: Math.fround(1 - scalars.accBeta2),
      };
      if (fused) {
        const [x1, m1, v1] = tf.engine().runKernel(ADAM_KERNEL, { x: value, m, v, g }, attrs as never) as tf.Tensor[];
        assignAndDispose(m, m1);
        assignAndDispose(v, v1);
        assignAndDispose(value, x1);
      } else {
        adamWithOps(value, m, v, g, attrs);
      }
      // Accumulated by float32 multiplication, as tfjs does.
      scalars.accBeta1 = Math.fround(scalars.accBeta1 * b1);
      scalars.accBeta2 = Math.fround(scalars.accBeta2 * b2);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon);
  }
}

/** tfjs's Adam step with tf ops, for backends without the fused kernel. */
function adamWithOps(value: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, c: AdamCoefficients): void {
  tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1));
    const v1 = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
    const mHat = tf.div(m1, c.biasCorrection1);
    const vHat = tf.div(v1, c.biasCorrection2);
    m.assign(m1);
    v.assign(v1);
    value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), c.epsilon)), -c.lr), value));
  });
}

/**
 * RMSProp with one fused kernel per variable. Drop-in for
 * `tf.train.rmsprop(learningRate, decay, momentum, epsilon, centered)`: same defaults and results.
 */
export class FusedRMSPropOptimizer extends KeyedStateOptimizer {
  static className = "TsganFusedRMSProp";
  learningRate: number;
  readonly decay: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(learningRate: number, decay = 0.9, momentum = 0.0, epsilon: number | null = null, centered = false) {
    super();
    checkRate("rmsprop", "learningRate", learningRate);
    checkUnitInterval("rmsprop", "decay", decay);
    if (!(momentum >= 0)) throw new Error(`rmsprop: momentum must be ≥ 0, got ${momentum}.`);
    this.learningRate = learningRate;
    this.decay = decay;
    this.momentum = momentum;
    this.epsilon = epsilon ?? backendEpsilon();
    this.centered = centered;
  }

  protected slotNames(): readonly string[] {
    return this.centered ? ["rms", "momentum", "mg"] : ["rms", "momentum"];
  }

  applyGradients(gradients: Gradients): void {
    const fused = hasFusedKernel(RMSPROP_KERNEL);
    const attrs: RMSPropCoefficients = { lr: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon };
    this.forEachGradient(gradients, (value, g, { slots }) => {
      const ms = slots.rms, mom = slots.momentum;
      const mg = this.centered ? slots.mg : null;
      if (fused) {
        const inputs: tf.NamedTensorMap = mg ? { x: value, ms, mom, g, mg } : { x: value, ms, mom, g };
        const outs = tf.engine().runKernel(RMSPROP_KERNEL, inputs, attrs as never) as tf.Tensor[];
        assignAndDispose(ms, outs[1]);
        assignAndDispose(mom, outs[2]);
        if (mg) assignAndDispose(mg, outs[3]);
        assignAndDispose(value, outs[0]);
      } else {
        rmspropWithOps(value, ms, mom, g, mg, attrs);
      }
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }

  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate, config.decay, config.momentum, config.epsilon, config.centered);
  }
}

/** tfjs's RMSProp step with tf ops, for backends without the fused kernel. */
function rmspropWithOps(
  value: tf.Variable, ms: tf.Variable, mom: tf.Variable, g: tf.Tensor, mg: tf.Variable | null, c: RMSPropCoefficients,
): void {
  tf.tidy(() => {
    const ms1 = tf.add(tf.mul(ms, c.decay), tf.mul(tf.square(g), 1 - c.decay));
    let denominator: tf.Tensor;
    if (mg) {
      const mg1 = tf.add(tf.mul(mg, c.decay), tf.mul(g, 1 - c.decay));
      denominator = tf.sqrt(tf.sub(ms1, tf.add(tf.square(mg1), c.epsilon)));
      mg.assign(mg1);
    } else {
      denominator = tf.sqrt(tf.add(ms1, c.epsilon));
    }
    const mom1 = tf.add(tf.mul(mom, c.momentum), tf.div(tf.mul(g, c.lr), denominator));
    ms.assign(ms1);
    mom.assign(mom1);
    value.assign(tf.sub(value, mom1));
  });
}

/**
 * Plain stochastic gradient descent, θ ← θ + (−lr)·g, in tf.train.sgd's arithmetic (so its results equal
 * tf.train.sgd's), with tsgan's exportable state. A learning rate of 0 is allowed: tests use it to keep
 * every step identical.
 */
export class SGDOptimizer extends KeyedStateOptimizer {
  static className = "TsganSGD";
  learningRate: number;

  constructor(learningRate: number) {
    super();
    if (!(typeof learningRate === "number" && Number.isFinite(learningRate) && learningRate >= 0)) {
      throw new Error(`sgd: learningRate must be a finite number ≥ 0, got ${learningRate}.`);
    }
    this.learningRate = learningRate;
  }

  protected slotNames(): readonly string[] {
    return [];
  }

  applyGradients(gradients: Gradients): void {
    this.forEachGradient(gradients, (value, g) => {
      tf.tidy(() => value.assign(tf.add(tf.mul(tf.scalar(-this.learningRate), g), value)));
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate };
  }

  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate);
  }
}

function checkRate(opt: string, name: string, x: number): void {
  if (!(typeof x === "number" && Number.isFinite(x) && x > 0)) {
    throw new Error(`${opt}: ${name} must be a positive finite number, got ${x}.`);
  }
}

function checkUnitInterval(opt: string, name: string, x: number): void {
  if (!(typeof x === "number" && x >= 0 && x < 1)) {
    throw new Error(`${opt}: ${name} must be in [0, 1), got ${x}.`);
  }
}

tf.serialization.registerClass(FusedAdamOptimizer);
tf.serialization.registerClass(FusedRMSPropOptimizer);
tf.serialization.registerClass(SGDOptimizer);

/** Fused Adam with `tf.train.adam`'s signature and defaults (β1 0.9, β2 0.999, ε = backend epsilon, 1e-7). */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}

/** Fused RMSProp with `tf.train.rmsprop`'s signature and defaults (decay 0.9, momentum 0, ε = 1e-7). */
export function rmsprop(
  learningRate: number, decay = 0.9, momentum = 0.0, epsilon: number | null = null, centered = false,
): FusedRMSPropOptimizer {
  return new FusedRMSPropOptimizer(learningRate, decay, momentum, epsilon, centered);
}

/** Plain SGD with `tf.train.sgd`'s signature. */
export function sgd(learningRate: number): SGDOptimizer {
  return new SGDOptimizer(learningRate);
}
