// Golden file names: a generated `.env` is stored as `dotenv.golden`, because `.env` files are
// git-ignored (and must never be tracked), so a golden `.env` would never reach a clean checkout.
export function goldenPath(...parts: string[]): string {
  return parts.join("/").replace(/(^|\/)\.env$/, "$1dotenv.golden");
}
