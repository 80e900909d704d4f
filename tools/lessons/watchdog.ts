/**
 * Preloaded into the kernel process by the lesson runner (`node --require watchdog.js tslab kernel ...`):
 * when the runner that started the kernel goes away, even by SIGKILL and even while a cell computes, the
 * kernel ends at once. This is what keeps a crashed or killed run (a CI job, a closed terminal) from leaving
 * a kernel behind.
 *
 * The runner holds the write end of the kernel's stdin pipe, so however the runner ends, the kernel's stdin
 * reaches end of file. A listener for that on the kernel's main thread only runs when its event loop turns,
 * and a cell that computes synchronously (a training loop with no `await`) keeps it from turning for as long
 * as it runs: the kernel would outlive the runner by that long. So the watch runs in a worker thread, which
 * has its own event loop: it reads stdin itself and, at end of file, SIGKILLs the kernel's process group
 * (the runner starts the kernel as a group leader, so whatever the kernel started goes too); a signal, not
 * `process.exit`, because only a signal ends a process whose main thread is busy. As a backstop, for a stdin
 * that is not a pipe, it also ends the kernel when its parent process changes (the runner died and the
 * kernel was re-parented). Before it ends the kernel it deletes the runner's temporary folder holding the
 * kernel's connection file, which the dead runner cannot.
 */
import * as path from "path";
import { isMainThread, Worker } from "worker_threads";

/** The worker's code (plain JavaScript: a worker started from a string is not compiled). */
export const WATCHER_SOURCE = `
"use strict";
const fs = require("fs");
const net = require("net");
const { workerData } = require("worker_threads");

function endKernel() {
  // The runner cannot delete the kernel's connection file (with its HMAC key) any more: do it for it.
  if (workerData && workerData.runnerDir) fs.rmSync(workerData.runnerDir, { recursive: true, force: true });
  try {
    process.kill(-process.pid, "SIGKILL"); // the kernel's process group, when the kernel leads one
  } catch (error) {
    process.kill(process.pid, "SIGKILL");
  }
}

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) endKernel();
}, 250);

let stdin;
try {
  stdin = fs.fstatSync(0);
} catch (error) {
  stdin = undefined;
}
if (stdin && (stdin.isFIFO() || stdin.isSocket())) {
  // A handle of this worker's own event loop on the pipe: its "end" fires however busy the main thread is.
  const pipe = new net.Socket({ fd: 0, readable: true, writable: false });
  pipe.on("data", () => undefined);
  pipe.on("end", endKernel);
  pipe.on("error", endKernel);
}
`;

/** The watch on the kernel's main thread, as a fallback when a worker cannot be started. */
function watchOnMainThread(): void {
  process.stdin.on("end", () => process.exit(70));
  process.stdin.on("error", () => process.exit(70));
  process.stdin.resume();
}

/** The runner's temporary folder for this kernel (kernel.ts: tsgan-kernel-XXXXXX/connection.json), if it is one. */
function runnerDir(): string | undefined {
  const at = process.argv.indexOf("--config-path");
  const file = at >= 0 ? process.argv[at + 1] : undefined;
  if (!file) return undefined;
  const dir = path.dirname(path.resolve(file));
  return path.basename(dir).startsWith("tsgan-kernel-") && path.basename(file) === "connection.json" ? dir : undefined;
}

// Workers inherit the process's `--require` flags, so this file also runs at the start of every worker
// thread (the watcher's own, and any a cell starts): only the main thread sets up a watch.
if (isMainThread) {
  try {
    // execArgv [] as well: the watcher must not preload this file and start a watcher of its own, and so on.
    const worker = new Worker(WATCHER_SOURCE, { eval: true, execArgv: [], workerData: { runnerDir: runnerDir() } });
    worker.unref(); // the watch alone does not keep a kernel alive that wants to exit
    worker.on("error", watchOnMainThread);
  } catch {
    watchOnMainThread();
  }
}
