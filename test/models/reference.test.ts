/**
 * Reference generators (lib/models/reference.ts, tools/store-generator.ts): a short `tsgan train` run is
 * stored and loaded back exactly; the stored references under data/generators/ load, match their meta.json,
 * and are as good as the lessons that use them say (scored here with the stored classifier, never stored).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { fileSystem } from "../../lib/io/files";
import { latestCheckpoint } from "../../lib/train/checkpoint";
import { float16Bits, listReferenceGenerators, loadReferenceGenerator, referenceGeneratorDir } from "../../lib/models/reference";
import { argmaxRows, loadClassifier } from "../../lib/metrics/classifier";
import { classCoverage, classifierScoreFromProbabilities } from "../../lib/metrics/quality";
import { storeGenerator, trainArguments } from "../../tools/store-generator";
import { gridOfGaussians } from "../../lib/data/toy";
import { modeCollapseMetrics, starvedModes } from "../../lib/metrics/mode-collapse";
import type { RunConfig } from "../../tools/cli/run-folder";
import { expectExit, runCli, tempDir } from "../tools/cli/helpers";

/** What the lessons rely on, per stored digit generator: the classifier score and classes covered of 1,000 samples. */
const PROMISED: Record<string, { score: number; classes: number }> = {
  "vanilla-mnist": { score: 5, classes: 10 },
  "dcgan-mnist": { score: 5, classes: 10 },
};

/** Lesson 04's grid generators: what it checks of 2,500 samples (seed 77), at every profile. */
const GRID_REFERENCES = ["vanilla-grid-0", "vanilla-grid-1", "vanilla-grid-2"];

/** `values` rounded to float16 by float16Bits and decoded by tfjs's own weight decoder (what loading does). */
function viaFloat16(values: Float32Array): Float32Array {
  const bits = Uint16Array.from(values, float16Bits);
  const decoded = tf.io.decodeWeights(bits.buffer, [{ name: "w", shape: [values.length], dtype: "float32", quantization: { dtype: "float16" } }]);
  const out = decoded.w.dataSync() as Float32Array;
  decoded.w.dispose();
  return out;
}

