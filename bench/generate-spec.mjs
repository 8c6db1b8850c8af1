// The large spec of the generate and compile benchmarks (issue 9), shared by both.

/** A hub-and-spoke spec of n gateways (ports 20000.., ids hub, s1..s{n-1}). */
export function bigSpec(n) {
  const lines = ["name: big", "knowledge:", "  docs: { path: /srv/shared-docs, description: Shared documents }", "gateways:"];
  lines.push("  hub:", "    role: hub", "    port: 20000", "    description: The hub; talks to the user and delegates.", "    model: anthropic/claude-sonnet-4-6", "    knowledge: [docs]");
  for (let i = 1; i < n; i++) {
    lines.push(`  s${i}:`, `    port: ${20000 + i}`, `    description: Specialist number ${i}.`, "    model: anthropic/claude-opus-4-6", "    knowledge: [docs]");
  }
  lines.push("links:");
  for (let i = 1; i < n; i++) lines.push(`  - { from: hub, to: s${i}, transports: [a2a, hooks, mailbox] }`);
  return `${lines.join("\n")}\n`;
}
