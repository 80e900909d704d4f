import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { useBackend, engineInfo, BackendChoice } from "../../lib/engine/backend";
import { simdLoopsFor } from "../../lib/engine/perf-simd";
import { adam, rmsprop, sgd, FusedAdamOptimizer, FusedRMSPropOptimizer, installFusedOptimizerKernels } from "../../lib/engine/optimizers";

/** Sizes that are and are not multiples of the SIMD width (4), including a scalar. */
const SHAPES = [[3, 5], [7], [16, 9], [], [33, 4]];
const STEPS = 12;
/** Stated tolerance: relative to max(|reference|, 1e-3). The paths are designed to agree bit for bit. */
const TOLERANCE = 1e-5;

let counter = 0;
function makeVariables(seed: number): tf.Variable[] {
  return SHAPES.map((s, k) => tf.variable(tf.randomNormal(s, 0, 1, "float32", seed + k), true, `opt_test_${counter++}`));
}

/** The same random gradients every call, differing by step, including exact zeros and large values. */
function gradientsFor(step: number): tf.Tensor[] {
  return SHAPES.map((s, k) =>
    tf.tidy(() => {
      const g = tf.randomNormal(s, 0, step % 3 === 0 ? 10 : 0.1, "float32", 1000 * step + k + 1); // seed 0 would mean "unseeded"
      return k === 0 && step === 2 ? tf.zerosLike(g) : g;
    }),
  );
}

function applyStep(opt: tf.Optimizer, vars: tf.Variable[], grads: tf.Tensor[]): void {
  const map: tf.NamedTensorMap = {};
  vars.forEach((v, i) => (map[v.name] = grads[i]));
  opt.applyGradients(map);
}

function train(opt: tf.Optimizer, vars: tf.Variable[], from: number, to: number): void {
  for (let step = from; step < to; step++) {
    const grads = gradientsFor(step);
    applyStep(opt, vars, grads);
    tf.dispose(grads);
  }
}

function assertClose(actual: tf.Tensor[], expected: tf.Tensor[], what: string): void {
  actual.forEach((a, i) => {
    const x = a.dataSync(), y = expected[i].dataSync();
    assert.equal(x.length, y.length);
    for (let j = 0; j < x.length; j++) {
      const scale = Math.max(Math.abs(y[j]), 1e-3);
      assert.ok(Math.abs(x[j] - y[j]) <= TOLERANCE * scale, `${what}: tensor ${i}[${j}] = ${x[j]}, reference ${y[j]}`);
    }
  });
}

type Maker = () => [tf.Optimizer, tf.Optimizer];
const CASES: { name: string; make: Maker }[] = [
  { name: "adam defaults", make: () => [tf.train.adam(), adam()] },
  { name: "adam lr 2e-4, beta1 0.5 (the GAN setting)", make: () => [tf.train.adam(2e-4, 0.5), adam(2e-4, 0.5)] },
  { name: "adam with epsilon 1e-3", make: () => [tf.train.adam(0.01, 0.8, 0.99, 1e-3), adam(0.01, 0.8, 0.99, 1e-3)] },
  { name: "rmsprop (WGAN: lr 5e-5)", make: () => [tf.train.rmsprop(5e-5), rmsprop(5e-5)] },
  { name: "rmsprop with momentum", make: () => [tf.train.rmsprop(0.01, 0.95, 0.9), rmsprop(0.01, 0.95, 0.9)] },
  { name: "rmsprop centered", make: () => [tf.train.rmsprop(0.01, 0.9, 0.5, 1e-6, true), rmsprop(0.01, 0.9, 0.5, 1e-6, true)] },
];

