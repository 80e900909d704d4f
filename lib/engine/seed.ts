/**
 * One call seeds everything random: weight initialisers, noise, dropout and data shuffling.
 *
 * TensorFlow.js draws a fresh seed from `Math.random()` whenever an op or initializer gets none
 * (`tf.randomNormal`, every `tf.initializers.*`, `tf.dropout`), and tfjs-layers never passes one. So the only
 * way to make a student's `tf.layers.dense(...)` reproducible is to make `Math.random` itself seeded.
 * `seed(n)` does that and resets tsgan's own stream; `restoreMathRandom()` undoes it.
 */

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes PractRand. */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Expands one integer into four well-mixed 32-bit words (splitmix32). */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A uniform [0, 1) generator fully determined by `seed`. */
export function makeRandom(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new Error(`tsgan.seed: the seed must be a finite number, got ${seed}.`);
  const mix = splitmix32(Math.floor(seed));
  const next = sfc32(mix(), mix(), mix(), mix());
  for (let i = 0; i < 12; i++) next(); // discard the warm-up outputs
  return next;
}

const nativeMathRandom = Math.random;
let stream: () => number = nativeMathRandom;
let currentSeed: number | null = null;

/** Seeds initialisers, noise, dropout and shuffling (through `Math.random`) and tsgan's own stream. */
export function seed(value: number): void {
  stream = makeRandom(value);
  // A separate generator for Math.random keeps tsgan's draws independent of how many times third-party
  // code calls Math.random.
  Math.random = makeRandom(value ^ 0x5bd1e995);
  currentSeed = value;
}

/** Puts the platform's unseeded `Math.random` back. */
export function restoreMathRandom(): void {
  Math.random = nativeMathRandom;
  currentSeed = null;
}

/** The seed last passed to `seed()`, or null when unseeded. */
export function currentSeedValue(): number | null {
  return currentSeed;
}

/** A uniform number in [0, 1) from tsgan's stream. */
export function random(): number {
  return stream();
}

/** An integer seed for a TensorFlow.js random op (`tf.randomNormal(shape, 0, 1, "float32", nextSeed())`). */
export function nextSeed(): number {
  return Math.floor(stream() * 2147483647);
}

/**
 * Fisher–Yates shuffle of `0..n-1`, drawn from tsgan's stream or from `rng` (a `makeRandom(seed)`): the one
 * shuffle of the library (the data order of an epoch in `shuffledBatches`).
 */
export function permutation(n: number, rng: () => number = stream): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`permutation: n must be a non-negative integer, got ${n}.`);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}
