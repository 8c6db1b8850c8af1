import { Command } from "commander";
import { action, write } from "../output.js";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("Print the JSON Schema of the federation spec (for editor autocompletion).")
    .addHelpText("after", "\nUse it from YAML with a first line: # yaml-language-server: $schema=<path to the printed schema>")
    .action(
      action(async () => {
        const { specJsonSchema } = await import("../../federation/schema.js");
        write(`${JSON.stringify(specJsonSchema(), null, 2)}\n`);
      }),
    );
}
