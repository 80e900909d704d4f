/**
 * A helper thread of tsgan's matrix product (wasm-gemm-thread.ts): the kernel instantiated on the threaded
 * build's shared heap, running the bands of C (and the shares of a patch matrix) it is handed until its process ends.
 */
import { workerData } from "worker_threads";
import { CONTROL, TASK_IM2COL, decodeJob, gemmFor, runBand } from "./wasm-gemm-kernel";
import { decodeIm2colTask, runIm2colTask } from "./im2col";

const { memory, control } = workerData as { memory: WebAssembly.Memory; control: SharedArrayBuffer };
const words = new Int32Array(control);
const kernel = gemmFor(memory);
Atomics.store(words, CONTROL.ready, kernel ? 1 : -1);
Atomics.notify(words, CONTROL.ready);

let seen = 0;
/** Checks of the sequence word before sleeping: the next product of a training step usually comes sooner. */
const SPINS = 20000;

while (kernel) {
  for (let i = 0; i < SPINS && Atomics.load(words, CONTROL.sequence) === seen; i++);
  Atomics.wait(words, CONTROL.sequence, seen);
  const sequence = Atomics.load(words, CONTROL.sequence);
  if (sequence === seen) continue;
  seen = sequence;
  try {
    if (Atomics.load(words, CONTROL.kind) === TASK_IM2COL) {
      // A fresh view each time: the heap may have grown since the last task.
      runIm2colTask(new Float32Array(memory.buffer), decodeIm2colTask(words, CONTROL.job));
    } else {
      const [r0, r1, c0, c1] = words.subarray(CONTROL.band, CONTROL.band + 4);
      runBand(kernel, decodeJob(words, CONTROL.job), { r0, r1, c0, c1 });
    }
  } catch {
    Atomics.store(words, CONTROL.failed, 1);
  }
  Atomics.store(words, CONTROL.done, sequence);
  Atomics.notify(words, CONTROL.done);
}
