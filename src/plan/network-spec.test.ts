import { describe, expect, it } from "vitest";
import { planOrgNetwork } from "./network-spec.js";

describe("planOrgNetwork", () => {
  it.each([
    {
      opts: {},
      want: {
        Name: "berth-org-acme",
        Labels: { "berth.managed": "true", "berth.org": "acme" },
      },
    },
    {
      opts: { instance: "i1", subnet: "10.192.16.0/20" },
      want: {
        Labels: { "berth.instance": "i1", "berth.managed": "true", "berth.org": "acme" },
        IPAM: { Driver: "default", Config: [{ Subnet: "10.192.16.0/20" }] },
      },
    },
    { opts: { encrypted: true }, want: { Options: { encrypted: "true" } } },
  ])("plans $opts", ({ opts, want }) => {
    const spec = planOrgNetwork("acme", opts);
    expect(spec).toMatchObject({ Driver: "overlay", Attachable: true, ...want });
    expect(Object.keys(spec.Labels ?? {})).toEqual(Object.keys(spec.Labels ?? {}).sort());
  });
});
