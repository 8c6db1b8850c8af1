// Snapshot a directory tree: relative path → { mode, content (files) }, for "nothing changed" checks.
import { lstat, readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface TreeEntry {
  kind: "file" | "dir";
  mode: number;
  mtimeMs: number;
  content?: string;
}

export async function snapshotTree(root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const p = path.join(dir, name);
      const st = await lstat(p);
      const rel = path.relative(root, p);
      if (st.isDirectory()) {
        out.set(rel, { kind: "dir", mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
        await walk(p);
      } else {
        out.set(rel, { kind: "file", mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, content: await readFile(p, "utf8") });
      }
    }
  }
  await walk(root);
  return out;
}
