/**
 * `logs`: a gateway's container logs with every secret of the federation's `.env` replaced by
 * `<redacted>`. Redaction works on text that may arrive in arbitrary pieces: complete lines are
 * redacted and written at once; of an unfinished line only the part that cannot be the start of a
 * secret is written, the rest waits for the next piece (a secret never contains a newline).
 */
import { LABELS } from "../vocabulary/labels.js";
import { RuntimeError } from "../errors.js";
import { redact, secretValues, type FederationContext } from "./context.js";
import type { Engine } from "./engine.js";
import { gatewayContainers, outFlag } from "./status.js";

/** Replacement text of a secret. */
export const REDACTED = "<redacted>";

/**
 * Streaming redactor for one stream of text. `push` returns what can be written now; `end` returns
 * the rest. Holds back at most (longest secret − 1) characters of an unfinished line.
 */
export class StreamRedactor {
  private pending = "";
  private readonly hold: number;
  constructor(private readonly secrets: string[]) {
    this.hold = Math.max(0, ...secrets.map((s) => s.length - 1));
  }

  push(text: string): string {
    this.pending += text;
    const nl = this.pending.lastIndexOf("\n");
    let out = "";
    if (nl >= 0) {
      out = redact(this.pending.slice(0, nl + 1), this.secrets);
      this.pending = this.pending.slice(nl + 1);
    }
    if (this.pending.length > this.hold) {
      // Redact what is complete, then keep the tail that might be the start of a secret.
      const r = redact(this.pending, this.secrets);
      const cut = Math.max(0, r.length - this.hold);
      out += r.slice(0, cut);
      this.pending = r.slice(cut);
    }
    return out;
  }

  end(): string {
    const out = redact(this.pending, this.secrets);
    this.pending = "";
    return out;
  }
}

export interface LogsOptions {
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Only since this many milliseconds ago. */
  sinceMs?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface LogSink {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Write the logs of gateway `id` to `sink`, redacted. Resolves when the logs end (or, with
 * `follow`, when `signal` aborts or the container is removed).
 * @throws RuntimeError for an unknown gateway or one without a container.
 */
export async function streamLogs(ctx: FederationContext, engine: Engine, id: string, sink: LogSink, opts: LogsOptions = {}): Promise<{ container: string }> {
  if (!ctx.fed.gateways.some((g) => g.id === id)) {
    throw new RuntimeError(`"${id}" is not a gateway of ${ctx.fed.name}`, { next: `use one of: ${ctx.fed.gateways.map((g) => g.id).join(", ")}` });
  }
  const { current } = await gatewayContainers(ctx, engine);
  const c = current.get(id);
  if (!c || c.labels[LABELS.gateway] !== id) {
    throw new RuntimeError(`gateway ${id} of ${ctx.fed.name} has no container`, { next: `clawfed up ${ctx.loaded.file}${outFlag(ctx)}` });
  }
  const secrets = secretValues(ctx);
  const red = { stdout: new StreamRedactor(secrets), stderr: new StreamRedactor(secrets) };
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  for await (const chunk of engine.logs(c.id, {
    follow: Boolean(opts.follow),
    tail: opts.tail,
    sinceS: opts.sinceMs !== undefined ? Math.floor((Date.now() - opts.sinceMs) / 1000) : undefined,
    timestamps: opts.timestamps,
    signal: opts.signal,
  })) {
    const text = red[chunk.stream].push(decoders[chunk.stream].decode(chunk.data, { stream: true }));
    if (text) sink[chunk.stream](text);
  }
  for (const s of ["stdout", "stderr"] as const) {
    const rest = red[s].push(decoders[s].decode()) + red[s].end();
    if (rest) sink[s](rest);
  }
  return { container: c.name };
}
