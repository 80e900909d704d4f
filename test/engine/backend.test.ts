import { strict as assert } from "assert";
import { ready, parseBackendChoice, BACKEND_CHOICES } from "../../lib/engine/backend";

describe("engine/backend", () => {
  it("picks wasm here, naming why the native backends were skipped", async () => {
    // ready() resolves to the choice made at start, whatever backend a later test switched to.
    const info = await ready();
    if (process.env.TSGAN_BACKEND) return; // forced runs are checked by the forced-choice test
    const installed = (p: string) => { try { require.resolve(p); return true; } catch { return false; } };
    if (installed("@tensorflow/tfjs-node") || installed("@tensorflow/tfjs-node-gpu")) return;
    if (info.choice === "webgpu") return; // a GPU Dawn can use (test/engine/webgpu.test.ts)
    assert.equal(info.choice, "wasm");
    assert.equal(info.tfName, "wasm");
    assert.deepEqual(info.skipped.map((s) => s.choice), ["node-gpu", "webgpu", "node"]);
    assert.match(info.skipped[0].reason, /@tensorflow\/tfjs-node-gpu is not installed/);
  });

  it("parses TSGAN_BACKEND and lists the valid values for an unknown one", () => {
    assert.equal(parseBackendChoice(undefined), null);
    assert.equal(parseBackendChoice("auto"), null);
    assert.equal(parseBackendChoice("WASM"), "wasm");
    assert.throws(() => parseBackendChoice("cuda"), (e: Error) => {
      for (const c of BACKEND_CHOICES) assert.ok(e.message.includes(c), `message lists ${c}`);
      assert.match(e.message, /TSGAN_BACKEND=cuda/);
      return true;
    });
  });
});
