import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gigaMultiplyAddsPerSecond, totalsByKernel } from "../../bench/profile";

const PROFILE = path.resolve(__dirname, "../../bench/profile.js");
const ROOT = path.resolve(__dirname, "../../..");

describe("bench/profile", function () {
  this.timeout(180_000);

  it("sums kernel records by name, largest first, leaving out custom-gradient ops (their kernels are recorded too)", () => {
    const totals = totalsByKernel([
      { name: "BatchMatMul", kernelTimeMs: 2 },
      { name: "fusedMatMul__op", kernelTimeMs: 3 },
      { name: "_FusedMatMul", kernelTimeMs: 2.5 },
      { name: "BatchMatMul", kernelTimeMs: 1.5 },
      { name: "Add", kernelTimeMs: { error: "no timer" } },
    ]);
    assert.deepEqual(totals, [
      { kernel: "BatchMatMul", calls: 2, ms: 3.5, multiplyAdds: 0 },
      { kernel: "_FusedMatMul", calls: 1, ms: 2.5, multiplyAdds: 0 },
      { kernel: "Add", calls: 1, ms: 0, multiplyAdds: 0 },
    ]);
  });

  it("counts each product's multiply-adds from its shapes, and their rate", () => {
    const totals = totalsByKernel([
      { name: "BatchMatMul", kernelTimeMs: 2, inputShapes: [[1, 64, 100], [1, 100, 256]], outputShapes: [[1, 64, 256]] },
      { name: "BatchMatMul", kernelTimeMs: 1, inputShapes: [[1, 256, 64], [1, 64, 100]], outputShapes: [[1, 256, 100]] },
      { name: "Add", kernelTimeMs: 0.5, inputShapes: [[64, 256], [256]], outputShapes: [[64, 256]] },
    ]);
    assert.deepEqual(totals.map((t) => [t.kernel, t.multiplyAdds]), [["BatchMatMul", 2 * 64 * 100 * 256], ["Add", 0]]);
    assert.equal(gigaMultiplyAddsPerSecond(totals[0]), (2 * 64 * 100 * 256 / 3e6).toFixed(1)); // 3 ms
    assert.equal(gigaMultiplyAddsPerSecond(totals[1]), "");
  });

  it("profiles the toy GAN's step kernel by kernel and writes the JSON", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-profile-"));
    try {
      const out = path.join(dir, "p.json");
      const r = spawnSync(process.execPath, [PROFILE, "--model", "toy-gan", "--steps", "2", "--warmup", "1", "--top", "5", "--out", out], {
        cwd: ROOT, encoding: "utf8", timeout: 120_000, env: { ...process.env, TSGAN_QUIET: "1" },
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\| kernel \| calls\/step \| ms\/step \| share of step \| M multiply-adds\/step \| G multiply-adds\/s \|/);
      assert.match(r.stdout, /\| BatchMatMul \| /); // every step of the toy GAN multiplies matrices
      assert.match(r.stdout, /\| \(\d+ other kernels\) \| /);
      assert.match(r.stdout, /\| outside kernels \(engine, loop, JS\) \| /);
      const report = JSON.parse(fs.readFileSync(out, "utf8"));
      assert.equal(report.model, "toy-gan");
      assert.equal(report.steps, 2);
      assert.ok(report.step_ms > 0 && report.step_ms_profiled > 0);
      const calls = report.kernels.reduce((n: number, k: { calls_per_step: number }) => n + k.calls_per_step, 0);
      assert.equal(calls, report.kernel_calls_per_step);
      assert.ok(calls > 50, `a GAN step runs many kernels, got ${calls}`);
      // Two steps of the same model run the same kernels: every count per step is a whole number.
      for (const k of report.kernels) assert.ok(Number.isInteger(k.calls_per_step), JSON.stringify(k));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown model, naming the ones it knows", () => {
    const r = spawnSync(process.execPath, [PROFILE, "--model", "stylegan"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, TSGAN_QUIET: "1" } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--model must be one of vanilla, dcgan, .*toy-gan.*; got "stylegan"/);
  });
});
