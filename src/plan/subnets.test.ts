import { describe, expect, it } from "vitest";
import { pickSubnet, subnetHolder } from "./subnets.js";

describe("pickSubnet", () => {
  it.each([
    ["an empty pool gives its first /20", [], "10.192.0.0/20"],
    ["skips a taken /20", ["10.192.0.0/20"], "10.192.16.0/20"],
    ["skips a /24 inside the first /20", ["10.192.5.0/24"], "10.192.16.0/20"],
    ["skips a larger network covering several", ["10.192.0.0/16"], "10.193.0.0/20"],
    [
      "ignores networks outside the pool and IPv6",
      ["10.0.1.0/24", "172.17.0.0/16", "fd00::/64"],
      "10.192.0.0/20",
    ],
  ])("%s", (_name, used, expected) => {
    expect(pickSubnet(used)).toBe(expected);
  });

  it("reports a full pool", () => {
    expect(pickSubnet(["10.0.0.0/8"], "10.192.0.0/10")).toBeUndefined();
    expect(pickSubnet(["10.0.0.0/24"], "10.0.0.0/23", 24)).toBe("10.0.1.0/24");
  });
});

describe("subnetHolder", () => {
  const claim = (networkId: string, subnet: string, created: string) => ({ networkId, subnet, created });

  it("is the network created first among those overlapping the subnet, to the nanosecond", () => {
    const claims = [
      claim("later", "10.192.0.0/20", "2026-12-03T05:32:29.058049932Z"),
      claim("first", "10.192.0.0/20", "2026-12-03T05:32:29.05804993Z"),
      claim("elsewhere", "10.192.16.0/20", "2026-12-01T00:00:00Z"),
    ];
    expect(subnetHolder("10.192.0.0/20", claims)?.networkId).toBe("first");
  });

  it("counts a smaller network inside the subnet, and compares times across zones", () => {
    const claims = [
      claim("mine", "10.192.0.0/20", "2026-12-03T05:32:29Z"),
      claim("older", "10.192.5.0/24", "2026-12-03T06:32:28.5+01:00"),
    ];
    expect(subnetHolder("10.192.0.0/20", claims)?.networkId).toBe("older");
  });

  it("breaks a tie by id, so both sides agree; nobody holds a subnet no network overlaps", () => {
    const t = "2026-12-03T05:32:29.1Z";
    expect(
      subnetHolder("10.192.0.0/20", [claim("b", "10.192.0.0/20", t), claim("a", "10.192.0.0/20", t)])
        ?.networkId,
    ).toBe("a");
    expect(subnetHolder("10.192.0.0/20", [claim("x", "10.193.0.0/20", t)])).toBeUndefined();
  });
});
