import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

/** Starts the engine in a fresh process with TSGAN_BACKEND set; returns its output and exit status. */
function startWith(backend: string) {
  const backendJs = path.resolve(__dirname, "../../lib/engine/backend.js");
  const script = `require(${JSON.stringify(backendJs)}).ready().then(` +
    `(i) => { console.log("CHOICE " + i.choice); }, (e) => { console.error(e.message); process.exit(2); });`;
  const r = spawnSync(process.execPath, ["-e", script], {
    env: { ...process.env, TSGAN_BACKEND: backend, TSGAN_QUIET: "" },
    encoding: "utf8",
    timeout: 60000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const installed = (p: string) => { try { require.resolve(p); return true; } catch { return false; } };

describe("engine/backend: TSGAN_BACKEND", () => {
  it("forcing cpu uses cpu and says it was forced", () => {
    const r = startWith("cpu");
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /tsgan: backend cpu \(forced by TSGAN_BACKEND\)/);
    assert.match(r.out, /CHOICE cpu/);
  });

  it("forcing a backend that is not installed names the package and how to install it", function () {
    if (installed("@tensorflow/tfjs-node")) this.skip();
    const r = startWith("node");
    assert.equal(r.status, 2);
    assert.match(r.err, /TSGAN_BACKEND=node cannot be used: @tensorflow\/tfjs-node is not installed/);
    assert.match(r.err, /npm install @tensorflow\/tfjs-node@4\.22\.0/);
  });

  it("an unknown name lists the valid ones", () => {
    const r = startWith("cuda");
    assert.equal(r.status, 2);
    assert.match(r.err, /TSGAN_BACKEND=cuda is not a backend tsgan knows\. Valid values: node-gpu, webgpu, node, wasm, cpu/);
  });
});
