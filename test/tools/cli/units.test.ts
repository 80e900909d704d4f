/**
 * The CLI's parts in process: the argument grammar, the progress line, the Ctrl-C handler, the scatter plot
 * and the toy data's labels.
 */
import { strict as assert } from "assert";
import { CommandSpec, helpText, parseArgs, positiveInteger, UsageError } from "../../../tools/cli/args";
import { loadData, nearestModes } from "../../../tools/cli/data";
import { embeddedMnistSplit } from "../../../lib/metrics/classifier";
import { loadMnist } from "../../../lib/data/mnist";
import { scatterPng } from "../../../tools/cli/pictures";
import { formatDuration, Interrupt, progressWithEta } from "../../../tools/cli/progress";
import { ringOfGaussians } from "../../../lib/data/toy";
import type { StepLog, TrainState } from "../../../lib/train/types";

const SPEC: CommandSpec = {
  name: "demo",
  summary: "A command for the tests.",
  positionals: [{ name: "run", help: "a run folder" }],
  flags: [
    { name: "steps", value: "N", parse: positiveInteger, help: "steps", required: true },
    { name: "out", value: "DIR", help: "where" },
    { name: "force", help: "a switch" },
  ],
};

/** A sink that keeps what is written. */
function sink(isTTY = false) {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (t: string) => chunks.push(t), text: () => chunks.join("") };
}

function fakeState(step: number, totalSteps: number, onStop: () => void = () => {}): TrainState {
  return {
    step, totalSteps, history: { step: [], players: {} }, optimizers: {}, batchSize: 1, seed: 0, stop: onStop,
    game: { networks: {}, players: [{ name: "discriminator", label: "D", trains: [], loss: () => ({}) }, { name: "generator", label: "G", trains: [], loss: () => ({}) }] },
  };
}

function log(step: number): StepLog {
  const p = (loss: number) => ({ loss, terms: { adversarial: loss }, gradNorm: 1, scores: {}, updates: 1 });
  return { step, players: { discriminator: p(1.25), generator: p(0.75) } };
}

