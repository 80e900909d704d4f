/**
 * The save-and-load check every custom layer's test makes: the model written with `model.save` to a temporary
 * folder and read back with `tf.loadLayersModel` (which needs the layer registered for serialization) must
 * predict exactly what the original does.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { fileSystem } from "../../lib/io/files";

/** Saves `model`, loads it back, asserts equal predictions on `x`, and gives the loaded copy to `inspect`. Disposes both models. */
export async function assertSavesAndLoads(model: tf.LayersModel, x: tf.Tensor, inspect: (loaded: tf.LayersModel) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsgan-layer-"));
  try {
    await model.save(fileSystem(dir));
    const loaded = await tf.loadLayersModel(fileSystem(dir));
    try {
      inspect(loaded);
      assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((model.predict(x) as tf.Tensor).dataSync()));
    } finally {
      loaded.dispose();
    }
  } finally {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
