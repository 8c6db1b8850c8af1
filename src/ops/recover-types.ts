/**
 * Shapes of `clawfed resume` / `clawfed abort` (ops/recover.ts): what happened to each gateway of
 * an interrupted operation.
 */
import type { RolloutResult } from "./rollout.js";

export interface RecoverOptions {
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** One gateway after recovery. */
export interface RecoverGateway {
  id: string;
  /**
   * kept: the interrupted operation had finished it (it stays so); finished: recovery finished it;
   * rolled-back: put back as before the operation; not-touched: the operation never reached it;
   * anything else: the outcome of the rollout `resume` ran for the rest (ops/rollout-step.ts).
   */
  outcome: string;
  detail: string;
}

/** The result of `resume` or `abort`. */
export interface RecoverResult {
  ok: boolean;
  federation: string;
  /** The interrupted operation (`rollout`, `restore`), or "none" when there was no journal. */
  operation: string;
  action: "resume" | "abort";
  gateways: RecoverGateway[];
  /** The rollout `resume` ran for the gateways not done yet. */
  rollout?: RolloutResult;
  message?: string;
  next?: string;
  ms: number;
}
