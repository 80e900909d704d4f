import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import {
  CaseFailure, expectClose, expectFinite, expectShape, fail, Grader, runGrader, valuesOf, callSubmission,
} from "../../lib/grading/core";
import { grade, gradeTable, graderFor, GRADERS, GRADE_REPORT_ENV } from "../../lib/grading";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

type Square = (x: tf.Tensor) => tf.Tensor;

/** A grader of "square every element", to test the machinery on something with an obvious answer. */
const squareGrader: Grader<Square> = {
  id: "square",
  title: "Square",
  expects: "a function (x: tf.Tensor) => tf.Tensor",
  validate: (s) => (typeof s === "function" ? undefined : `got ${typeof s}`),
  cases: [
    {
      name: "values",
      points: 2,
      run: (square) => {
        const x = tf.tensor1d([1, -2, 3]);
        const y = square(x);
        expectClose(valuesOf(y, "square(x)"), [1, 4, 9], "square(x)");
        x.dispose();
        y.dispose();
      },
    },
    {
      name: "shape",
      run: (square) => {
        const x = tf.zeros([2, 3]);
        const y = square(x);
        expectShape(y, [2, 3], "square(x)");
        tf.dispose([x, y]);
      },
    },
  ],
};

describe("grading core", () => {
  it("a right submission gets every point; the report adds up", async () => {
    const report = await runGrader(squareGrader, (x: tf.Tensor) => tf.square(x));
    assert.equal(report.score, 3);
    assert.equal(report.maxScore, 3);
    assert.deepEqual(report.cases.map((c) => c.passed), [true, true]);
  });

  it("a wrong value fails with the worst element, its numbers and the relative error", async () => {
    const report = await runGrader(squareGrader, (x: tf.Tensor) => tf.mul(x, 2));
    assert.equal(report.score, 1);
    const reason = report.cases[0].reason ?? "";
    assert.match(reason, /square\(x\) at index 1: got -4\.0000, expected 4\.0000 \(relative error 2\.0e\+0\)/);
  });

  it("what the submission throws is its reason, and the other cases still run", async () => {
    let calls = 0;
    const report = await runGrader(squareGrader, () => {
      calls++;
      throw new Error("not written yet: replace this line with your code");
    });
    assert.equal(calls, 2);
    assert.equal(report.score, 0);
    assert.match(report.cases[0].reason ?? "", /^your code threw Error: not written yet/);
  });

  it("a leaking submission fails the case, names the count, and its tensors are cleaned up", async () => {
    const before = tf.memory().numTensors;
    const report = await runGrader(squareGrader, (x: tf.Tensor) => {
      tf.add(x, 1); // never disposed
      return tf.square(x);
    });
    assert.equal(report.score, 0);
    assert.match(report.cases[0].reason ?? "", /^1 tensor leaked/);
    assert.equal(tf.memory().numTensors, before);
  });

  it("a submission of the wrong form fails every case with what was expected", async () => {
    const report = await runGrader(squareGrader, 42);
    assert.equal(report.score, 0);
    for (const c of report.cases) assert.equal(c.reason, "got number (expected a function (x: tf.Tensor) => tf.Tensor)");
  });

  it("the checks say what was wrong", () => {
    assert.throws(() => expectShape(tf.scalar(1), [2], "y"), /y has shape \[\], expected \[2\]/);
    assert.throws(() => expectShape(tf.ones([3]), [], "loss"), /expected \[\] \(a scalar: reduce over the batch/);
    assert.throws(() => expectFinite([1, NaN, Infinity], "g"), /g: 1 NaN and 1 infinite of 3 values/);
    assert.throws(() => expectClose([NaN], [1], "v"), /v: got NaN, expected 1\.0000/);
    assert.throws(() => valuesOf("x", "out"), /out should be a tf.Tensor, got string/);
    assert.throws(() => fail("hint"), (e: unknown) => e instanceof CaseFailure && e.hint === "hint");
    expectClose([1 + 1e-7], [1], "close enough");
  });

  it("callSubmission names the call that threw", async () => {
    await assert.rejects(callSubmission("penalty(critic, x, y)", () => { throw new TypeError("bad"); }), /penalty\(critic, x, y\) threw TypeError: bad/);
  });

  it("grade() looks up the assignment, appends its report to TSGAN_GRADE_OUT, and names the ids when unknown", async () => {
    assert.throws(() => graderFor("nope"), /no assignment "nope"; the assignments are "gan-losses"/);
    const id = Object.keys(GRADERS)[0];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-grade-")), "out.jsonl");
    process.env[GRADE_REPORT_ENV] = file;
    try {
      const report = await grade(id, "not a submission", { show: false });
      assert.equal(report.score, 0);
      const lines = fs.readFileSync(file, "utf8").trim().split("\n");
      assert.equal(lines.length, 1);
      assert.deepEqual(JSON.parse(lines[0]), JSON.parse(JSON.stringify(report)));
      assert.equal(gradeTable(report).rows.length, report.cases.length);
    } finally {
      delete process.env[GRADE_REPORT_ENV];
    }
  });
});
