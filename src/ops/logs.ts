/**
 * `logs`: a gateway's container logs with every secret of the federation's `.env` replaced by
 * `<redacted>` (runtime/redact.ts StreamRedactor: text may arrive in arbitrary pieces).
 */
import { LABELS } from "../vocabulary/labels.js";
import { RuntimeError } from "../errors.js";
import { gatewayContainers } from "../runtime/containers.js";
import type { Engine } from "../runtime/docker/types.js";
import { StreamRedactor } from "../runtime/redact.js";
import { outFlag, pickGateways, type FederationContext } from "./context.js";

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
 * @throws UsageError for an unknown gateway (exit 2); RuntimeError for one without a container.
 */
export async function streamLogs(ctx: FederationContext, engine: Engine, id: string, sink: LogSink, opts: LogsOptions = {}): Promise<{ container: string }> {
  pickGateways(ctx.fed, [id], "<gateway>");
  const { current } = await gatewayContainers(ctx, engine);
  const c = current.get(id);
  if (!c || c.labels[LABELS.gateway] !== id) {
    throw new RuntimeError(`gateway ${id} of ${ctx.fed.name} has no container`, { next: `clawfed up ${ctx.loaded.file}${outFlag(ctx)}` });
  }
  const red = { stdout: new StreamRedactor(ctx.secrets), stderr: new StreamRedactor(ctx.secrets) };
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
