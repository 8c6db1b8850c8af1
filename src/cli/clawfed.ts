/**
 * The one `Clawfed` the CLI's commands call (real Docker, HTTP, clock, compose), created on first
 * use so that commands which never operate (schema, validate) load nothing of it.
 */
import type { Clawfed } from "../ops/index.js";

let instance: Promise<Clawfed> | undefined;

/** The shared ops object. */
export function clawfed(): Promise<Clawfed> {
  instance ??= import("../ops/clawfed.js").then((m) => m.createClawfed());
  return instance;
}
