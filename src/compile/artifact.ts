/**
 * What a compile produces: files and folders relative to the output directory, plus the .env plan.
 * Every target (targets/<name>/) returns a CompileResult; the writer (emit/) consumes it.
 */
import type { EnvSlot } from "../vocabulary/env-plan.js";

export type { EnvSlot };

export interface FileArtifact {
  kind: "file";
  /** POSIX path relative to the output directory. */
  path: string;
  content: string;
  /** File mode, e.g. 0o644; secrets are 0o600. */
  mode: number;
  /** Holds secret values (only the writer fills secrets in; compile never sees a value). */
  secret?: boolean;
  /** Must be owned by the container user (uid/gid 1000) because a gateway writes into it. */
  gatewayOwned?: boolean;
  /**
   * A dotenv file of exactly these variables of the federation's `.env`: the writer appends one
   * `NAME=value` line per variable (empty user secrets become a comment) to `content`, which is
   * the file's header. Used for one gateway's own secrets (native targets). Set `secret` and mode 0600.
   */
  envFrom?: string[];
  /**
   * How `envFrom` values are written: `dotenv` (default; quoted where needed, like `.env`) or
   * `kustomize`: `NAME=value` raw, because Kustomize's secretGenerator env files keep quotes and
   * spaces as they are (a value with a line break is refused: that format cannot carry it).
   */
  envSyntax?: "dotenv" | "kustomize";
}

export interface DirArtifact {
  kind: "dir";
  path: string;
  mode: number;
  gatewayOwned?: boolean;
  /** Absolute host directory outside the output (e.g. an absolute comms path). */
  absolute?: boolean;
}

export type Artifact = FileArtifact | DirArtifact;

/**
 * A secret of the federation's `.env` plan (vocabulary/env-plan.ts) that a target's platform keeps
 * instead of any `.env`: the same variable, kind and consumers as the plan's slot, and where it lives.
 */
export interface PlatformSecret {
  /** The plan's variable (the container receives it under this name). */
  name: string;
  kind: "token" | "user";
  /** Gateways that receive it, sorted: exactly the plan slot's consumers. */
  consumers: string[];
  /** Where the platform keeps it, e.g. `AWS Secrets Manager`. */
  store: string;
  /** The platform generates the value (it exists nowhere else); true for every token, which clawfed then never sees. */
  generated: boolean;
}

export interface CompileResult {
  target: string;
  artifacts: Artifact[];
  env: EnvSlot[];
  /**
   * Secrets of the federation's `.env` plan that this target leaves to its platform instead of a
   * `.env` (ecs: AWS Secrets Manager generates the tokens and holds the user's secrets). Absent for
   * targets whose secrets are all in `env`: then every slot of the plan must be there.
   */
  platformSecrets?: PlatformSecret[];
  /** Things the user should know (e.g. a gateway gets the Docker socket). */
  warnings: string[];
}

export function file(path: string, content: string, extra: Partial<FileArtifact> = {}): FileArtifact {
  return { kind: "file", path, content, mode: 0o644, ...extra };
}

export function dir(path: string, extra: Partial<DirArtifact> = {}): DirArtifact {
  return { kind: "dir", path, mode: 0o755, ...extra };
}
