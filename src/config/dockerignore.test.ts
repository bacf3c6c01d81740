import { describe, expect, it } from "vitest";
import { isIgnored, parseDockerignore, withAlwaysSent } from "./dockerignore.js";

const ignored = (content: string, file: string) => isIgnored(parseDockerignore(content), file);

describe(".dockerignore matching (Docker's rules)", () => {
  it.each([
    // [patterns, file, ignored]
    ["secret.txt", "secret.txt", true],
    ["secret.txt", "sub/secret.txt", false],
    ["*.md", "README.md", true],
    ["*.md", "docs/a.md", false],
    ["*/*.md", "docs/a.md", true],
    ["**/*.md", "docs/deep/a.md", true],
    ["**/*.md", "a.md", true],
    ["docs/**", "docs/a/b.txt", true],
    ["docs/**/x", "docs/x", true],
    ["docs/**/x", "docs/a/b/x", true],
    ["docs/**/x", "other/x", false],
    ["node_modules", "node_modules/a/index.js", true],
    ["/node_modules/", "node_modules/a/index.js", true],
    ["./build", "build/out.js", true],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["[a-c]x", "bx", true],
    ["[!a-c]x", "bx", false],
    ["[!a-c]x", "dx", true],
    ["file\\*", "file*", true],
    ["file\\*", "filex", false],
    ["a.b", "axb", false],
    ["# comment", "# comment", false],
    ["  spaced.txt  ", "spaced.txt", true],
    ["*", "anything/at/all", true],
  ])("%j on %s: %s", (patterns, file, want) => {
    expect(ignored(patterns, file)).toBe(want);
  });

  it.each([
    ["*.md\n!README.md", "README.md", false],
    ["*.md\n!README.md", "CHANGES.md", true],
    ["!README.md\n*.md", "README.md", true],
    ["docs\n!docs/keep.txt", "docs/keep.txt", false],
    ["docs\n!docs/keep.txt", "docs/drop.txt", true],
    ["**\n!src", "src/main.ts", false],
    ["**\n!src\nsrc/*.test.ts", "src/a.test.ts", true],
  ])("last match wins: %j on %s: %s", (patterns, file, want) => {
    expect(ignored(patterns, file)).toBe(want);
  });

  it("always sends the Dockerfile and .dockerignore", () => {
    const patterns = withAlwaysSent(parseDockerignore("*\n"), "docker/Dockerfile.prod");
    expect(isIgnored(patterns, ".dockerignore")).toBe(false);
    expect(isIgnored(patterns, "docker/Dockerfile.prod")).toBe(false);
    expect(isIgnored(patterns, "app.js")).toBe(true);
  });
});
