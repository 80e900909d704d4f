/**
 * `npm run bench` runs end to end on short budgets: every model trains through the one loop without leaking,
 * in every round; and, where a Python with torch exists, the PyTorch side builds the same networks (equal
 * parameter counts) and runs as the benchmark says: in an environment of its own (no OPENBLAS_CORETYPE,
 * OpenBLAS at the requested thread count), naming the BLAS kernel it ran, once per thread count and round.
 * Speed itself is never asserted here: it is what the benchmark reports, not what a test can fix.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const BENCH = path.join(ROOT, "build", "bench", "run.js");

interface TsganRound {
  round: number;
  steps_per_s: number | null;
  steps: number;
  leaked_tensors_per_step: number | null;
  error: string | null;
}

interface TorchRound {
  round: number;
  steps_per_s: number | null;
  openblas_corename: string | null;
  openblas_threads: number | null;
  error: string | null;
}

interface BenchRow {
  model: string;
  backend: string;
  /** The row's real batch: `--batch`, or the toy rows' own. */
  batch: number;
  /** Medians over the rounds. */
  tsgan_steps_per_s: number | null;
  tsgan_steps_per_s_min: number | null;
  tsgan_steps_per_s_max: number | null;
  tsgan_threads: string;
  tsgan_error: string | null;
  tsgan_rounds: TsganRound[];
  /** The best thread count's median, and which count that was. */
  torch_steps_per_s: number | null;
  torch_threads: number | null;
  torch_error: string | null;
  torch: Record<string, { median: number | null; min: number | null; max: number | null; rounds: TorchRound[] }> | null;
  ratio: number | null;
  leaked_tensors_per_step: number | null;
  /** Per network name: generator and discriminator for a GanSpec; BiGAN's and VAE-GAN's three networks. */
  trainable_params: { tsgan: Record<string, number>; torch: Record<string, number> | null };
}

interface BenchReport {
  rounds: number;
  torch_threads: number[];
  warnings: string[];
  machine: {
    tsgan_threads: string;
    torch_blas: { library: string | null; corename: string | null; config: string | null; num_threads: number | null } | null;
    torch_build: { blas_info: string | null } | null;
    torch_env_removed: Record<string, string | null>;
    torch_env_seen: Record<string, string | null> | null;
  };
  rows: BenchRow[];
}

