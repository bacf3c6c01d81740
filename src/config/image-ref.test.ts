import { describe, expect, it } from "vitest";
import { parseImageRef } from "./image-ref.js";

describe("parseImageRef", () => {
  it.each([
    ["nginx", { name: "nginx" }],
    ["nginx:1.25", { name: "nginx", tag: "1.25" }],
    ["local/httpd:1", { name: "local/httpd", tag: "1" }],
    ["registry.example.com:5000/team/app:v2", { name: "registry.example.com:5000/team/app", tag: "v2" }],
    ["localhost:5000/app", { name: "localhost:5000/app" }],
    [`app@sha256:${"a".repeat(64)}`, { name: "app", digest: `sha256:${"a".repeat(64)}` }],
    [`app:1@sha256:${"b".repeat(64)}`, { name: "app", tag: "1", digest: `sha256:${"b".repeat(64)}` }],
    ["my_org/my__app", { name: "my_org/my__app" }],
  ])("accepts %s", (ref, expected) => {
    expect(parseImageRef(ref)).toEqual(expected);
  });

  it.each([
    ["", "must not be empty"],
    ["Nginx", "not a valid image reference"],
    ["nginx latest", "whitespace"],
    ["nginx:", "not a valid image reference"],
    ["nginx::1", "not a valid image reference"],
    ["-nginx", "not a valid image reference"],
    ["app@sha256:abc", "not a valid image reference"],
    [`app:${"t".repeat(129)}`, "not a valid image reference"],
    ["a/../b", "not a valid image reference"],
    ["app;rm -rf /", "whitespace"],
    ["app;rm", "not a valid image reference"],
  ])("rejects %j", (ref, problem) => {
    expect(parseImageRef(ref)).toContain(problem);
  });
});
