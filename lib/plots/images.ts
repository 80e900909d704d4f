/**
 * PNG images of samples: an encoder, image grids of generated batches, and showing them in a notebook.
 *
 * The encoder follows the PNG specification (W3C, "Portable Network Graphics (PNG) Specification", 2nd ed.,
 * 2003): signature, IHDR, one zlib-compressed IDAT, IEND; each chunk ends with the CRC-32 of its type and
 * data. Rows use filter type 0 (none): GAN samples are small and noisy, so the other filters gain little.
 */
import * as zlib from "zlib";
import * as tf from "@tensorflow/tfjs";
import { displayBundle } from "./plotly";

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** PNG colour types by channel count: grey, grey+alpha, RGB, RGBA (PNG spec, table 11.1). */
const COLOR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309 / ITU-T V.42 polynomial 0xEDB88320, reflected), as PNG chunks use. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes 8-bit pixels (row-major, channels interleaved) as a PNG file.
 * `channels`: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
 */
export function encodePng(pixels: ArrayLike<number>, width: number, height: number, channels: 1 | 2 | 3 | 4): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`encodePng: width and height must be positive integers, got ${width}x${height}.`);
  }
  if (!(channels in COLOR_TYPE)) throw new Error(`encodePng: channels must be 1, 2, 3 or 4, got ${channels}.`);
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height) {
    throw new Error(`encodePng: expected ${rowBytes * height} values for ${width}x${height}x${channels}, got ${pixels.length}.`);
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = COLOR_TYPE[channels];
  // header[10..12]: compression 0 (deflate), filter method 0, no interlace.

  // Each row is prefixed with its filter type byte (0 = none).
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const start = y * (rowBytes + 1) + 1;
    for (let i = 0; i < rowBytes; i++) {
      const v = pixels[y * rowBytes + i];
      raw[start + i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  const parts = [PNG_SIGNATURE, chunk("IHDR", header), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Which values map to black and white: "tanh" is [-1, 1] (a tanh generator), "unit" is [0, 1]. */
export type PixelRange = "tanh" | "unit" | "auto";

export interface ImageGridOptions {
  /** Images per row (default: ceil(sqrt(n))). */
  cols?: number;
  /** Integer magnification, nearest neighbour (default 1); MNIST digits read better at 2 or 3. */
  scale?: number;
  /** Pixels between images (default 1). */
  padding?: number;
  /** Value range of the input (default "auto": "tanh" if any value is below 0, else "unit"). */
  range?: PixelRange;
  /** Padding grey level 0..255 (default 128, so black and white samples both stand out). */
  background?: number;
}

export interface ImageGrid {
  png: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * Lays a batch of images out as one PNG: `images` is [n, h, w, c] (or one image [h, w, c]) with c = 1 or 3,
 * values in [-1, 1] or [0, 1].
 */
export function imageGrid(images: tf.Tensor, options: ImageGridOptions = {}): ImageGrid {
  const shape = images.shape.length === 3 ? [1, ...images.shape] : images.shape;
  if (shape.length !== 4 || (shape[3] !== 1 && shape[3] !== 3)) {
    throw new Error(`imageGrid: expected a tensor [n, height, width, channels] with 1 or 3 channels, got shape [${images.shape}]. Reshape flat MNIST vectors with x.reshape([-1, 28, 28, 1]).`);
  }
  const [n, h, w, c] = shape as [number, number, number, 1 | 3];
  const cols = Math.max(1, Math.min(n, options.cols ?? Math.ceil(Math.sqrt(n))));
  const rows = Math.ceil(n / cols);
  const scale = options.scale ?? 1;
  const padding = options.padding ?? 1;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`imageGrid: scale must be a positive integer, got ${scale}.`);
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`imageGrid: padding must be a non-negative integer, got ${padding}.`);
  const values = images.dataSync();
  let range = options.range ?? "auto";
  if (range === "auto") {
    let min = Infinity;
    for (let i = 0; i < values.length; i++) if (values[i] < min) min = values[i];
    range = min < 0 ? "tanh" : "unit";
  }
  const toByte = range === "tanh" ? (v: number) => ((v + 1) / 2) * 255 : (v: number) => v * 255;

  const width = cols * w * scale + (cols + 1) * padding;
  const height = rows * h * scale + (rows + 1) * padding;
  const pixels = new Uint8Array(width * height * c).fill(options.background ?? 128);
  for (let k = 0; k < n; k++) {
    const left = padding + (k % cols) * (w * scale + padding);
    const top = padding + Math.floor(k / cols) * (h * scale + padding);
    for (let y = 0; y < h * scale; y++) {
      for (let x = 0; x < w * scale; x++) {
        const src = ((k * h + Math.floor(y / scale)) * w + Math.floor(x / scale)) * c;
        const dst = ((top + y) * width + left + x) * c;
        for (let ch = 0; ch < c; ch++) {
          const v = toByte(values[src + ch]);
          pixels[dst + ch] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
      }
    }
  }
  return { png: encodePng(pixels, width, height, c), width, height, channels: c };
}

/**
 * Shows a batch of images as one PNG grid in the notebook (`image/png`). Outside a notebook it prints a
 * line. Returns nothing, so a cell ending with it prints nothing more; `imageGrid` gives the PNG bytes.
 */
export function showImages(images: tf.Tensor, options: ImageGridOptions & { title?: string } = {}): void {
  const grid = imageGrid(images, options);
  const n = images.shape.length === 3 ? 1 : images.shape[0];
  const text = `${options.title ? `${options.title}: ` : ""}${n} image${n === 1 ? "" : "s"} as a ${grid.width}x${grid.height} PNG`;
  const shown = displayBundle({ "image/png": Buffer.from(grid.png).toString("base64"), "text/plain": text });
  if (!shown) console.log(`[tsgan] ${text} (not in a notebook: nothing displayed)`);
}
