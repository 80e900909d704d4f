import { strict as assert } from "assert";
import { check } from "../lib/claims";

describe("claims", () => {
  it("check passes silently when the claim holds and throws its message when it does not", () => {
    check(1 + 1 === 2, "arithmetic");
    assert.throws(() => check(false, "quick: at least 5 modes captured, got 3"), /^Error: quick: at least 5 modes captured, got 3$/);
  });
});
