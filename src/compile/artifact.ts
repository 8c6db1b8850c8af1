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

export interface CompileResult {
  target: string;
  artifacts: Artifact[];
  env: EnvSlot[];
  /** Things the user should know (e.g. a gateway gets the Docker socket). */
  warnings: string[];
}

export function file(path: string, content: string, extra: Partial<FileArtifact> = {}): FileArtifact {
  return { kind: "file", path, content, mode: 0o644, ...extra };
}

export function dir(path: string, extra: Partial<DirArtifact> = {}): DirArtifact {
  return { kind: "dir", path, mode: 0o755, ...extra };
}
