/**
 * The notebooks stay valid for real Jupyter: the registered kernelspec runs a fixture under
 * `jupyter nbconvert --execute`. Skipped, with a note, where `jupyter` is not installed.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { installKernelspec, KERNEL_NAME, kernelJson } from "../../../tools/lessons/kernelspec";
import { defaultTslabBin } from "../../../tools/lessons/kernel";
import { nbformatProblems } from "../../../tools/lessons/notebook";
import { cellWith, fixture, readJson, streamText, tempDir } from "./helpers";

function hasJupyter(): boolean {
  const probe = spawnSync("jupyter", ["nbconvert", "--version"], { stdio: "ignore" });
  return !probe.error && probe.status === 0;
}

describe("lessons: Jupyter kernelspec", function () {
  this.timeout(600_000);

  it("writes kernel.json pointing at this project's tslab, without Python", () => {
    const prefix = tempDir("kernelspec");
    const dir = installKernelspec({ prefix });
    assert.equal(dir, path.join(prefix, "share", "jupyter", "kernels", KERNEL_NAME));
    const spec = JSON.parse(fs.readFileSync(path.join(dir, "kernel.json"), "utf8"));
    assert.deepEqual(spec, kernelJson());
    assert.deepEqual(spec.argv, [path.resolve(defaultTslabBin()), "kernel", "--config-path", "{connection_file}"]);
    assert.equal(spec.language, "typescript");
  });

  it("runs a notebook under jupyter nbconvert --execute with the registered kernel", function () {
    if (!hasJupyter()) {
      console.log("      (skipped: `jupyter nbconvert` is not on PATH; on Debian: apt install jupyter-notebook jupyter-nbconvert)");
      this.skip();
    }
    const home = tempDir("jupyter");
    const dataDir = path.join(home, "data");
    installKernelspec({ dataDir });
    const outDir = path.join(home, "out");
    const env = {
      ...process.env,
      JUPYTER_PATH: dataDir, // our kernelspec, not the user's
      JUPYTER_DATA_DIR: dataDir,
      JUPYTER_RUNTIME_DIR: path.join(home, "runtime"),
      JUPYTER_CONFIG_DIR: path.join(home, "config"),
    };
    const run = spawnSync(
      "jupyter",
      ["nbconvert", "--to", "notebook", "--execute", `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
        "--ExecutePreprocessor.timeout=300", "--output-dir", outDir, fixture("passing.ipynb")],
      { env, encoding: "utf8", timeout: 600_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const notebook = readJson(path.join(outDir, "passing.ipynb"));
    assert.deepEqual(nbformatProblems(notebook), []);
    assert.equal(streamText(cellWith(notebook, "greeting").outputs, "stdout"), "hello from tslab\nsecond line\n");
    assert.equal(streamText(cellWith(notebook, "6 * 7").outputs, "stdout"), "42\n");
    const plot = cellWith(notebook, "vnd.plotly").outputs ?? [];
    assert.deepEqual(plot.map((o) => Object.keys(o.data as object)), [["application/vnd.plotly.v1+json"]]);
  });
});
