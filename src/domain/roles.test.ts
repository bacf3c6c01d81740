import { describe, expect, it } from "vitest";
import { type CreatorStanding, type Role, tokenGrant } from "./roles.js";

const member = (role: Role | null, platformAdmin = false): CreatorStanding => ({
  kind: "user",
  userId: "u1",
  platformAdmin,
  role,
});

describe("tokenGrant", () => {
  it.each<[string, Role, CreatorStanding, Role | undefined]>([
    ["a member's token within their role", "deployer", member("admin"), "deployer"],
    ["a member's token at their role", "deployer", member("deployer"), "deployer"],
    ["a member demoted below the token", "deployer", member("viewer"), "viewer"],
    ["an owner's owner token", "owner", member("owner"), "owner"],
    ["an owner demoted to admin", "owner", member("admin"), "admin"],
    ["a member removed", "deployer", member(null), undefined],
    ["a platform admin who is not a member", "owner", member(null, true), "owner"],
    ["a platform admin's smaller token", "viewer", member(null, true), "viewer"],
    ["a platform admin and viewer member", "admin", member("viewer", true), "admin"],
    ["a former platform admin, not a member", "owner", member(null, false), undefined],
    ["a former platform admin, still a viewer member", "owner", member("viewer", false), "viewer"],
    ["the bootstrap admin token's", "owner", { kind: "admin-token" }, "owner"],
    ["the bootstrap admin token's viewer token", "viewer", { kind: "admin-token" }, "viewer"],
    ["a deleted creator or none recorded", "viewer", { kind: "unknown" }, undefined],
  ])("%s", (_what, tokenRole, creator, expected) => {
    expect(tokenGrant(tokenRole, creator)).toBe(expected);
  });
});
