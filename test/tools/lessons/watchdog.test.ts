/**
 * No kernel outlives its runner: `npm run lessons` is SIGKILLed while a cell computes synchronously for 60 s
 * (the main thread of the kernel never yields), and the kernel must be gone within 2 s.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tempDir } from "./helpers";

const SPIN_SECONDS = 60;
const ALLOWED_MS = 2000;

/** Whether `pid` is a running process (a zombie, ended but not yet reaped by its new parent, counts as gone). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  if (process.platform !== "linux") return true;
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A notebook whose second cell writes the kernel's pid to `marker`, then spins without yielding. */
function spinningNotebook(marker: string): object {
  const code = (id: string, source: string) => ({ id, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tsgan", display_name: "TypeScript (tsgan)", language: "typescript" } },
    cells: [
      code("warm", 'console.log("the kernel is up");'),
      code(
        "spin",
        [
          'import * as fs from "fs";',
          `fs.writeFileSync(${JSON.stringify(marker)}, String(process.pid));`,
          `const until = Date.now() + ${SPIN_SECONDS * 1000};`,
          "let turns = 0;",
          "while (Date.now() < until) turns++; // synchronous: the kernel's event loop does not turn",
        ].join("\n"),
      ),
    ],
  };
}

/** The number of threads of a node process running `script` (Linux's /proc), with the watchdog preloaded or not. */
function threadsOf(script: string, preload: boolean): Promise<number> {
  const watchdog = path.join(__dirname, "..", "..", "..", "tools", "lessons", "watchdog.js");
  const child = spawn(process.execPath, [...(preload ? ["--require", watchdog] : []), "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => { out += c.toString(); });
  return new Promise((resolve, reject) => {
    child.on("exit", () => {
      const threads = Number(out.trim());
      if (Number.isInteger(threads) && threads > 0) resolve(threads);
      else reject(new Error(`the child printed ${JSON.stringify(out)}`));
    });
  });
}

describe("lessons: no kernel left behind", function () {
  this.timeout(180_000);
  let runner: ChildProcess | undefined;
  let kernelPid: number | undefined;
  let dir: string | undefined;

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    // Whatever happened above, end what this test started (the kernel leads its own process group).
    if (runner && runner.exitCode === null && runner.signalCode === null) runner.kill("SIGKILL");
    if (kernelPid !== undefined && running(kernelPid)) {
      try {
        process.kill(-kernelPid, "SIGKILL");
      } catch {
        process.kill(kernelPid, "SIGKILL");
      }
    }
  });

  it(`a kernel busy in a ${SPIN_SECONDS} s synchronous cell is gone within ${ALLOWED_MS / 1000} s of its runner's SIGKILL`, async () => {
    dir = tempDir("watchdog");
    const marker = path.join(dir, "kernel.pid");
    const notebook = path.join(dir, "spin.ipynb");
    fs.writeFileSync(notebook, JSON.stringify(spinningNotebook(marker), null, 1));
    const cli = path.join(__dirname, "..", "..", "..", "tools", "lessons", "cli.js");
    runner = spawn(process.execPath, [cli, "--profile", "smoke", "--cell-timeout", "600", "--out", path.join(dir, "out"), notebook], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    runner.stdout?.on("data", (c: Buffer) => { log += c.toString(); });
    runner.stderr?.on("data", (c: Buffer) => { log += c.toString(); });

    const deadline = Date.now() + 120_000;
    while (!fs.existsSync(marker) || fs.readFileSync(marker, "utf8") === "") {
      if (runner.exitCode !== null) throw new Error(`the runner ended before the spinning cell started:\n${log}`);
      if (Date.now() > deadline) throw new Error(`the spinning cell did not start within 120 s:\n${log}`);
      await sleep(100);
    }
    kernelPid = Number(fs.readFileSync(marker, "utf8"));
    await sleep(500); // well inside the spin
    assert.ok(running(kernelPid), "the kernel runs its cell");
    // The runner's folder for this kernel, holding its connection file (and key): the kernel's --config-path.
    const argv = process.platform === "linux" ? fs.readFileSync(`/proc/${kernelPid}/cmdline`, "utf8").split("\0") : [];
    const connectionDir = argv.includes("--config-path") ? path.dirname(argv[argv.indexOf("--config-path") + 1]) : undefined;
    if (connectionDir) assert.ok(fs.existsSync(connectionDir), `${connectionDir} exists while the kernel runs`);

    const killedAt = Date.now();
    runner.kill("SIGKILL");
    while (running(kernelPid) && Date.now() - killedAt < 10_000) await sleep(20);
    const goneAfter = Date.now() - killedAt;
    assert.ok(!running(kernelPid), `the kernel (pid ${kernelPid}) still runs 10 s after its runner was SIGKILLed`);
    console.log(`      (kernel gone ${goneAfter} ms after the runner's SIGKILL)`);
    assert.ok(goneAfter < ALLOWED_MS, `the kernel took ${goneAfter} ms to end after its runner was SIGKILLed`);
    if (connectionDir) assert.ok(!fs.existsSync(connectionDir), `the kernel's connection folder ${connectionDir} is left behind`);
  });

  it("starts one watcher thread, not one per worker thread (workers inherit --require)", async function () {
    if (process.platform !== "linux") this.skip();
    // A process that starts a worker of its own, then reports its thread count (its stdin stays open).
    const script = [
      'const { Worker } = require("worker_threads");',
      'new Worker("setTimeout(() => undefined, 3000)", { eval: true });',
      'setTimeout(() => { console.log(require("fs").readdirSync("/proc/self/task").length); process.exit(0); }, 1500);',
    ].join("\n");
    const [without, withWatchdog] = [await threadsOf(script, false), await threadsOf(script, true)];
    // One more worker, with its own few V8 threads; a watcher that started watchers would add dozens.
    assert.ok(withWatchdog - without <= 3, `${withWatchdog} threads with the watchdog, ${without} without`);
  });
});
