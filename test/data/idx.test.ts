import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { readIdx, parseIdx, isGzip } from "../../lib/data/idx";

/** Builds IDX bytes: 00 00 type rank, big-endian uint32 dims, then the big-endian payload. */
function idxBytes(type: number, shape: number[], payload: Buffer): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, payload]);
}

describe("data/idx", () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-idx-")); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Buffer) => { const p = path.join(dir, name); fs.writeFileSync(p, bytes); return p; };

  // A 2×3×2 uint8 array holding 0..11.
  const U8 = idxBytes(0x08, [2, 3, 2], Buffer.from(Array.from({ length: 12 }, (_, i) => i)));

  it("reads a raw uint8 file: shape, dtype and row-major data", () => {
    const a = readIdx(write("u8-idx3-ubyte", U8));
    assert.deepEqual(a.shape, [2, 3, 2]);
    assert.equal(a.dtype, "uint8");
    assert.ok(a.data instanceof Uint8Array);
    assert.deepEqual(Array.from(a.data), Array.from({ length: 12 }, (_, i) => i));
  });

  it("reads the same file gzipped, recognised by its header not its name", () => {
    const gz = zlib.gzipSync(U8);
    assert.ok(isGzip(gz) && !isGzip(U8));
    const a = readIdx(write("gzipped-without-extension", gz));
    assert.deepEqual(a.shape, [2, 3, 2]);
    assert.deepEqual(Array.from(a.data), Array.from({ length: 12 }, (_, i) => i));
  });

  it("decodes big-endian int16, int32, float32 and float64", () => {
    const i16 = Buffer.alloc(4); i16.writeInt16BE(-2, 0); i16.writeInt16BE(300, 2);
    const i32 = Buffer.alloc(8); i32.writeInt32BE(-70000, 0); i32.writeInt32BE(123456789, 4);
    const f32 = Buffer.alloc(8); f32.writeFloatBE(1.5, 0); f32.writeFloatBE(-0.25, 4);
    const f64 = Buffer.alloc(8); f64.writeDoubleBE(Math.PI, 0);
    const i8 = Buffer.from([0xff, 0x7f]); // −1, 127
    const cases: Array<[number, number[], Buffer, string, number[]]> = [
      [0x09, [2], i8, "int8", [-1, 127]],
      [0x0b, [2], i16, "int16", [-2, 300]],
      [0x0c, [1, 2], i32, "int32", [-70000, 123456789]],
      [0x0d, [2, 1], f32, "float32", [1.5, -0.25]],
      [0x0e, [1], f64, "float64", [Math.PI]],
    ];
    for (const [type, shape, payload, dtype, values] of cases) {
      const a = parseIdx(idxBytes(type, shape, payload));
      assert.equal(a.dtype, dtype);
      assert.deepEqual(a.shape, shape);
      assert.deepEqual(Array.from(a.data), values);
    }
  });

  it("a missing file names the path and `npm run data`", () => {
    const missing = path.join(dir, "train-images-idx3-ubyte");
    assert.throws(() => readIdx(missing), (e: Error) => e.message.includes(missing) && /does not exist/.test(e.message) && e.message.includes("npm run data"));
  });

  it("a truncated raw file says how many bytes were promised and found", () => {
    const p = write("truncated-idx", U8.subarray(0, U8.length - 5));
    assert.throws(() => readIdx(p), (e: Error) => e.message.includes(p) && /truncated/.test(e.message) && /28 bytes/.test(e.message) && /23 bytes/.test(e.message) && e.message.includes("npm run data"));
    // Truncated inside the header: rank 3 needs 16 header bytes.
    assert.throws(() => parseIdx(U8.subarray(0, 10), "short"), /short is truncated inside its header \(10 of 16 bytes\)/);
  });

  it("a truncated gzip file is reported as such", () => {
    const gz = zlib.gzipSync(U8);
    const p = write("truncated.gz", gz.subarray(0, gz.length - 10));
    assert.throws(() => readIdx(p), (e: Error) => e.message.includes(p) && /damaged or truncated gzip/.test(e.message));
  });

  it("a wrong magic number is rejected with the bytes it found", () => {
    const png = write("image.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    assert.throws(() => readIdx(png), (e: Error) => e.message.includes(png) && /not an IDX file \(magic bytes 89 50 4e 47/.test(e.message));
    const badType = idxBytes(0x07, [1], Buffer.from([1]));
    assert.throws(() => parseIdx(badType, "bad-type"), /bad-type is not an IDX file/);
    assert.throws(() => parseIdx(Buffer.from([0, 0]), "tiny"), /tiny is too short/);
  });

  it("extra bytes after the declared data are an error too", () => {
    assert.throws(() => parseIdx(Buffer.concat([U8, Buffer.from([1, 2])]), "long"), /long has 2 bytes after/);
  });

  it("a custom piece of advice replaces the default one", () => {
    assert.throws(() => readIdx(path.join(dir, "nope"), "install dataset-fashion-mnist"), /does not exist; install dataset-fashion-mnist\./);
  });
});
