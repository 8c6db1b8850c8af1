/** Shapes of `clawfed remove` (ops/remove.ts; its journal: ops/remove-journal.ts). */
import type { MemberStep } from "./add.js";
import type { MemberStart } from "./membership.js";

export interface RemoveOptions {
  outDir?: string;
  /** Keep the state volume (and workspace folder): `add` with the same id later finds them. */
  keepState?: boolean;
  /**
   * Backup archive path; default `<dir of out>/backups/<name>-<UTC time>.tar.gz` (the time the
   * remove started). Decided before the first step and kept in the journal either way.
   */
  backupFile?: string;
  healthTimeoutMs?: number;
  onProgress?: (line: string) => void;
}

export interface RemovePlan {
  federation: string;
  specFile: string;
  outDir: string;
  gateway: { id: string; linked: string[] };
  before: string;
  after: string;
  /** `.env` variables that go (names only). */
  goneTokens: string[];
  /** Mailbox route folders that go. */
  goneRoutes: string[];
  keepState: boolean;
  steps: MemberStep[];
}

export interface RemoveResult {
  ok: boolean;
  federation: string;
  plan: RemovePlan;
  /** The verified archive of the gateway's state and workspace. */
  backup?: { file: string; bytes: number };
  recreated: MemberStart[];
  /** Docker and host resources removed (names, never values). */
  removed: { containers: string[]; networks: string[]; volumes: string[]; folders: string[]; tokens: string[] };
  rolledBack?: { step: MemberStep; reason: string; problems: string[] };
  gateways: Array<{ id: string }>;
  next?: string;
  ms: number;
}