describe("engine/optimizers", () => {
  let initial: BackendChoice;
  before(() => {
    initial = engineInfo().choice;
  });
  after(async () => {
    await useBackend(initial);
  });

  for (const backend of ["cpu", "wasm"] as const) {
    describe(`on ${backend}`, () => {
      before(async () => {
        await useBackend(backend);
      });

      if (backend === "wasm") {
        it("uses the SIMD loops (the module assembles and binds to the backend's memory)", () => {
          // The single-threaded build exports its memory; the threaded one imports a shared memory.
          const wasm = (tf.backend() as unknown as { wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory } }).wasm;
          const memory = wasm.asm?.memory ?? wasm.wasmMemory;
          assert.ok(memory instanceof WebAssembly.Memory);
          assert.ok(simdLoopsFor(memory) !== null);
        });
      }

      for (const c of CASES) {
        it(`${c.name}: ${STEPS} steps match tf.train's`, () => {
          const [ref, fused] = c.make();
          const refVars = makeVariables(1), fusedVars = makeVariables(1);
          train(ref, refVars, 0, STEPS);
          train(fused, fusedVars, 0, STEPS);
          // Sanity: training moved the variables, so the comparison compares something.
          const start = makeVariables(1);
          assert.ok(tf.tidy(() => tf.sub(refVars[0], start[0]).abs().max().dataSync()[0]) > 1e-4);
          assertClose(fusedVars, refVars, c.name);
          tf.dispose([...refVars, ...fusedVars, ...start]);
          ref.dispose();
          fused.dispose();
        });
      }

      /** Fresh variables with the same names and values as `vars` (after disposing them): a rebuilt model. */
      function rebuild(vars: tf.Variable[]): tf.Variable[] {
        const saved = vars.map((v) => ({ name: v.name, value: v.clone() }));
        tf.dispose(vars);
        return saved.map(({ name, value }) => {
          const v = tf.variable(value, true, name);
          value.dispose();
          return v;
        });
      }

      it("state round-trips through getWeights/setWeights by variable name, also to and from tf.train.adam", async () => {
        const ref = tf.train.adam(0.01, 0.5), fused = adam(0.01, 0.5);
        let refVars = makeVariables(2), fusedVars = makeVariables(2);
        train(ref, refVars, 0, 4);
        train(fused, fusedVars, 0, 4);
        const saved = await fused.getWeights();
        assert.deepEqual(saved.map((w) => w.name).slice(0, 3), ["iter", `${fusedVars[0].name}/m`, `${fusedVars[1].name}/m`]);
        const savedCopies = saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
        const refSaved = (await ref.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
        // The references carry on; the copies are rebuilt (same names, same values) and resume from the saved state.
        const fusedCopy = fusedVars.map((v) => v.clone()), refCopy = refVars.map((v) => v.clone());
        train(fused, fusedVars, 4, 8);
        train(ref, refVars, 4, 8);
        const fusedAfter = fusedVars.map((v) => v.clone()), refAfter = refVars.map((v) => v.clone());
        fusedVars.forEach((v, i) => v.assign(fusedCopy[i]));
        refVars.forEach((v, i) => v.assign(refCopy[i]));
        fusedVars = rebuild(fusedVars);
        refVars = rebuild(refVars);
        const resumed = adam(0.01, 0.5), fromTfjs = adam(0.01, 0.5);
        await resumed.setWeights(savedCopies);
        await fromTfjs.setWeights(refSaved);
        assert.equal(resumed.iterations, 4);
        train(resumed, fusedVars, 4, 8);
        train(fromTfjs, refVars, 4, 8);
        assertClose(fusedVars, fusedAfter, "resumed fused");
        assertClose(refVars, refAfter, "fused resumed from tf.train.adam state");
        tf.dispose([...refVars, ...fusedVars, ...fusedCopy, ...refCopy, ...fusedAfter, ...refAfter]);
        tf.dispose([...savedCopies, ...refSaved].map((w) => w.tensor));
        [ref, fused, resumed, fromTfjs].forEach((o) => o.dispose());
      });

      it("exportState/importState resume bit for bit, βᵗ included, for adam, rmsprop (centered) and sgd", () => {
        for (const make of [() => adam(0.01, 0.5), () => rmsprop(0.01, 0.9, 0.5, null, true), () => sgd(0.05)]) {
          const a = make();
          let vars = makeVariables(6);
          train(a, vars, 0, 5);
          const exported = a.exportState();
          const copy = {
            ...exported,
            variables: Object.fromEntries(Object.entries(exported.variables).map(([k, v]) => [k, {
              slots: Object.fromEntries(Object.entries(v.slots).map(([s, t]) => [s, t.clone()])), scalars: { ...v.scalars },
            }])),
          };
          const values = vars.map((v) => v.clone());
          train(a, vars, 5, 9);
          const after = vars.map((v) => v.clone());
          vars.forEach((v, i) => v.assign(values[i]));
          vars = rebuild(vars);
          const b = make();
          b.importState(copy);
          assert.equal(b.iterations, 5);
          train(b, vars, 5, 9);
          vars.forEach((v, i) => assert.deepEqual(Array.from(v.dataSync()), Array.from(after[i].dataSync()), `${a.getClassName()} variable ${i}`));
          tf.dispose([...vars, ...values, ...after, ...Object.values(copy.variables).flatMap((v) => Object.values(v.slots))]);
          a.dispose(); b.dispose();
        }
        assert.throws(() => adam().importState({ ...rmsprop(0.1).exportState() }), /the state is TsganFusedRMSProp's/);
      });

      it("keeps state by variable: another order or a new variable leaves each variable's own state alone", () => {
        // Reference: one optimizer per variable (Adam is elementwise, and βᵗ is counted per variable).
        const vars = makeVariables(7), alone = makeVariables(7);
        const shared = adam(0.01, 0.5), separate = vars.map(() => adam(0.01, 0.5));
        const order = [[0, 1, 2], [2, 0, 1], [4, 2, 1, 0], [1, 4, 3, 2, 0]]; // variables 3 and 4 join late
        order.forEach((indices, step) => {
          const grads = gradientsFor(step);
          const map: tf.NamedTensorMap = {};
          for (const i of indices) map[vars[i].name] = grads[i];
          shared.applyGradients(map);
          for (const i of indices) separate[i].applyGradients({ [alone[i].name]: grads[i] });
          tf.dispose(grads);
        });
        assertClose(vars, alone, "shared optimizer vs one per variable");
        assert.deepEqual(shared.stateVariableNames(), [0, 1, 2, 4, 3].map((i) => vars[i].name));
        // A disposed variable's state is freed at the next update.
        const g = gradientsFor(9);
        const count = tf.memory().numTensors;
        const gone = vars[4].name;
        vars[4].dispose();
        shared.applyGradients({ [vars[0].name]: g[0] });
        assert.ok(!shared.stateVariableNames().includes(gone) && shared.stateVariableNames().length === 4);
        assert.equal(tf.memory().numTensors, count - 1 - 2, "the variable and its m and v are gone");
        tf.dispose([...g, ...vars.filter((_, i) => i !== 4), ...alone]);
        [shared, ...separate].forEach((o) => o.dispose());
      });

      it("sgd makes tf.train.sgd's updates and allows a learning rate of 0", () => {
        const ref = tf.train.sgd(0.05), ours = sgd(0.05);
        const a = makeVariables(8), b = makeVariables(8);
        train(ref, a, 0, STEPS);
        train(ours, b, 0, STEPS);
        assertClose(b, a, "sgd");
        const still = makeVariables(9), start = makeVariables(9);
        train(sgd(0), still, 0, 3);
        assertClose(still, start, "sgd(0) changes nothing");
        tf.dispose([...a, ...b, ...still, ...start]);
        assert.throws(() => sgd(-1), /sgd: learningRate must be a finite number ≥ 0, got -1/);
      });

      it("a step leaks no tensors", () => {
        for (const opt of [adam(1e-3), rmsprop(1e-3, 0.9, 0.9, null, true)]) {
          const vars = makeVariables(4);
          const grads = gradientsFor(1);
          applyStep(opt, vars, grads); // burn-in creates the state variables
          const count = tf.memory().numTensors;
          for (let i = 0; i < 3; i++) applyStep(opt, vars, grads);
          assert.equal(tf.memory().numTensors, count);
          tf.dispose([...vars, ...grads]);
          opt.dispose();
        }
      });
    });
  }

  it("without the fused kernel (other backends) the tf-ops path gives the same result", async () => {
    await useBackend("cpu");
    const ref = tf.train.adam(0.01, 0.5), fused = adam(0.01, 0.5);
    const rRef = tf.train.rmsprop(0.01, 0.9, 0.5, 1e-6, true), rFused = rmsprop(0.01, 0.9, 0.5, 1e-6, true);
    const vars = [makeVariables(5), makeVariables(5), makeVariables(5), makeVariables(5)];
    tf.unregisterKernel("TsganFusedAdam", "cpu");
    tf.unregisterKernel("TsganFusedRMSProp", "cpu");
    try {
      train(fused, vars[1], 0, STEPS);
      train(rFused, vars[3], 0, STEPS);
    } finally {
      installFusedOptimizerKernels();
    }
    train(ref, vars[0], 0, STEPS);
    train(rRef, vars[2], 0, STEPS);
    assertClose(vars[1], vars[0], "adam ops path");
    assertClose(vars[3], vars[2], "rmsprop ops path");
    tf.dispose(vars.flat());
  });

  it("is registered for serialization and rebuilds from its config", () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    assert.ok(map[FusedAdamOptimizer.className] && map[FusedRMSPropOptimizer.className]);
    const a = adam(2e-4, 0.5);
    const [cls, fromConfig] = map[a.getClassName()];
    const b = fromConfig(cls, a.getConfig()) as FusedAdamOptimizer;
    assert.ok(b instanceof FusedAdamOptimizer);
    assert.deepEqual(b.getConfig(), { learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-7 });
    const r = rmsprop(5e-5, 0.8, 0.1, 1e-6, true);
    const [rcls, rFromConfig] = map[r.getClassName()];
    assert.deepEqual((rFromConfig(rcls, r.getConfig()) as FusedRMSPropOptimizer).getConfig(), r.getConfig());
  });

  it("rejects bad hyperparameters with a message naming them", () => {
    assert.throws(() => adam(-1), /adam: learningRate must be a positive finite number, got -1/);
    assert.throws(() => adam(1e-3, 1), /adam: beta1 must be in \[0, 1\)/);
    assert.throws(() => rmsprop(NaN), /rmsprop: learningRate/);
  });
});