function runBench(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { status: number | null; output: string; rows: BenchRow[]; report: BenchReport | null } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-bench-"));
  const out = path.join(dir, "bench.json");
  try {
    const r = spawnSync(process.execPath, [BENCH, ...args, "--out", out], {
      cwd: ROOT, encoding: "utf8", timeout: 240_000, env: { ...process.env, TSGAN_QUIET: "1", ...extraEnv },
    });
    const report = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")) as BenchReport) : null;
    return { status: r.status, output: `${r.stdout}\n${r.stderr}`, rows: report?.rows ?? [], report };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a Python the bench would use imports torch (probed, as the bench does, without the OpenBLAS overrides). */
function torchAvailable(): boolean {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return ["python3", "/usr/bin/python3"].some((py) => spawnSync(py, ["-c", "import torch"], { stdio: "ignore", timeout: 60_000, env }).status === 0);
}

/** Every round of a row trained, at least 2 timed steps, and leaked nothing. */
function assertRoundsClean(r: BenchRow, rounds: number, output: string): void {
  assert.equal(r.tsgan_error, null, output);
  assert.equal(r.tsgan_rounds.length, rounds, `${r.model}: ${JSON.stringify(r.tsgan_rounds)}`);
  for (const t of r.tsgan_rounds) {
    assert.equal(t.error, null, output);
    assert.ok(t.steps >= 2 && (t.steps_per_s ?? 0) > 0, `${r.model} round ${t.round}: ${JSON.stringify(t)}`);
    assert.equal(t.leaked_tensors_per_step, 0, `${r.model} leaks in round ${t.round}`);
  }
  assert.equal(r.leaked_tensors_per_step, 0, `${r.model} leaks`);
}

describe("bench", function () {
  this.timeout(300_000);

  it("trains the MLP models through tsgan.train with no leaked tensor, in every round (tsgan side only)", () => {
    // Two wasm threads (the threaded build, lib/engine/wasm-threads.ts); the table names the count.
    const { status, output, rows, report } = runBench(["--models", "vanilla,cgan", "--seconds", "0.3", "--rounds", "2", "--no-torch"], { TSGAN_WASM_THREADS: "2" });
    assert.equal(status, 0, output);
    assert.deepEqual(rows.map((r) => r.model), ["vanilla", "cgan"]);
    assert.equal(report!.rounds, 2);
    for (const r of rows) {
      assertRoundsClean(r, 2, output);
      // The row's figure is the median of its rounds (two rounds: their mean), between their min and max.
      const v = r.tsgan_rounds.map((t) => t.steps_per_s!);
      assert.ok(Math.abs(r.tsgan_steps_per_s! - (v[0] + v[1]) / 2) < 1e-9, JSON.stringify(r));
      assert.equal(r.tsgan_steps_per_s_min, Math.min(...v));
      assert.equal(r.tsgan_steps_per_s_max, Math.max(...v));
      assert.equal(r.torch, null);
    }
    if (rows[0].backend === "wasm") {
      assert.equal(report!.machine.tsgan_threads, "2");
      assert.match(output, /tsgan steps\/s \(wasm, 2 threads\): median \(min–max\)/);
      assert.match(output, /on wasm, 2 threads \(tfjs-backend-wasm's threaded-SIMD build/);
    }
    // The chapter's parameter counts (vanilla: lib/models tests; CGAN adds the label embeddings 10·100 and 10·784
    // and a wider discriminator), so a renamed or rebuilt bench model shows up here.
    assert.deepEqual(rows[0].trainable_params.tsgan, { generator: 1489936, discriminator: 533505 });
    assert.deepEqual(rows[1].trainable_params.tsgan, { generator: 1490936, discriminator: 935585 });
  });

  it("trains the critic models (WGAN-GP's double backprop, SN-GAN) with no leaked tensor", () => {
    const { status, output, rows } = runBench(["--models", "wgan-gp,sngan-mlp", "--seconds", "0.3", "--rounds", "1", "--no-torch"]);
    assert.equal(status, 0, output);
    for (const r of rows) {
      assertRoundsClean(r, 1, output);
      // The chapter's MLPs: the vanilla generator and, as critic, the vanilla discriminator (spectrally normalised for SN-GAN).
      assert.deepEqual(r.trainable_params.tsgan, { generator: 1489936, discriminator: 533505 });
    }
  });

  it("trains the games of three networks (BiGAN, VAE-GAN) with no leaked tensor, counting each network", () => {
    const { status, output, rows } = runBench(["--models", "bigan,vae-gan", "--seconds", "0.3", "--rounds", "1", "--no-torch"]);
    assert.equal(status, 0, output);
    for (const r of rows) assertRoundsClean(r, 1, output);
    assert.deepEqual(rows.map((r) => r.trainable_params.tsgan), [
      { encoder: 692274, generator: 693008, discriminator: 953345 },
      { encoder: 549696, decoder: 1472528, discriminator: 533505 },
    ]);
  });

  it("trains the toy rows on 2-D points (lesson 04's GAN, gan_toy.py's WGAN-GP) with no leaked tensor, at their own batch", () => {
    // --batch sets the image rows' batch only: each toy row keeps its setting's (04's 100, gan_toy.py's 256).
    const { status, output, rows } = runBench(["--models", "toy-gan,wgan-gp-toy", "--seconds", "0.3", "--rounds", "1", "--batch", "32", "--no-torch"]);
    assert.equal(status, 0, output);
    assert.deepEqual(rows.map((r) => [r.model, r.batch]), [["toy-gan", 100], ["wgan-gp-toy", 256]]);
    for (const r of rows) assertRoundsClean(r, 1, output);
    // toy-gan: G 2→64→64→2 = 3·64 + 65·64 + 65·2, D 2→64→64→1 = 3·64 + 65·64 + 65; wgan-gp-toy: G 2→512→512→512→2 =
    // 3·512 + 2·513·512 + 513·2, the critic 2→512→512→512→1 = 3·512 + 2·513·512 + 513.
    assert.deepEqual(rows.map((r) => r.trainable_params.tsgan), [
      { generator: 4482, discriminator: 4417 },
      { generator: 527874, discriminator: 527361 },
    ]);
    assert.match(output, /real data: random \[-1, 1\] tensors of MNIST shape \(toy rows: random 2-D points in \[-1, 1\]²\)/);
  });

  it("rejects an unknown model, naming the valid ones, and a bad thread count or round count", () => {
    const { status, output } = runBench(["--models", "nope", "--no-torch"]);
    assert.notEqual(status, 0);
    assert.match(output, /unknown model\(s\) \["nope"\]; choose from vanilla, dcgan, dcgan-transposed, cgan, acgan, wgan-gp, sngan-mlp/);
    const threads = runBench(["--models", "vanilla", "--torch-threads", "1,0", "--no-torch"]);
    assert.notEqual(threads.status, 0);
    assert.match(threads.output, /--torch-threads must be a positive integer, got "0"/);
    const rounds = runBench(["--models", "vanilla", "--rounds", "1.5", "--no-torch"]);
    assert.notEqual(rounds.status, 0);
    assert.match(rounds.output, /--rounds must be a positive integer, got "1.5"/);
  });

  it("PyTorch builds the same networks (equal trainable parameters for every model)", function () {
    if (!torchAvailable()) {
      console.log("      (skipped: no python3 with torch; Debian: apt install python3-torch)");
      this.skip();
    }
    const { status, output, rows } = runBench(["--models", "vanilla,dcgan,cgan,acgan,wgan-gp,sngan-mlp,bigan,vae-gan,toy-gan,wgan-gp-toy", "--seconds", "0.2", "--rounds", "1", "--torch-threads", "1"]);
    assert.equal(status, 0, output);
    for (const r of rows) {
      assert.equal(r.torch_error, null, output);
      assert.ok((r.torch_steps_per_s ?? 0) > 0, `${r.model}: torch did not run`);
      assert.equal(r.torch_threads, 1);
      assert.deepEqual(r.trainable_params.torch, r.trainable_params.tsgan, `${r.model}: the two sides differ`);
    }
  });

  it("PyTorch runs in its own environment, at each thread count and round, naming its BLAS kernel", function () {
    if (!torchAvailable()) {
      console.log("      (skipped: no python3 with torch; Debian: apt install python3-torch)");
      this.skip();
    }
    // The bench (not this test's process) gets a CPU-model override where the machine sets none, so that
    // its removal from PyTorch's environment, and from it alone, is what is checked.
    const coretype = process.env.OPENBLAS_CORETYPE ?? "Haswell";
    const { status, output, rows, report } = runBench(
      ["--models", "vanilla", "--seconds", "0.2", "--rounds", "2", "--torch-threads", "1,2"],
      { OPENBLAS_CORETYPE: coretype },
    );
    assert.equal(status, 0, output);
    const m = report!.machine;
    assert.equal(m.torch_env_removed.OPENBLAS_CORETYPE, coretype, JSON.stringify(m));
    assert.equal(m.torch_env_seen!.OPENBLAS_CORETYPE, null, `PyTorch's process saw OPENBLAS_CORETYPE: ${JSON.stringify(m.torch_env_seen)}`);
    assert.equal(m.torch_env_seen!.OPENBLAS_L2_SIZE, null, JSON.stringify(m.torch_env_seen));
    assert.match(output, /OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE were unset for PyTorch's process only/);
    assert.deepEqual(report!.warnings, [], output);
    // A torch on a system BLAS (Debian's: BLAS_INFO=generic over OpenBLAS) names OpenBLAS's kernel; a wheel
    // with MKL loads no OpenBLAS, and then there is no corename to name.
    const openblas = m.torch_blas?.library != null || /generic|open/i.test(m.torch_build?.blas_info ?? "");
    if (openblas) {
      assert.ok(typeof m.torch_blas?.corename === "string" && m.torch_blas.corename.length > 0, JSON.stringify(m));
      assert.match(output, new RegExp(`PyTorch BLAS: OpenBLAS core ${m.torch_blas!.corename}`));
    } else {
      console.log(`      (no OpenBLAS in torch's process: BLAS_INFO=${m.torch_build?.blas_info}; corename not checked)`);
    }
    const [r] = rows;
    assertRoundsClean(r, 2, output);
    assert.deepEqual(Object.keys(r.torch!).sort(), ["1", "2"]);
    for (const n of [1, 2]) {
      const t = r.torch![String(n)];
      assert.equal(t.rounds.length, 2, JSON.stringify(t));
      for (const round of t.rounds) {
        assert.equal(round.error, null, output);
        assert.ok((round.steps_per_s ?? 0) > 0, JSON.stringify(round));
        if (openblas) assert.equal(round.openblas_threads, n, `OpenBLAS did not run at ${n} thread(s): ${JSON.stringify(round)}`);
      }
    }
    // The comparison is against the better thread count's median, and says which it was.
    const best = r.torch!["1"].median! >= r.torch!["2"].median! ? 1 : 2;
    assert.equal(r.torch_threads, best);
    assert.equal(r.torch_steps_per_s, r.torch![String(best)].median);
    assert.ok(Math.abs(r.ratio! - r.tsgan_steps_per_s! / r.torch_steps_per_s!) < 1e-9);
    assert.match(output, new RegExp(`\\| vanilla \\|.*\\| ${r.ratio!.toFixed(2)}× \\(${best} threads?\\) \\| 0 \\|`));
  });
});
