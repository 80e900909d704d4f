/**
 * `tsgan` end to end, as a user runs it: the compiled CLI in child processes, on the ring and grid (seconds a
 * run) and for a couple of steps on MNIST. Each run writes into its own temporary folder.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { TrainHistory } from "../../../lib/train/types";
import { checkpointFiles, checkpointStep, expectExit, pngSize, readJson, runCli, tempDir } from "./helpers";

const flatten = (h: TrainHistory) => JSON.stringify(h);

/** The first `n` steps of a history, every series cut to them. */
function firstSteps(h: TrainHistory, n: number): TrainHistory {
  const cut = (record: Record<string, number[]>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v.slice(0, n)]));
  return {
    step: h.step.slice(0, n),
    players: Object.fromEntries(Object.entries(h.players).map(([name, p]) => [name, {
      loss: p.loss.slice(0, n), gradNorm: p.gradNorm.slice(0, n), terms: cut(p.terms), scores: cut(p.scores),
    }])),
  };
}

describe("tools/cli: tsgan train, resume, sample, eval", function () {
  this.timeout(180000);
  const root = tempDir("cli");
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("train → resume → sample → eval on the ring: run.json, checkpoints, history, sample files, metrics", async () => {
    const run = path.join(root, "ring");
    const trained = await runCli(["train", "vanilla", "--dataset", "ring", "--steps", "20", "--seed", "5", "--sample-every", "10", "--out", run]);
    expectExit(trained, 0, "train");
    assert.match(trained.stdout, /trained vanilla on ring to step 20/);
    assert.match(trained.stderr, /step 20\/20 \[#{20}\] 100% \| D \d\.\d{4} G \d\.\d{4} .*step\/s \| ETA 0s/, "the last progress line");
    const config = readJson<{ variant: string; dataset: string; seed: number; options: Record<string, unknown> }>(path.join(run, "run.json"));
    assert.deepEqual([config.variant, config.dataset, config.seed], ["vanilla", "ring", 5]);
    assert.deepEqual(config.options, { steps: 20, batchSize: 64, sampleEvery: 10, checkpointEvery: 2, variant: {} });
    assert.equal(checkpointStep(run), 20);
    assert.equal(readJson<TrainHistory>(path.join(run, "history.json")).step.length, 20);
    for (const step of ["00000010", "00000020"]) {
      assert.deepEqual(pngSize(path.join(run, "samples", `step-${step}.png`)), { width: 400, height: 400 });
      assert.equal(readJson<{ samples: number[][] }>(path.join(run, "samples", `step-${step}.json`)).samples.length, 64);
    }

    const resumed = await runCli(["resume", run, "--steps", "30"]);
    expectExit(resumed, 0, "resume");
    assert.match(resumed.stderr, /resuming .* at step 20/);
    assert.equal(checkpointStep(run), 30);
    assert.equal(readJson<{ options: { steps: number } }>(path.join(run, "run.json")).options.steps, 30, "the new target is kept");
    const history = readJson<TrainHistory>(path.join(run, "history.json"));
    assert.deepEqual(history.step, Array.from({ length: 30 }, (_, i) => i + 1));

    const again = await runCli(["resume", run]);
    expectExit(again, 0, "resume of a finished run");
    assert.match(again.stdout, /already at step 30 \(its target is 30\); nothing to train/);

    const grid = path.join(root, "ring-samples.png");
    const sampled = await runCli(["sample", run, "--n", "16", "--out", grid]);
    expectExit(sampled, 0, "sample");
    assert.match(sampled.stdout, /wrote 16 samples of vanilla on ring \(step 30\)/);
    pngSize(grid);
    const points = readJson<{ step: number; samples: number[][] }>(grid.replace(/\.png$/, ".json"));
    assert.equal(points.step, 30);
    assert.equal(points.samples.length, 16);
    assert.ok(points.samples.every((p) => p.length === 2 && p.every(Number.isFinite)));

    const evaluated = await runCli(["eval", run]);
    expectExit(evaluated, 0, "eval");
    assert.match(evaluated.stdout, /modes captured\s+\d+ \/ 8/);
    const report = readJson<{ step: number; samples: number; metrics: Record<string, number> }>(path.join(run, "eval.json"));
    assert.equal(report.step, 30);
    assert.equal(report.metrics.totalModes, 8);
    assert.equal(report.metrics.sampleCount, 2500);
    assert.ok(report.metrics.highQualityShare >= 0 && report.metrics.highQualityShare <= 1);
  });

  it("a conditional variant on MNIST: a PNG grid of 64 digits, and the classifier's metrics", async () => {
    const run = path.join(root, "mnist");
    expectExit(await runCli(["train", "cgan", "--dataset", "mnist", "--steps", "2", "--batch-size", "16", "--seed", "1", "--out", run]), 0, "train");
    // 8 × 8 digits of 28·2 pixels, 1 pixel apart.
    assert.deepEqual(pngSize(path.join(run, "samples", "step-00000002.png")), { width: 8 * 56 + 9, height: 8 * 56 + 9 });
    const evaluated = await runCli(["eval", run, "--n", "100"]);
    expectExit(evaluated, 0, "eval");
    assert.match(evaluated.stdout, /classifier score\s+\d+\.\d{3}\s+\(real data: \d+\.\d{3}/);
    const m = readJson<{ metrics: Record<string, unknown> }>(path.join(run, "eval.json")).metrics;
    assert.ok((m.classifierScore as number) >= 1 && (m.classifierScore as number) <= 10, `score ${m.classifierScore}`);
    assert.ok((m.realClassifierScore as number) > 5, "real digits score high under the stored classifier");
    assert.ok((m.frechetDistance as number) > 0);
    assert.equal((m.classCoverage as { histogram: number[] }).histogram.reduce((a, b) => a + b, 0), 100);
    assert.ok(typeof m.askedClassAccuracy === "number", "a conditional run reports the asked class");
  });

  for (const [variant, dataset] of [["cgan", "grid"], ["wgan-gp", "ring"]]) {
    it(`${variant} on ${dataset}: 16 steps in one go == 8 steps, then resumed to 16 (weights, optimizer state, history)`, async () => {
      const whole = path.join(root, `${variant}-whole`), halves = path.join(root, `${variant}-halves`);
      const common = [variant, "--dataset", dataset, "--seed", "9", "--batch-size", "32"];
      expectExit(await runCli(["train", ...common, "--steps", "16", "--out", whole]), 0, "uninterrupted");
      expectExit(await runCli(["train", ...common, "--steps", "8", "--out", halves]), 0, "first half");
      const second = await runCli(["resume", halves, "--steps", "16"]);
      expectExit(second, 0, "second half");
      // It continued from step 8 rather than training 16 steps afresh (which, being seeded, would also match).
      assert.match(second.stderr, /resuming .* at step 8\b/);
      assert.match(second.stderr, /^step  9\/16 /m);
      assert.doesNotMatch(second.stderr, /^step +[1-8]\/16 /m);
      assert.equal(checkpointStep(whole), 16);
      assert.equal(checkpointStep(halves), 16);
      const a = checkpointFiles(whole), b = checkpointFiles(halves);
      assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
      for (const file of Object.keys(a)) assert.ok(a[file].equals(b[file]), `${file} differs`);
      assert.equal(flatten(readJson(path.join(halves, "history.json"))), flatten(readJson(path.join(whole, "history.json"))));
      // The sample grids of the same steps are the same too (the same noise, the same weights).
      for (const step of ["00000008", "00000016"]) {
        const file = `samples/step-${step}.json`;
        assert.deepEqual(readJson(path.join(halves, file)), readJson(path.join(whole, file)), file);
      }
    });
  }

  it("--hidden-sizes, --learning-rate, --anneal: recorded, followed (held for half the steps, then decayed), resumed exactly", async () => {
    const common = ["vanilla", "--dataset", "grid", "--seed", "5", "--batch-size", "32", "--steps", "8", "--checkpoint-every", "4", "--latent-dim", "2"];
    const run = (name: string, ...flags: string[]) => runCli(["train", ...common, ...flags, "--out", path.join(root, name)]);
    const files = (name: string, step?: number) => {
      const dir = path.join(root, name);
      if (step === undefined) return checkpointFiles(dir);
      // The older of the two kept checkpoints, read as if latest.json still named it.
      const stepDir = `step-${String(step).padStart(8, "0")}`;
      const out: Record<string, Buffer> = {};
      for (const kind of ["networks", "optimizers"]) {
        for (const n of fs.readdirSync(path.join(dir, "checkpoints", stepDir, kind))) {
          out[`${kind}/${n}`] = fs.readFileSync(path.join(dir, "checkpoints", stepDir, kind, n, "weights.bin"));
        }
      }
      return out;
    };
    const same = (a: Record<string, Buffer>, b: Record<string, Buffer>) => Object.keys(a).length === Object.keys(b).length &&
      Object.keys(a).every((k) => b[k] !== undefined && a[k].equals(b[k]));
    const results = await Promise.all([
      run("lr-default", "--hidden-sizes", "16,8"),
      run("lr-same", "--hidden-sizes", "16,8", "--learning-rate", "0.0002"), // vanilla's own rate, Adam(2e-4, β1 0.5)
      run("lr-high", "--hidden-sizes", "16,8", "--learning-rate", "0.01"),
      run("lr-anneal", "--hidden-sizes", "16,8", "--learning-rate", "0.01", "--anneal", "0.01"),
    ]);
    results.forEach((r, i) => expectExit(r, 0, `run ${i}`));
    assert.match(results[3].stderr, /learning rate 0\.01 held for half the steps, then annealed to 1 % of it/);
    const config = readJson<{ options: Record<string, unknown> }>(path.join(root, "lr-anneal", "run.json")).options;
    assert.deepEqual([config.variant, config.learningRate, config.anneal], [{ latentDim: 2, hiddenSizes: [16, 8] }, 0.01, 0.01]);
    const g = JSON.parse(fs.readFileSync(path.join(root, "lr-anneal", "checkpoints", "step-00000008", "networks", "generator", "model.json"), "utf8"));
    const units = (g.modelTopology.model_config ?? g.modelTopology).config.layers
      .filter((l: { config: { units?: number } }) => l.config.units !== undefined).map((l: { config: { units: number } }) => l.config.units);
    assert.deepEqual(units, [16, 8, 2], "the generator's layers");
    assert.ok(same(files("lr-same"), files("lr-default")), "--learning-rate at the variant's own rate changes nothing");
    assert.ok(!same(files("lr-high"), files("lr-default")), "another rate trains another run");
    assert.ok(same(files("lr-anneal", 4), files("lr-high", 4)), "the first half runs at the full rate");
    assert.ok(!same(files("lr-anneal"), files("lr-high")), "the second half decays it");

    // A crash after step 4's checkpoint: the resumed run follows the same schedule and ends where the whole one did.
    const crashed = path.join(root, "lr-crashed");
    expectExit(await run("lr-crashed", "--hidden-sizes", "16,8", "--learning-rate", "0.01", "--anneal", "0.01"), 0, "train");
    fs.rmSync(path.join(crashed, "checkpoints", "step-00000008"), { recursive: true });
    fs.writeFileSync(path.join(crashed, "checkpoints", "latest.json"), JSON.stringify({ checkpoint: "step-00000004", step: 4 }));
    const retarget = await runCli(["resume", crashed, "--steps", "12"]);
    expectExit(retarget, 2, "another target for an annealing run");
    assert.match(retarget.stderr, /anneals its learning rate over its 8 steps \(--anneal 0\.01\); another target \(12\) would change the rate/);
    const otherRate = await runCli(["train", ...common, "--learning-rate", "0.02", "--resume", "--out", crashed]);
    expectExit(otherRate, 2, "--resume with another rate");
    assert.match(otherRate.stderr, /holds a run with --learning-rate 0\.01, not 0\.02/);
    expectExit(await runCli(["resume", crashed]), 0, "resume");
    assert.equal(checkpointStep(crashed), 8);
    assert.ok(same(files("lr-crashed"), files("lr-anneal")), "resumed at step 4 == trained in one go");
  });

  it("refuses to train into an existing run folder unless --resume or --overwrite", async () => {
    const run = path.join(root, "existing");
    expectExit(await runCli(["train", "vanilla", "--dataset", "ring", "--steps", "4", "--seed", "1", "--out", run]), 0, "first train");
    const before = fs.readFileSync(path.join(run, "run.json"), "utf8");

    const refused = await runCli(["train", "vanilla", "--dataset", "ring", "--steps", "4", "--out", run]);
    expectExit(refused, 2, "train into an existing run");
    assert.match(refused.stderr, /already holds a run \(vanilla on ring, at step 4 of 4\); pass --resume to continue it, --overwrite to replace it/);
    assert.equal(fs.readFileSync(path.join(run, "run.json"), "utf8"), before, "the run is untouched");

    const otherSeed = await runCli(["train", "vanilla", "--dataset", "ring", "--steps", "8", "--seed", "2", "--resume", "--out", run]);
    expectExit(otherSeed, 2, "--resume with another seed");
    assert.match(otherSeed.stderr, /holds a run with --seed 1, not 2; --resume continues a run only with its own settings/);
    const otherVariant = await runCli(["train", "wgan", "--dataset", "ring", "--steps", "8", "--resume", "--out", run]);
    expectExit(otherVariant, 2, "--resume with another variant");
    assert.match(otherVariant.stderr, /holds a run with <variant> vanilla, not wgan/);

    const continued = await runCli(["train", "vanilla", "--dataset", "ring", "--steps", "8", "--resume", "--out", run]);
    expectExit(continued, 0, "--resume");
    assert.equal(checkpointStep(run), 8);
    assert.equal(readJson<TrainHistory>(path.join(run, "history.json")).step.length, 8);

    const replaced = await runCli(["train", "wgan", "--dataset", "grid", "--steps", "3", "--seed", "7", "--overwrite", "--out", run]);
    expectExit(replaced, 0, "--overwrite");
    const config = readJson<{ variant: string; dataset: string; seed: number }>(path.join(run, "run.json"));
    assert.deepEqual([config.variant, config.dataset, config.seed], ["wgan", "grid", 7]);
    assert.equal(checkpointStep(run), 3);
    assert.ok(!fs.existsSync(path.join(run, "samples", "step-00000008.png")), "nothing of the old run is left");

    // --overwrite deletes only run folders.
    const stranger = path.join(root, "not-a-run");
    fs.mkdirSync(stranger);
    fs.writeFileSync(path.join(stranger, "notes.txt"), "mine");
    const spared = await runCli(["train", "vanilla", "--dataset", "ring", "--steps", "2", "--overwrite", "--out", stranger]);
    expectExit(spared, 2, "--overwrite on a folder that is not a run");
    assert.match(spared.stderr, /is not a tsgan run folder \(no run\.json\); --overwrite deletes only run folders/);
    assert.equal(fs.readFileSync(path.join(stranger, "notes.txt"), "utf8"), "mine");
  });

  it("Ctrl-C (SIGINT) during training writes a checkpoint, exits 0, and resume continues from it", async () => {
    const run = path.join(root, "interrupted");
    let sent = false;
    const stopped = await runCli(
      ["train", "vanilla", "--dataset", "ring", "--steps", "100000", "--seed", "3", "--checkpoint-every", "100000", "--out", run],
      {
        // The first progress line is printed after step 1: training is under way.
        onStderr: (text, child) => {
          if (!sent && /^step +1\/100000 /m.test(text)) {
            sent = true;
            child.kill("SIGINT");
          }
        },
      },
    );
    expectExit(stopped, 0, "interrupted train");
    assert.ok(sent, "saw a progress line");
    assert.match(stopped.stderr, /interrupted; finishing this step and writing a checkpoint/);
    const m = /stopped at step (\d+) of 100000 .*checkpoint written\. Continue with: tsgan resume /.exec(stopped.stdout);
    assert.ok(m, stopped.stdout);
    const step = Number(m[1]);
    assert.ok(step >= 1 && step < 100000, `stopped at ${step}`);
    assert.equal(checkpointStep(run), step, "the checkpoint is of the step it stopped at");
    const before = readJson<TrainHistory>(path.join(run, "history.json"));
    assert.equal(before.step.length, step);

    const resumed = await runCli(["resume", run, "--steps", String(step + 5)]);
    expectExit(resumed, 0, "resume");
    assert.match(resumed.stderr, new RegExp(`resuming .* at step ${step}\\b`));
    assert.match(resumed.stderr, new RegExp(`^step +${step + 1}/${step + 5} `, "m"), "its first step is the one after the stop");
    const after = readJson<TrainHistory>(path.join(run, "history.json"));
    assert.deepEqual(after.step, Array.from({ length: step + 5 }, (_, i) => i + 1));
    assert.deepEqual(firstSteps(after, step), before, "the resumed run keeps the steps before the stop");
  });
});
