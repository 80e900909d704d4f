/**
 * Makes `require("tsgan")` resolve to this checkout from anywhere inside it.
 *
 * Notebooks in `notebooks/` import the library as `tsgan`, exactly as a student's own project would after
 * `npm install tsgan`. tslab compiles cells to CommonJS and resolves modules from the notebook's folder, so
 * the package must be findable in `node_modules/`. npm does not install a package into itself, so after
 * every install (`prepare`) we point `node_modules/tsgan` at the project root.
 */
import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "..", "..");
const link = path.join(root, "node_modules", "tsgan");

function pointsAtRoot(p: string): boolean {
  try {
    return fs.realpathSync(p) === fs.realpathSync(root);
  } catch {
    return false;
  }
}

if (!pointsAtRoot(link)) {
  fs.rmSync(link, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(link), { recursive: true });
  // A relative link keeps working when the checkout is moved or copied.
  fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
}
console.log(`tsgan: node_modules/tsgan -> ${path.relative(root, fs.realpathSync(link)) || "."}`);
