/**
 * The operation journal's file (vocabulary/journal.ts for its shape): written atomically (temp file,
 * fsync, rename; O_EXCL|O_NOFOLLOW, see safe-fs.ts) with mode 0600 at `<out>/.clawfed/journal.json`,
 * read back without following links, and deleted when the operation is over. A reader never sees
 * half a journal: after a SIGKILL the file is either the previous state or the next one.
 */
import { JOURNAL_PATH, journalText, parseJournal, type Journal } from "../vocabulary/journal.js";
import { checkRoot, readBelow, unlinkBelow, writeBelow } from "./safe-fs.js";
import path from "node:path";

/** Mode of the journal file: only its owner reads it (it names containers and paths). */
export const JOURNAL_MODE = 0o600;

/**
 * Write `j` as the journal of the output folder `outDir` (creating `.clawfed/` when needed).
 * @throws RuntimeError when the folder cannot be written (the operation must then not go on)
 */
export async function writeJournal(outDir: string, j: Journal): Promise<void> {
  const root = await checkRoot(outDir);
  await writeBelow(root, JOURNAL_PATH, journalText(j), JOURNAL_MODE, new Set());
}

/** What the output folder holds: no journal, a journal, or a file clawfed cannot read as one. */
export type JournalFound = { kind: "none" } | { kind: "journal"; journal: Journal; file: string } | { kind: "unreadable"; error: string; file: string };

/** Read the journal of `outDir`. @throws RuntimeError for a link or a non-regular file at its place. */
export async function readJournal(outDir: string): Promise<JournalFound> {
  const root = await checkRoot(outDir);
  const file = path.join(root.shown, JOURNAL_PATH);
  const got = await readBelow(root, JOURNAL_PATH);
  if (!got) return { kind: "none" };
  const parsed = parseJournal(got.text);
  return parsed.ok ? { kind: "journal", journal: parsed.journal, file } : { kind: "unreadable", error: parsed.error, file };
}

/** Delete the journal of `outDir` (the operation is over). @returns whether there was one. */
export async function removeJournal(outDir: string): Promise<boolean> {
  return unlinkBelow(await checkRoot(outDir), JOURNAL_PATH);
}
