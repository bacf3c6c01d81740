import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { afterAll, describe, expect, it } from "vitest";
import { contextFiles, packContext } from "./build-context.js";

const root = mkdtempSync(join(tmpdir(), "berth-ctx-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dir(name: string, files: Record<string, string>): string {
  const d = join(root, name);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(d, p, ".."), { recursive: true });
    writeFileSync(join(d, p), content);
  }
  return d;
}

async function entries(d: string, dockerfile = "Dockerfile"): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = extract();
  ex.on("entry", (h, stream, next) => {
    const parts: Buffer[] = [];
    stream.on("data", (c) => parts.push(c as Buffer));
    stream.on("end", () => {
      if (h.type === "file") out[h.name] = Buffer.concat(parts).toString();
      next();
    });
  });
  await pipeline(packContext(d, await contextFiles(d, dockerfile)), createGunzip(), ex);
  return out;
}

describe("the build context", () => {
  it("leaves out what .dockerignore excludes, keeps exceptions, and always sends the Dockerfile", async () => {
    const d = dir("a", {
      Dockerfile: "FROM x",
      ".dockerignore": "*.log\nsecrets\nDockerfile\n.dockerignore\nnode_modules\n!node_modules/keep.js\n",
      "app.js": "1",
      "debug.log": "no",
      "secrets/key": "no",
      "node_modules/dep.js": "no",
      "node_modules/keep.js": "yes",
      "sub/deep.log": "kept: *.log does not cross directories",
    });
    expect(await entries(d)).toEqual({
      ".dockerignore": expect.any(String),
      Dockerfile: "FROM x",
      "app.js": "1",
      "node_modules/keep.js": "yes",
      "sub/deep.log": "kept: *.log does not cross directories",
    });
  });

  it("refuses a context without its Dockerfile, naming --dockerfile", async () => {
    const d = dir("b", { "app.js": "1" });
    await expect(contextFiles(d, "Dockerfile")).rejects.toThrow("--dockerfile");
    await expect(contextFiles(join(root, "missing"), "Dockerfile")).rejects.toThrow("--build");
  });
});
