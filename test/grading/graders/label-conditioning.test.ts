import { strict as assert } from "assert";
import * as tf from "@tensorflow/tfjs";
import { GradeReport, runGrader } from "../../../lib/grading/core";
import { ConditionOnLabel, labelConditioningGrader } from "../../../lib/grading/graders/label-conditioning";
import { failedCases as failed } from "./helpers";

// The reference solution, as in assignments/solutions/06-label-conditioning.ipynb: Mirza & Osindero's
// one-hot code, appended to the features.
function conditionOnLabel(features: tf.SymbolicTensor, label: tf.SymbolicTensor, numClasses: number): tf.SymbolicTensor {
  // [null, 1] ids → [null, 1, numClasses] rows of the identity matrix (frozen: a code, not a weight to learn)
  const oneHot = tf.layers.embedding({ inputDim: numClasses, outputDim: numClasses, embeddingsInitializer: "identity", trainable: false }).apply(label);
  const flat = tf.layers.flatten().apply(oneHot) as tf.SymbolicTensor; // → [null, numClasses]
  return tf.layers.concatenate().apply([features, flat]) as tf.SymbolicTensor; // → [null, width + numClasses]
}

/** The book chapter's form: a learned embedding of the features' width, multiplied in (lib/models/cgan.ts). */
const chapterMultiply: ConditionOnLabel = (features, label, numClasses) => {
  const width = features.shape[1] as number;
  const embedded = tf.layers.embedding({ inputDim: numClasses, outputDim: width }).apply(label);
  const flat = tf.layers.flatten().apply(embedded) as tf.SymbolicTensor;
  return tf.layers.multiply().apply([features, flat]) as tf.SymbolicTensor;
};

/** The label read as a number: a frozen all-ones Dense layer turns the id y into [y, y, …] (or [y]). */
const labelAsNumber = (label: tf.SymbolicTensor, units: number) =>
  tf.layers.dense({ units, useBias: false, kernelInitializer: "ones", trainable: false }).apply(label) as tf.SymbolicTensor;

const wrong: Record<string, ConditionOnLabel> = {
  /** Returns the features: a generator that cannot be asked for a class. */
  ignoresLabel: (features) => features,
  /** features × y: class 0 wipes the features out, class 2 is twice class 1. */
  multipliesByRawId: (features, label) => tf.layers.multiply().apply([features, labelAsNumber(label, features.shape[1] as number)]) as tf.SymbolicTensor,
  /** [features, y]: the id appended as a number. */
  appendsRawId: (features, label) => tf.layers.concatenate().apply([features, labelAsNumber(label, 1)]) as tf.SymbolicTensor,
  /** An embedding of width numClasses multiplied into features of another width: a shape error. */
  embeddingWidthMismatch: (features, label, numClasses) => {
    const embedded = tf.layers.embedding({ inputDim: numClasses, outputDim: numClasses }).apply(label);
    const flat = tf.layers.flatten().apply(embedded) as tf.SymbolicTensor;
    return tf.layers.multiply().apply([features, flat]) as tf.SymbolicTensor;
  },
};

const blank: ConditionOnLabel = () => {
  throw new Error("not written yet: replace this line with your code");
};

function caseNamed(prefix: string): string {
  const found = labelConditioningGrader.cases.filter((c) => c.name.startsWith(prefix));
  assert.equal(found.length, 1, `one case starts with "${prefix}"`);
  return found[0].name;
}

const reasons = (report: GradeReport) => report.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.reason}`).join("\n");
const reasonOf = (report: GradeReport, name: string) => report.cases.find((c) => c.name === name)?.reason ?? "";

const ALL = labelConditioningGrader.cases.map((c) => c.name);
const LABEL_MATTERS = caseNamed("the label matters");
const FEATURES_MATTER = caseNamed("the features matter");
const CLASS_ID = caseNamed("the label is a class id");
const TRAINING = caseNamed("training");

describe("grading/graders/label-conditioning", function () {
  this.timeout(90000);

  it("the reference solution (one-hot concatenation) gets full marks", async () => {
    const report = await runGrader(labelConditioningGrader, conditionOnLabel);
    assert.deepEqual(failed(report), [], reasons(report));
    assert.equal(report.score, report.maxScore);
    assert.equal(report.maxScore, 8);
  });

  it("the chapter's learned embedding multiplied into the features gets full marks too", async () => {
    const report = await runGrader(labelConditioningGrader, chapterMultiply);
    assert.deepEqual(failed(report), [], reasons(report));
  });

  it("the blank template fails every case", async () => {
    const report = await runGrader(labelConditioningGrader, blank);
    assert.equal(report.score, 0);
    assert.ok(report.cases.every((c) => !c.passed && /not written yet/.test(c.reason ?? "")), reasons(report));
  });

  it("a submission that is not a function fails every case, saying what was expected", async () => {
    const report = await runGrader(labelConditioningGrader, "embedding");
    assert.equal(report.score, 0);
    assert.match(report.cases[0].reason ?? "", /got string, not a function \(expected a function conditionOnLabel/);
  });

  it("ignoring the label loses the label, class-id and training cases", async () => {
    const report = await runGrader(labelConditioningGrader, wrong.ignoresLabel);
    assert.deepEqual(failed(report), [LABEL_MATTERS, CLASS_ID, TRAINING], reasons(report));
    assert.match(reasonOf(report, TRAINING), /landed nearest the asked mode.*ignores the label gets 25 %/);
  });

  it("multiplying the features by the raw id loses the features case (class 0 wipes them) and the class-id case, not training", async () => {
    const report = await runGrader(labelConditioningGrader, wrong.multipliesByRawId);
    assert.deepEqual(failed(report), [FEATURES_MATTER, CLASS_ID], reasons(report));
    assert.match(reasonOf(report, FEATURES_MATTER), /with class 0/);
    assert.match(reasonOf(report, CLASS_ID), /used as a number/);
  });

  it("appending the raw id as a number loses only the class-id case (the trunk can still read a number)", async () => {
    const report = await runGrader(labelConditioningGrader, wrong.appendsRawId);
    assert.deepEqual(failed(report), [CLASS_ID], reasons(report));
  });

  it("an embedding whose width differs from the features' loses every case, with the shape error as the reason", async () => {
    const report = await runGrader(labelConditioningGrader, wrong.embeddingWidthMismatch);
    assert.deepEqual(failed(report), ALL, reasons(report));
    assert.match(reasonOf(report, ALL[0]), /threw/);
  });

  it("grading leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    await runGrader(labelConditioningGrader, conditionOnLabel);
    await runGrader(labelConditioningGrader, wrong.ignoresLabel);
    await runGrader(labelConditioningGrader, blank);
    assert.equal(tf.memory().numTensors, before);
  });
});