describe("tools/cli: parts", () => {
  it("parseArgs: positionals, --flag value, --flag=value, switches; mistakes as UsageErrors", () => {
    assert.deepEqual(parseArgs(SPEC, ["r", "--steps", "3", "--out=x", "--force"]), {
      positionals: ["r"], flags: { steps: 3, out: "x", force: true }, help: false,
    });
    assert.equal(parseArgs(SPEC, ["-h"]).help, true);
    const refuses = (argv: string[], pattern: RegExp) =>
      assert.throws(() => parseArgs(SPEC, argv), (e: unknown) => e instanceof UsageError && pattern.test((e as Error).message));
    refuses(["r", "--steps", "3", "--steps", "4"], /--steps is given twice/);
    refuses(["r", "--steps", "3", "--force=yes"], /--force is a switch and takes no value, got "yes"/);
    refuses(["r", "--steps", "1e3"], /--steps must be a positive integer, got "1e3"/);
    refuses(["r", "--steps", "3", "-x"], /unknown flag -x for tsgan demo; its flags are --steps, --out, --force, --help/);
    refuses(["--steps", "3"], /tsgan demo needs <run>: a run folder/);
    refuses(["r"], /tsgan demo needs --steps N: steps/);
    assert.match(helpText(SPEC), /^usage: tsgan demo <run> --steps N \[flags\]\n\nA command for the tests\./);
  });

  it("formatDuration: seconds, minutes, hours", () => {
    assert.deepEqual([formatDuration(12.4), formatDuration(187), formatDuration(3725), formatDuration(NaN)], ["12s", "3m07s", "1h02m", "?"]);
  });

  it("the progress line: first step, every tenth, the last; the losses, steps/s and the time left", () => {
    const out = sink();
    const cb = progressWithEta(out);
    const state = fakeState(0, 100);
    // A clock that moves 5 ms per reading: on a fast machine 100 fake steps can take under a millisecond of
    // real time, and then there is no rate to print (the test failed that way on a fresh clone).
    const realNow = Date.now;
    let now = 1.7e12;
    Date.now = () => (now += 5);
    try {
      cb.onTrainBegin?.(state);
      for (let s = 1; s <= 100; s++) cb.onStepEnd?.(log(s), { ...state, step: s });
      cb.onTrainEnd?.(state);
    } finally {
      Date.now = realNow;
    }
    const lines = out.text().trimEnd().split("\n");
    assert.deepEqual(lines.map((l) => Number(/^step +(\d+)/.exec(l)?.[1])), [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    assert.match(lines[0], /^step {3}1\/100 \[-{20}\] {3}1% \| D 1\.2500 G 0\.7500/);
    assert.match(lines[10], /100% \| D 1\.2500 G 0\.7500 \| [\d.]+ step\/s \| ETA 0s$/);
  });

  it("Ctrl-C: the first SIGINT stops the loop after its step, the second exits with 130", async () => {
    const out = sink();
    const exits: number[] = [];
    let stops = 0;
    const listeners = process.listenerCount("SIGINT");
    const interrupt = new Interrupt(out, ((code: number) => { exits.push(code); }) as never);
    interrupt.install();
    try {
      await interrupt.callback.onTrainBegin?.(fakeState(0, 10, () => stops++));
      process.emit("SIGINT");
      assert.equal(stops, 1);
      assert.ok(interrupt.interrupted);
      assert.deepEqual(exits, []);
      assert.match(out.text(), /interrupted; finishing this step and writing a checkpoint \(Ctrl-C again to quit now/);
      process.emit("SIGINT");
      assert.deepEqual(exits, [130]);
    } finally {
      interrupt.remove();
    }
    assert.equal(process.listenerCount("SIGINT"), listeners, "remove() takes the handler away");
    // A SIGINT before training began stops the run before its first step.
    const early = new Interrupt(sink(), (() => {}) as never);
    early.install();
    process.emit("SIGINT");
    early.remove();
    await early.callback.onTrainBegin?.(fakeState(0, 10, () => stops++));
    assert.equal(stops, 2);
  });

  it("mnist-train: the 8,000 training rows of the embedded split, never a held-out digit", () => {
    const all = loadMnist({ source: "embedded" });
    const rows = embeddedMnistSplit(all.count).train;
    const data = loadData("mnist-train", 1);
    try {
      assert.deepEqual(data.x.shape, [8000, 28, 28, 1]);
      const x = data.x.dataSync(), labels = data.labels.dataSync();
      for (const i of [0, 1, 3999, 7999]) {
        const row = rows[i];
        assert.equal(row % 5 === 4, false, "a held-out row");
        assert.equal(labels[i], all.labels[row]);
        assert.deepEqual(Array.from(x.subarray(i * 784, (i + 1) * 784)), Array.from(all.images.subarray(row * 784, (row + 1) * 784)));
      }
      assert.deepEqual(Array.from({ length: 10 }, (_, d) => Array.from(labels).filter((l) => l === d).length).every((n) => n >= 600), true, "every digit is there");
    } finally {
      data.dispose();
    }
  });

  it("scatterPng: a PNG of the given size; nearestModes labels ring points by the mode they came from", () => {
    const png = scatterPng([{ points: [0, 0, 1, 1], color: [255, 0, 0], radius: 1 }], { x0: -1, x1: 2, y0: -1, y1: 2 }, 50);
    assert.equal(Buffer.from(png.subarray(1, 4)).toString(), "PNG");
    assert.equal(Buffer.from(png).readUInt32BE(16), 50);
    const ring = ringOfGaussians();
    const points = ring.modes.flatMap((m) => [m[0] + 0.02, m[1] - 0.02]);
    assert.deepEqual(Array.from(nearestModes(points, ring)), [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
