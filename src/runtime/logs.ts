/**
 * `logs`: a gateway's container logs with every secret of the federation's `.env` replaced by
 * `<redacted>` as the pieces arrive (StreamRedactor, ./redact.ts).
 */
import { LABELS } from "../compile/names.js";
import { RuntimeError } from "../errors.js";
import { secretValues, type FederationContext } from "./context.js";
import { StreamRedactor } from "./redact.js";
import type { Engine } from "./docker/types.js";
import { gatewayContainers, outFlag } from "./status.js";

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
