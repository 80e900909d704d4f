import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { downloadFile, downloadAll, manualInstructions, sha256, DataFile, MNIST_FILES, Fetcher } from "../../tools/download-data";

describe("tools/download-data", () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-dl-")); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const good = Buffer.from("the right bytes");
  const file: DataFile = { name: "x-idx1-ubyte.gz", bytes: good.length, sha256: sha256(good) };
  const serve = (table: Record<string, Buffer | Error>): Fetcher => async (url) => {
    const answer = table[url];
    if (answer === undefined || answer instanceof Error) throw answer ?? new Error("fetch failed");
    return answer;
  };

  it("sha256 of 'abc' is the FIPS 180-2 test vector", () => {
    assert.equal(sha256(Buffer.from("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("hard-codes the four MNIST files with 64-hex-digit SHA-256s", () => {
    assert.deepEqual(MNIST_FILES.map((f) => f.name), ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]);
    assert.ok(MNIST_FILES.every((f) => /^[0-9a-f]{64}$/.test(f.sha256) && f.bytes > 0));
  });

  it("skips a mirror that serves wrong bytes, writes the verified file, leaves no temp file", async () => {
    const fetcher = serve({ "https://a/x-idx1-ubyte.gz": Buffer.from("the wrong bytes"), "https://b/x-idx1-ubyte.gz": good });
    assert.equal(await downloadFile(file, dir, ["https://a/", "https://b/"], fetcher), "downloaded");
    assert.deepEqual(fs.readFileSync(path.join(dir, file.name)), good);
    assert.deepEqual(fs.readdirSync(dir), [file.name]);
    // A second run keeps the file without fetching.
    assert.equal(await downloadFile(file, dir, ["https://a/"], serve({})), "kept");
  });

  it("replaces a corrupt local copy", async () => {
    fs.writeFileSync(path.join(dir, file.name), "the wrong bytes");
    assert.equal(await downloadFile(file, dir, ["https://b/"], serve({ "https://b/x-idx1-ubyte.gz": good })), "downloaded");
    assert.deepEqual(fs.readFileSync(path.join(dir, file.name)), good);
  });

  it("offline: every mirror's failure is listed, nothing is written, the instructions name files and hashes", async () => {
    const offline = serve({ "https://a/x-idx1-ubyte.gz": new Error("fetch failed"), "https://b/x-idx1-ubyte.gz": Buffer.from("short") });
    const lines: string[] = [];
    const failures = await downloadAll(dir, [file], ["https://a/", "https://b/"], offline, (l) => lines.push(l));
    assert.equal(failures.length, 1);
    assert.match(failures[0], /https:\/\/a\/x-idx1-ubyte\.gz: fetch failed/);
    assert.match(failures[0], /https:\/\/b\/x-idx1-ubyte\.gz: .*has 5 bytes, expected 15/);
    assert.deepEqual(fs.readdirSync(dir), []);
    const help = manualInstructions(dir);
    assert.ok(MNIST_FILES.every((f) => help.includes(f.name) && help.includes(f.sha256)) && help.includes(dir));
  });
});
