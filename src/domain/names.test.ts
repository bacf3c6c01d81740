import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { legacyStackNamespace, NAME_LIMITS, nameProblem, scopedName, stackNamespace } from "./names.js";

// Valid names of a kind, with '-' (the separator that made the old scheme ambiguous) made frequent.
const name = (kind: keyof typeof NAME_LIMITS) =>
  fc
    .stringMatching(/^[a-z0-9][a-z0-9-]{0,30}$/)
    .map((s) => s.slice(0, NAME_LIMITS[kind]).replace(/-+$/, ""))
    .filter((s) => nameProblem(kind, s) === undefined);
// Compose keys of networks, volumes, secrets and configs may also hold '_' and '.'.
const objectKey = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,12}$/);

describe("Swarm names", () => {
  it("never map two (organization, stack, service) triples to one service name", () => {
    fc.assert(
      fc.property(
        name("org"),
        name("stack"),
        name("service"),
        name("org"),
        name("stack"),
        name("service"),
        (o1, s1, k1, o2, s2, k2) => {
          const same = o1 === o2 && s1 === s2 && k1 === k2;
          expect(scopedName(stackNamespace(o1, s1), k1) === scopedName(stackNamespace(o2, s2), k2)).toBe(
            same,
          );
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("never map two (organization, stack, object key) triples to one object name", () => {
    fc.assert(
      fc.property(
        name("org"),
        name("stack"),
        objectKey,
        name("org"),
        name("stack"),
        objectKey,
        (o1, s1, k1, o2, s2, k2) => {
          const same = o1 === o2 && s1 === s2 && k1 === k2;
          expect(scopedName(stackNamespace(o1, s1), k1) === scopedName(stackNamespace(o2, s2), k2)).toBe(
            same,
          );
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("split back into exactly the organization, stack and key they came from", () => {
    fc.assert(
      fc.property(name("org"), name("stack"), objectKey, (org, stack, key) => {
        const [o, s, ...rest] = scopedName(stackNamespace(org, stack), key).split("_");
        expect([o, s, rest.join("_")]).toEqual([org, stack, key]);
      }),
    );
  });

  it("never give a new stack's service the name of a service made under the old scheme", () => {
    fc.assert(
      fc.property(
        name("org"),
        name("stack"),
        name("service"),
        name("org"),
        name("stack"),
        name("service"),
        (o1, s1, k1, o2, s2, k2) => {
          expect(scopedName(stackNamespace(o1, s1), k1)).not.toBe(
            scopedName(legacyStackNamespace(o2, s2), k2),
          );
        },
      ),
    );
  });

  it("fit Docker's 63-character limit for service names at the longest", () => {
    const longest = scopedName(stackNamespace("o".repeat(16), "s".repeat(24)), "v".repeat(20));
    expect(longest.length).toBeLessThanOrEqual(63);
  });

  it("the old scheme was ambiguous: organization t, stack x-alpha and organization t-x, stack alpha met", () => {
    expect(legacyStackNamespace("t", "x-alpha")).toBe(legacyStackNamespace("t-x", "alpha"));
    expect(stackNamespace("t", "x-alpha")).not.toBe(stackNamespace("t-x", "alpha"));
  });

  it("system stacks name their installation, so another installation's leftovers never hold their names", () => {
    expect(stackNamespace("berth-system", "proxy", { instance: "d86c0c68" })).toBe(
      "berth-system-d86c0c68_proxy",
    );
    expect(stackNamespace("berth-system", "proxy", { instance: "a" })).not.toBe(
      stackNamespace("berth-system", "proxy", { instance: "b" }),
    );
    // Tenants keep `<org>_<stack>` whatever the installation.
    expect(stackNamespace("acme", "web", { instance: "d86c0c68" })).toBe("acme_web");
  });
});
