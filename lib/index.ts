/**
 * tsgan: Generative Adversarial Networks in TypeScript on TensorFlow.js.
 *
 * `await ready()` starts the engine (see engine/backend.ts) before anything computes.
 */
import * as tf from "@tensorflow/tfjs";
export { tf };
export * from "./engine";
export * from "./losses";
export * from "./theory";
export * from "./data";
export * from "./metrics";
export * from "./train";
export * from "./models";
export * from "./plots";
export * from "./layers";
export * from "./io";
export * from "./claims";
export { grade } from "./grading";
export * as grading from "./grading";
