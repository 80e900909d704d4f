import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const SCRIPT = path.resolve(__dirname, "../../bench/webgpu-matmul.js");
const ROOT = path.resolve(__dirname, "../../..");
const TORCH_GAN = path.join(ROOT, "bench", "torch_gan.py");

describe("bench/webgpu-matmul and torch_gan.py --device", function () {
  this.timeout(120_000);

  it("times tsgan's product, says why webgpu is not measured where it cannot be, and prints the table", () => {
    const r = spawnSync(process.execPath, [SCRIPT, "--sizes", "48", "--seconds", "0.05"], { encoding: "utf8", cwd: ROOT });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^tsgan ready\(\): \w+; webgpu (skipped: .+|: in use|: not tried)$/m);
    assert.match(r.stdout, /^\| \w+ \(tsgan\) \| 48 \| \d+\.\d \| — \|$/m);
    // Either a reason on one line, or webgpu's rows with their difference from wasm's product.
    assert.match(r.stdout, /^webgpu: .+; nothing to measure there$|^\| webgpu, 10 products per read \| 48 \| \d+\.\d \| \d\.\de[-+]\d+ \|$/m);
  });

  it("names a bad option and the valid ones", () => {
    const r = spawnSync(process.execPath, [SCRIPT, "--size", "48"], { encoding: "utf8", cwd: ROOT });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /webgpu-matmul: unknown option --size; options: --sizes 256,1024 --seconds 1\.5/);
  });

  it("torch_gan.py --device cuda without a CUDA GPU stops saying so (where PyTorch is installed)", function () {
    const python = ["/usr/bin/python3", "python3"].find(
      (py) => spawnSync(py, ["-c", "import torch, sys; sys.exit(0 if not torch.cuda.is_available() else 3)"]).status === 0,
    );
    if (!python) this.skip(); // no PyTorch here, or a CUDA GPU (then --device cuda would run)
    const r = spawnSync(python!, [TORCH_GAN, "--models", "toy-gan", "--seconds", "0.1", "--device", "cuda"], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /torch_gan\.py: --device cuda: this torch sees no CUDA GPU \(use --device cpu\)/);
  });
});
