import { describe, expect, it } from "vitest";
import { pickSubnet } from "./subnets.js";

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
