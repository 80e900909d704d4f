import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { parseBackendChoice, ready } from "../../lib/engine/backend";
import {
  adapterReason, AdapterLike, cannotReadSync, GpuLike, installDawnForAsyncReads, missingPackages, softwareAdapterName, vulkanLoaderAbsent,
} from "../../lib/engine/webgpu";

/** A `navigator.gpu` whose requestAdapter() does what the test says. */
const fakeGpu = (answer: () => Promise<AdapterLike | null>): GpuLike => ({ requestAdapter: answer });

/**
 * What a skipped webgpu may say on any machine: packages absent (optional peers), Dawn finding no GPU, or a
 * GPU that tfjs-backend-webgpu cannot dataSync() from in Node.
 */
const NO_WEBGPU =
  /^(webgpu and @tensorflow\/tfjs-backend-webgpu are|webgpu is|@tensorflow\/tfjs-backend-webgpu is) not installed|^no GPU adapter \(|^only a software adapter \(|^Dawn found .+, but tfjs-backend-webgpu 4\.22 cannot dataSync\(\) in Node/;

describe("engine/webgpu", () => {
  it("TSGAN_BACKEND accepts webgpu, between node-gpu and node", () => {
    assert.equal(parseBackendChoice("webgpu"), "webgpu");
    assert.equal(parseBackendChoice(" WebGPU "), "webgpu");
    assert.throws(() => parseBackendChoice("cuda"), /Valid values: node-gpu, webgpu, node, wasm, cpu/);
  });

  it("names the missing packages; the webgpu package is not needed when navigator.gpu exists", () => {
    const none = () => false;
    assert.equal(missingPackages(true, none), "webgpu and @tensorflow/tfjs-backend-webgpu are not installed");
    assert.equal(missingPackages(false, none), "@tensorflow/tfjs-backend-webgpu is not installed");
    assert.equal(missingPackages(true, (p) => p !== "webgpu"), "webgpu is not installed");
    assert.equal(missingPackages(true, () => true), null);
  });

  it("looks for the Vulkan loader the way dlopen does, and says absent only when sure", () => {
    const cacheWithout = () => "libc.so.6\0/lib/x86_64-linux-gnu/libc.so.6\0";
    const nowhere = () => false;
    assert.equal(vulkanLoaderAbsent({}, null, nowhere, cacheWithout), true);
    assert.equal(vulkanLoaderAbsent({}, null, nowhere, () => "libvulkan.so.1\0/usr/lib/x86_64-linux-gnu/libvulkan.so.1"), false);
    assert.equal(vulkanLoaderAbsent({ LD_LIBRARY_PATH: "/opt/vk/lib" }, null, (f) => f === "/opt/vk/lib/libvulkan.so.1", cacheWithout), false);
    assert.equal(vulkanLoaderAbsent({}, "/x/dist/linux-x64", (f) => f === "/x/dist/linux-x64/libvulkan.so.1", cacheWithout), false);
    assert.equal(vulkanLoaderAbsent({}, null, (f) => f === "/usr/lib/libvulkan.so.1", cacheWithout), false);
    assert.equal(vulkanLoaderAbsent({}, null, nowhere, () => null), false, "no ld.so cache: let Dawn look");
  });

  it("with no adapter, gives one line that says so and what to install", async () => {
    const linux = await adapterReason(fakeGpu(async () => null), "linux");
    assert.match(linux!, /^no GPU adapter \(Dawn found none; install the GPU's Vulkan driver/);
    assert.doesNotMatch(linux!, /\n/);
    assert.match((await adapterReason(fakeGpu(async () => null), "darwin"))!, /Dawn found none; Dawn needs a Metal GPU/);
    assert.match((await adapterReason(fakeGpu(async () => null), "win32"))!, /Dawn found none; install the GPU vendor's D3D12/);
  });

  it("turns Dawn's errors, a hang and a software rasterizer into reasons; accepts a GPU", async () => {
    const threw = await adapterReason(fakeGpu(async () => { throw new Error("unrecognised backend 'foo'\nPossible backends: ..."); }), "linux");
    assert.equal(threw, "Dawn failed to look for a GPU adapter: unrecognised backend 'foo'");
    const hung = await adapterReason(fakeGpu(() => new Promise(() => {})), "linux", 20);
    assert.equal(hung, "Dawn did not answer requestAdapter() within 0.02 s");
    // What Dawn's OpenGL ES path reports on Mesa's llvmpipe (Debian 12), and a CPU adapter flagged as such.
    const llvmpipe = { info: { vendor: "", device: "llvmpipe-llvm-15-0-6-256-bits-", description: "OpenGL version OpenGL ES 3.2 Mesa 22.3.6" } };
    assert.match((await adapterReason(fakeGpu(async () => llvmpipe), "linux"))!, /^only a software adapter \(llvmpipe-llvm-15/);
    assert.equal(softwareAdapterName({ info: { isFallbackAdapter: true } }), "fallback adapter");
    const gpu = { info: { vendor: "nvidia", architecture: "hopper", device: "", description: "NVIDIA H200", isFallbackAdapter: false } };
    let name = "";
    assert.equal(await adapterReason(fakeGpu(async () => gpu), "linux", 1000, (n) => (name = n)), null);
    assert.equal(name, "NVIDIA H200");
  });

  it("with a GPU, says that tfjs-backend-webgpu cannot dataSync() in Node", () => {
    const reason = cannotReadSync("NVIDIA H200", "it needs OffscreenCanvas");
    assert.equal(reason, "Dawn found NVIDIA H200, but tfjs-backend-webgpu 4.22 cannot dataSync() in Node (it needs OffscreenCanvas) and tsgan reads with it");
    assert.match(reason, NO_WEBGPU);
  });

  it("the measuring path (bench/webgpu-matmul.ts) gives the same reason and leaves navigator alone without a GPU", async function () {
    const before = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    const found = await installDawnForAsyncReads();
    if ("adapter" in found) this.skip(); // a machine with a GPU and both packages: nothing to refuse
    assert.match((found as { reason: string }).reason, NO_WEBGPU);
    assert.equal((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu, before);
  });

  it("ready() skips webgpu with a one-line reason here, or uses it where there is a GPU", async () => {
    const info = await ready();
    if (info.forced || info.choice === "webgpu") return;
    const webgpu = info.skipped.find((s) => s.choice === "webgpu");
    if (!webgpu) return; // node-gpu was picked before webgpu was tried
    assert.match(webgpu.reason, NO_WEBGPU);
    assert.doesNotMatch(webgpu.reason, /\n/);
  });

  it("TSGAN_BACKEND=webgpu without a usable GPU fails with what is wrong and what to install", function () {
    this.timeout(60000);
    const backendJs = path.resolve(__dirname, "../../lib/engine/backend.js");
    const script = `require(${JSON.stringify(backendJs)}).ready().then(` +
      `(i) => { console.log("CHOICE " + i.choice); process.exit(0); }, (e) => { console.error(e.message); process.exit(2); });`;
    const started = Date.now();
    const r = spawnSync(process.execPath, ["-e", script], {
      env: { ...process.env, TSGAN_BACKEND: "webgpu", TSGAN_QUIET: "1" },
      encoding: "utf8",
      timeout: 60000,
    });
    if (r.status === 0) {
      assert.match(r.stdout, /CHOICE webgpu/); // a machine with a GPU Dawn can use
      return;
    }
    assert.equal(r.status, 2, r.stderr);
    const message = r.stderr.trim().split("\n").pop()!; // Dawn may print its own warning lines first
    assert.match(message, /^TSGAN_BACKEND=webgpu cannot be used: /);
    assert.match(message.replace(/^TSGAN_BACKEND=webgpu cannot be used: /, ""), NO_WEBGPU);
    assert.match(message, /npm install webgpu@0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0/);
    assert.match(message, /unset TSGAN_BACKEND/);
    assert.ok(Date.now() - started < 30000, "the failure is quick");
  });
});
