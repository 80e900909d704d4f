/**
 * A lesson's claims are asserted where they are made (d2l's rule: the book's code checks its own results),
 * so a run that no longer shows the point fails, naming the claim, instead of printing a wrong number.
 */

/** Throws `message` when `condition` is false; the lesson runner reports it with the notebook and cell. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