describe("models/reference", function () {
  this.timeout(120000);
  const root = tempDir("reference");
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("float16Bits: exact halves, ties to even, subnormals, and an error beyond the range", () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [0.1, 0x2e66],
      [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], // halfway cases round to the even neighbour
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -26, 0x0000], [3 * 2 ** -25, 0x0002], [Infinity, 0x7c00],
    ];
    for (const [value, bits] of cases) assert.equal(float16Bits(value), bits, `float16Bits(${value})`);
    assert.ok(Number.isNaN(viaFloat16(new Float32Array([NaN]))[0]));
    assert.throws(() => float16Bits(70000), /70000 is outside the float16 range/);
    // Normal-range values come back within half a unit in the last place: relative error ≤ 2^-11.
    const rng = Array.from({ length: 2000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 9) - 4));
    const values = Float32Array.from(rng);
    const back = viaFloat16(values);
    values.forEach((v, i) => assert.ok(Math.abs(back[i] - v) <= 2 ** -11 * Math.abs(v) + 2 ** -25, `${v} → ${back[i]}`));
  });

  for (const [variant, name] of [["vanilla", "tiny-vanilla"], ["cgan", "tiny-cgan"]] as const) {
    it(`stores a ${variant} run's last generator and loads it back exactly, with the commands that rebuild it`, async () => {
      const run = path.join(root, variant);
      expectExit(await runCli(["train", variant, "--dataset", "mnist-train", "--steps", "3", "--batch-size", "8", "--seed", "7",
        "--checkpoint-every", "2", "--out", run]), 0, "train");
      const line = await storeGenerator(run, name, { backend: "wasm, test", root: path.join(root, "generators") });
      assert.match(line, new RegExp(`stored ${variant} \\(\\d+ weights, step 3\\)`));
      const dir = referenceGeneratorDir(name, path.join(root, "generators"));
      const ref = await loadReferenceGenerator(name, dir);
      const original = await tf.loadLayersModel(fileSystem(path.join(latestCheckpoint(path.join(run, "checkpoints")), "networks", "generator")));
      try {
        const m = ref.meta;
        assert.deepEqual([m.variant, m.dataset, m.steps, m.batchSize, m.seed, m.latentDim, m.numClasses, m.backend],
          [variant, "mnist-train", 3, 8, 7, 100, variant === "cgan" ? 10 : 0, "wasm, test"]);
        assert.equal(m.command, `npx tsgan train ${variant} --dataset mnist-train --steps 3 --batch-size 8 --seed 7 --out runs/${name} ` +
          `&& npm run store-generator -- runs/${name} ${name}`);
        assert.equal(m.parameters, original.countParams());
        assert.equal(m.precision, "float16");
        // Loading gives exactly the checkpoint's weights rounded to float16.
        const loadedWeights = ref.generator.getWeights(), originalWeights = original.getWeights();
        assert.equal(loadedWeights.length, originalWeights.length);
        loadedWeights.forEach((w, i) => assert.deepEqual(Array.from(w.dataSync()), Array.from(viaFloat16(originalWeights[i].dataSync() as Float32Array)), `weight ${i}`));
        tf.tidy(() => original.setWeights(originalWeights.map((w) => tf.tensor(viaFloat16(w.dataSync() as Float32Array), w.shape))));
        assert.ok(m.trainingSeconds !== null && m.trainingSeconds >= 0 && m.trainingSeconds < 120, `trainingSeconds ${m.trainingSeconds}`);
        assert.equal(ref.conditional, variant === "cgan");

        const labels = [0, 3, 9, 1];
        const before = tf.memory().numTensors;
        const images = ref.generate(4, { seed: 11, labels: ref.conditional ? labels : undefined });
        const again = ref.generate(4, { seed: 11, labels: ref.conditional ? labels : undefined });
        // The same noise (and labels) through the checkpoint's own generator.
        const expected = tf.tidy(() => {
          const z = tf.randomNormal([4, 100], 0, 1, "float32", 11);
          const input = ref.conditional ? [z, tf.tensor2d(labels, [4, 1], "int32")] : z;
          return original.apply(input, { training: false }) as tf.Tensor;
        });
        assert.deepEqual(images.shape, [4, 28, 28, 1]);
        assert.deepEqual(Array.from(images.dataSync()), Array.from(expected.dataSync()), "the stored generator is the checkpoint's, in float16");
        assert.deepEqual(Array.from(again.dataSync()), Array.from(images.dataSync()), "same seed, same samples");
        tf.dispose([images, again, expected]);
        assert.equal(tf.memory().numTensors, before, "generate leaks no tensor");
        if (ref.conditional) {
          assert.throws(() => ref.generate(2, { labels: [0, 10] }), /labels must be class ids in \[0, 10\), got 10/);
          assert.throws(() => ref.generate(3, { labels: [0, 1] }), /2 labels for 3 samples/);
          const drawn = ref.generate(3, { seed: 2 });
          assert.deepEqual(drawn.shape, [3, 28, 28, 1]);
          drawn.dispose();
        } else {
          assert.throws(() => ref.generate(2, { labels: [0, 1] }), /unconditional; leave out labels/);
        }
        assert.throws(() => ref.generate(0), /n must be a positive integer, got 0/);
      } finally {
        ref.dispose();
        original.dispose();
      }
    });
  }

  it("the stored command carries hidden sizes, rate and annealing; an annealing run stopped early is refused", () => {
    const config = {
      format: "tsgan-run", version: 1, variant: "vanilla", dataset: "grid", seed: 3, created: "", tsgan: "0.1.0",
      options: { steps: 40, batchSize: 16, sampleEvery: 4, checkpointEvery: 4, variant: { latentDim: 2, hiddenSizes: [8, 4] }, learningRate: 0.002, anneal: 0.1 },
    } as RunConfig;
    assert.equal(trainArguments(config),
      "vanilla --dataset grid --steps 40 --batch-size 16 --seed 3 --latent-dim 2 --hidden-sizes 8,4 --learning-rate 0.002 --anneal 0.1");
    assert.throws(() => trainArguments(config, 20), /anneals its learning rate over 40 steps but its last checkpoint is at step 20; finish it first/);
    const constant = { ...config, options: { ...config.options, anneal: undefined, learningRate: undefined, variant: {} } } as RunConfig;
    assert.equal(trainArguments(constant, 20), "vanilla --dataset grid --steps 20 --batch-size 16 --seed 3", "a constant rate: stopped early is a shorter run");
  });

  it("a missing or damaged reference is an error that says what is stored and how to build one", async () => {
    await assert.rejects(loadReferenceGenerator("no-such-generator"),
      /no reference generator 'no-such-generator' in .*no-such-generator \(missing model\.json, weights\.bin, meta\.json\); the stored ones are .*data\/generators\/README\.md/);
    await assert.rejects(loadReferenceGenerator("../escape"), /name must be a directory name under data\/generators\//);
    const dir = path.join(root, "damaged");
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ["model.json", "weights.bin"]) fs.writeFileSync(path.join(dir, f), "");
    fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ format: "tsgan-reference-generator", version: 1, name: "x" }));
    await assert.rejects(loadReferenceGenerator("damaged", dir), /is not a tsgan reference generator's meta\.json \(missing variant, dataset, steps/);
  });

  it("the stored references load, match their meta.json and keep what the lessons promise (scored live)", async () => {
    const stored = listReferenceGenerators();
    for (const name of [...Object.keys(PROMISED), ...GRID_REFERENCES]) assert.ok(stored.includes(name), `data/generators/${name} is missing (stored: ${stored.join(", ")})`);
    const classifier = await loadClassifier("mnist");
    try {
      for (const name of stored) {
        const ref = await loadReferenceGenerator(name);
        try {
          assert.equal(ref.meta.name, name);
          assert.equal(ref.meta.parameters, ref.generator.countParams());
          if (GRID_REFERENCES.includes(name)) {
            assert.equal(ref.meta.dataset, "grid");
            assert.equal(ref.meta.command, `npx tsgan train vanilla --dataset grid --steps 3000 --batch-size 256 --seed ${ref.meta.seed} ` +
              `--latent-dim 2 --hidden-sizes 128,128,128 --learning-rate 0.001 --anneal 0.01 --out runs/${name} && npm run store-generator -- runs/${name} ${name}`);
            const points = ref.generate(2500, { seed: 77 });
            const m = modeCollapseMetrics(points, gridOfGaussians());
            points.dispose();
            const starved = starvedModes(m.countsPerMode).length;
            assert.ok(m.highQualityShare > 0.15 && m.reverseKL > 0.6 && starved >= 3,
              `${name}: ${(100 * m.highQualityShare).toFixed(1)} % high quality, reverse KL ${m.reverseKL}, ${starved} starved modes`);
            continue;
          }
          assert.equal(ref.meta.dataset, "mnist-train", `${name}: trained on the 8,000 digits the judge trained on, not the held-out ones`);
          assert.match(ref.meta.command, new RegExp(`^npx tsgan train ${ref.meta.variant} --dataset mnist-train --steps ${ref.meta.steps} `));
          const promise = PROMISED[name];
          if (!promise) continue;
          const images = ref.generate(1000, { seed: 4242 });
          const out = classifier.evaluate(images);
          images.dispose();
          const score = classifierScoreFromProbabilities(out.probabilities).mean;
          const classes = classCoverage(argmaxRows(out.probabilities)).classesCovered;
          assert.ok(score >= promise.score && classes >= promise.classes,
            `${name}: score ${score.toFixed(2)} (needs ${promise.score}), ${classes} classes (needs ${promise.classes})`);
        } finally {
          ref.dispose();
        }
      }
    } finally {
      classifier.dispose();
    }
  });
});
