// fast-check arbitraries for ids and whole federation specs, shared by the boundary property tests.
import fc from "fast-check";
import { ID_PATTERN } from "../../src/federation/schema.js";

/**
 * Words that derived names are built from, and that ids may legitimately contain: ids made of
 * them are the ones that made two names meet before (`a-to` + `b` vs `a` + `to-b`, …).
 */
export const NAME_WORDS = ["to", "link", "egress", "gateway", "hooks", "a2a", "token", "state", "comms", "systemd", "launchd", "x", "a", "b", "1"];

/** A valid id (ID_PATTERN): one to four groups of reserved words or [a-z0-9]{1,4}, joined by '-'. */
export const idArb: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...NAME_WORDS), fc.stringMatching(/^[a-z0-9]{1,4}$/)), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("-"))
  .filter((id) => ID_PATTERN.test(id));

/** A valid gateway id: an id that starts with a letter (it begins env var names). */
export const gatewayIdArb: fc.Arbitrary<string> = idArb.filter((id) => /^[a-z]/.test(id));

/** A list of words (reserved words or short [a-z0-9] groups) to cut ids from. */
export const wordsArb: fc.Arbitrary<string[]> = fc.array(fc.oneof(fc.constantFrom(...NAME_WORDS), fc.stringMatching(/^[a-z0-9]{1,3}$/)), { minLength: 2, maxLength: 7 });

/**
 * Every valid id made of a contiguous run of `words`, joined by '-': the ids that share most of
 * their text, where a join of two ids is most likely to read as another join (`a-to` + `b` and
 * `a` + `to-b` both come from [a, to, b]).
 */
export function slices(words: string[]): string[] {
  const out = new Set<string>();
  for (let i = 0; i < words.length; i++) for (let j = i + 1; j <= words.length; j++) out.add(words.slice(i, j).join("-"));
  return [...out].filter((id) => ID_PATTERN.test(id));
}

/**
 * 2-6 distinct gateway ids cut from 2-4 words of {a, to, b} (see slices): `to` + `to-to`,
 * `a-to` + `b` with `a` + `to-b`, … are the ids whose joined names met before.
 */
export const adversarialIdsArb: fc.Arbitrary<string[]> = fc
  .array(fc.constantFrom("a", "to", "b"), { minLength: 2, maxLength: 4 })
  .map((words) => slices(words))
  .filter((ids) => ids.length >= 2)
  .chain((ids) => fc.shuffledSubarray(ids, { minLength: Math.min(4, ids.length), maxLength: Math.min(6, ids.length) }));

export type TransportName = "a2a" | "hooks" | "mailbox";

export interface LinkSpec {
  from: string;
  to: string;
  oneWay: boolean;
  transports: TransportName[];
}

export interface SpecShape {
  name: string;
  topology: "mesh";
  gateways: Record<string, Record<string, unknown>>;
  links: LinkSpec[];
}

/**
 * A valid mesh federation: 2-6 gateways with adversarial ids, any subset of the possible pairs
 * linked (random direction, one-way or not, any non-empty set of transports), hooks on, off or
 * defaulted, a few user secrets. Ports are 200 apart, so native targets accept it too.
 */
export const federationArb: fc.Arbitrary<SpecShape> = fc
  .oneof(adversarialIdsArb, fc.uniqueArray(gatewayIdArb, { minLength: 2, maxLength: 6 }))
  .chain((ids) => {
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) pairs.push([ids[i]!, ids[j]!]);
    const link = (pair: [string, string]) =>
      fc
        .record({
          swap: fc.boolean(),
          oneWay: fc.boolean(),
          transports: fc.subarray(["a2a", "hooks", "mailbox"] as TransportName[], { minLength: 1 }),
        })
        .map(({ swap, oneWay, transports }): LinkSpec => ({ from: swap ? pair[1] : pair[0], to: swap ? pair[0] : pair[1], oneWay, transports }));
    return fc.record({
      name: idArb,
      // Most pairs linked (4 in 5), so ids whose names could meet are usually linked too.
      links: fc
        .tuple(...pairs.map(() => fc.integer({ min: 0, max: 4 })))
        .map((dice) => pairs.filter((_, i) => dice[i]! > 0))
        .chain((chosen) => fc.tuple(...chosen.map(link))),
      extras: fc.array(
        fc.record({ hooks: fc.option(fc.boolean(), { nil: undefined }), secrets: fc.subarray(["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]) }),
        { minLength: ids.length, maxLength: ids.length },
      ),
    }).map(({ name, links, extras }) => {
      // hooks: false on a gateway that a hooks link calls is refused by the rules: keep the spec valid.
      const callees = new Set(links.filter((l) => l.transports.includes("hooks")).flatMap((l) => (l.oneWay ? [l.to] : [l.from, l.to])));
      ids.forEach((id, i) => {
        if (callees.has(id) && extras[i]!.hooks === false) extras[i]!.hooks = undefined;
      });
      return {
      name,
      topology: "mesh" as const,
      gateways: Object.fromEntries(
        ids.map((id, i) => [
          id,
          {
            port: 20000 + i * 200,
            description: `gateway ${id}`,
            model: "anthropic/claude-sonnet-4-6",
            ...(extras[i]!.hooks === undefined ? {} : { hooks: extras[i]!.hooks }),
            secrets: extras[i]!.secrets,
          },
        ]),
      ),
      links: [...links],
      };
    });
  });
