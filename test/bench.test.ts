/**
 * `npm run bench` runs end to end on short budgets: every model trains through the one loop without leaking,
 * and, where a Python with torch exists, the PyTorch side builds the same networks (equal parameter counts).
 * Speed itself is never asserted here: it is what the benchmark reports, not what a test can fix.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const BENCH = path.join(ROOT, "build", "bench", "run.js");

interface BenchRow {
  model: string;
  tsgan_steps_per_s: number | null;
  tsgan_steps: number;
  tsgan_error: string | null;
  torch_steps_per_s: number | null;
  torch_error: string | null;
  leaked_tensors_per_step: number | null;
  /** Per network name: generator and discriminator for a GanSpec; BiGAN's and VAE-GAN's three networks. */
  trainable_params: { tsgan: Record<string, number>; torch: Record<string, number> | null };
}

function runBench(args: string[]): { status: number | null; output: string; rows: BenchRow[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-bench-"));
  const out = path.join(dir, "bench.json");
  try {
    const r = spawnSync(process.execPath, [BENCH, ...args, "--out", out], {
      cwd: ROOT, encoding: "utf8", timeout: 240_000, env: { ...process.env, TSGAN_QUIET: "1" },
    });
    const rows = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")).rows as BenchRow[]) : [];
    return { status: r.status, output: `${r.stdout}\n${r.stderr}`, rows };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function torchAvailable(): boolean {
  return ["python3", "/usr/bin/python3"].some((py) => spawnSync(py, ["-c", "import torch"], { stdio: "ignore", timeout: 60_000 }).status === 0);
}

describe("bench", function () {
  this.timeout(300_000);

  it("trains the MLP models through tsgan.train with no leaked tensor (tsgan side only)", () => {
    const { status, output, rows } = runBench(["--models", "vanilla,cgan", "--seconds", "0.3", "--no-torch"]);
    assert.equal(status, 0, output);
    assert.deepEqual(rows.map((r) => r.model), ["vanilla", "cgan"]);
    for (const r of rows) {
      assert.equal(r.tsgan_error, null, output);
      assert.ok(r.tsgan_steps >= 2 && (r.tsgan_steps_per_s ?? 0) > 0, `${r.model}: ${JSON.stringify(r)}`);
      assert.equal(r.leaked_tensors_per_step, 0, `${r.model} leaks`);
    }
    // The chapter's parameter counts (vanilla: lib/models tests; CGAN adds the label embeddings 10·100 and 10·784
    // and a wider discriminator), so a renamed or rebuilt bench model shows up here.
    assert.deepEqual(rows[0].trainable_params.tsgan, { generator: 1489936, discriminator: 533505 });
    assert.deepEqual(rows[1].trainable_params.tsgan, { generator: 1490936, discriminator: 935585 });
  });

  it("trains the critic models (WGAN-GP's double backprop, SN-GAN) with no leaked tensor", () => {
    const { status, output, rows } = runBench(["--models", "wgan-gp,sngan-mlp", "--seconds", "0.3", "--no-torch"]);
    assert.equal(status, 0, output);
    for (const r of rows) {
      assert.equal(r.tsgan_error, null, output);
      assert.ok(r.tsgan_steps >= 2, `${r.model}: ${JSON.stringify(r)}`);
      assert.equal(r.leaked_tensors_per_step, 0, `${r.model} leaks`);
      // The chapter's MLPs: the vanilla generator and, as critic, the vanilla discriminator (spectrally normalised for SN-GAN).
      assert.deepEqual(r.trainable_params.tsgan, { generator: 1489936, discriminator: 533505 });
    }
  });

  it("trains the games of three networks (BiGAN, VAE-GAN) with no leaked tensor, counting each network", () => {
    const { status, output, rows } = runBench(["--models", "bigan,vae-gan", "--seconds", "0.3", "--no-torch"]);
    assert.equal(status, 0, output);
    for (const r of rows) {
      assert.equal(r.tsgan_error, null, output);
      assert.ok(r.tsgan_steps >= 2, `${r.model}: ${JSON.stringify(r)}`);
      assert.equal(r.leaked_tensors_per_step, 0, `${r.model} leaks`);
    }
    assert.deepEqual(rows.map((r) => r.trainable_params.tsgan), [
      { encoder: 692274, generator: 693008, discriminator: 953345 },
      { encoder: 549696, decoder: 1472528, discriminator: 533505 },
    ]);
  });

  it("rejects an unknown model, naming the valid ones", () => {
    const { status, output } = runBench(["--models", "nope", "--no-torch"]);
    assert.notEqual(status, 0);
    assert.match(output, /unknown model\(s\) \["nope"\]; choose from vanilla, dcgan, dcgan-transposed, cgan, acgan, wgan-gp, sngan-mlp/);
  });

  it("PyTorch builds the same networks (equal trainable parameters for every model)", function () {
    if (!torchAvailable()) {
      console.log("      (skipped: no python3 with torch; Debian: apt install python3-torch)");
      this.skip();
    }
    const { status, output, rows } = runBench(["--models", "vanilla,dcgan,cgan,acgan,wgan-gp,sngan-mlp,bigan,vae-gan", "--seconds", "0.2"]);
    assert.equal(status, 0, output);
    for (const r of rows) {
      assert.equal(r.torch_error, null, output);
      assert.ok((r.torch_steps_per_s ?? 0) > 0, `${r.model}: torch did not run`);
      assert.deepEqual(r.trainable_params.torch, r.trainable_params.tsgan, `${r.model}: the two sides differ`);
    }
  });
});
