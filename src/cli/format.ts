/**
 * Shared output formatting of the CLI: one table formatter (status, native status, the demo) and
 * one progress reporter (a spinner line on a terminal, plain lines otherwise).
 */
import Table from "cli-table3";
import { escapeControls } from "../errors.js";

const NO_BORDER = {
  top: "", "top-mid": "", "top-left": "", "top-right": "",
  bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  ",
};

/**
 * Rows as aligned plain-text columns (cli-table3 without borders or colours): the first row is the
 * header, columns are separated by two spaces, trailing spaces are trimmed. Cell text passes
 * through escapeControls, so nothing from a spec or a container can reach the terminal raw.
 */
export function table(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const t = new Table({ chars: NO_BORDER, style: { head: [], border: [], "padding-left": 0, "padding-right": 0 } });
  for (const r of rows) t.push(r.map((c) => escapeControls(String(c))));
  return t
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
}

/** Reports progress of a long step: `line` adds a line; `done` ends it. */
export interface Reporter {
  line(text: string): void;
  done(): void;
}

/**
 * A progress reporter on stderr. On a terminal (and unless `plain`): an `ora` spinner whose text is
 * the latest line, with each finished line kept above it; otherwise (pipes, CI, `--json`): one plain
 * line per update, which logs and tests read. Text passes through `clean` (redaction) and
 * escapeControls first.
 */
export async function reporter(opts: { plain?: boolean; clean?: (s: string) => string } = {}): Promise<Reporter> {
  const clean = (s: string) => escapeControls((opts.clean ?? ((x: string) => x))(s), { keepNewlines: true });
  if (opts.plain || !process.stderr.isTTY || process.env.CI) {
    return { line: (text) => void process.stderr.write(`${clean(text)}\n`), done: () => undefined };
  }
  const { default: ora } = await import("ora");
  const spinner = ora({ stream: process.stderr, discardStdin: false });
  return {
    line(text) {
      const t = clean(text);
      if (spinner.isSpinning && spinner.text) spinner.stopAndPersist({ symbol: " " });
      spinner.start(t);
    },
    done() {
      if (spinner.isSpinning) spinner.stopAndPersist({ symbol: " " });
    },
  };
}
