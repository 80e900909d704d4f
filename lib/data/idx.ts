/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/).
 *
 * Layout: bytes 0–1 are zero, byte 2 the element type, byte 3 the number of dimensions d; then d big-endian
 * uint32 sizes; then the elements, big-endian, row-major. Files may be gzipped (detected by the gzip header
 * 1f 8b, not by the file name).
 */
import * as fs from "fs";
import * as zlib from "zlib";

export type IdxDtype = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  shape: number[];
  dtype: IdxDtype;
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: "uint8", bytes: 1 },
  0x09: { dtype: "int8", bytes: 1 },
  0x0b: { dtype: "int16", bytes: 2 },
  0x0c: { dtype: "int32", bytes: 4 },
  0x0d: { dtype: "float32", bytes: 4 },
  0x0e: { dtype: "float64", bytes: 8 },
};

const DEFAULT_ADVICE =
  "run `npm run data` to download MNIST into data/mnist/, or put the IDX files there by hand (see data/README.md)";

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses IDX bytes (already gunzipped). `name` (a path) and `advice` (what to do) go into every error.
 */
export function parseIdx(bytes: Uint8Array, name = "<buffer>", advice = DEFAULT_ADVICE): IdxArray {
  const fail = (what: string): never => {
    throw new Error(`tsgan.data.readIdx: ${name} ${what}; ${advice}.`);
  };
  if (bytes.length < 4) fail(`is too short to be an IDX file (${bytes.length} bytes; the header alone is ≥ 4)`);
  const type = TYPES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || bytes[3] === 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    fail(`is not an IDX file (magic bytes ${magic}; expected 00 00 <type 08|09|0b|0c|0d|0e> <rank ≥ 1>)`);
  }
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) fail(`is truncated inside its header (${bytes.length} of ${headerBytes} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length < expected) {
    fail(`is truncated: its header promises shape [${shape}] (${expected} bytes) but it has ${bytes.length} bytes`);
  }
  if (bytes.length > expected) {
    fail(`has ${bytes.length - expected} bytes after the [${shape}] ${type.dtype} data it declares (corrupt?)`);
  }
  return { shape, dtype: type.dtype, data: decode(view, headerBytes, count, type.dtype) };
}

/** Copies `count` big-endian elements starting at `offset` into a fresh typed array. */
function decode(view: DataView, offset: number, count: number, dtype: IdxDtype): IdxData {
  switch (dtype) {
    case "uint8":
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case "int8":
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case "int16": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case "int32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case "float32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case "float64": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Reads an IDX file, raw or gzipped. A missing, truncated, wrongly compressed or wrong-magic file throws an
 * Error naming the file and `advice` (default: run `npm run data` or put the files in data/mnist/).
 */
export function readIdx(path: string, advice = DEFAULT_ADVICE): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`tsgan.data.readIdx: ${path} does not exist; ${advice}.`);
    throw new Error(`tsgan.data.readIdx: cannot read ${path} (${(err as Error).message}); ${advice}.`);
  }
  if (isGzip(bytes)) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new Error(
        `tsgan.data.readIdx: ${path} is a damaged or truncated gzip file (${(err as Error).message}); ${advice}.`,
      );
    }
  }
  return parseIdx(bytes, path, advice);
}
