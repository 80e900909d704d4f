/** Mocha root hooks: start the engine once, quietly, before any test. */
import { ready } from "../lib/engine/backend";

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60000);
    await ready({ env: { ...process.env, TSGAN_QUIET: "1" } });
  },
};
