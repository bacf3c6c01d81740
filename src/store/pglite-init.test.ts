import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { templateDir } from "./pglite-init.js";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const temp = mkdtempSync(join(tmpdir(), "berth-pglite-init-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function migrations(name: string, files: Record<string, string>): string {
  const dir = join(temp, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("the pristine database's place", () => {
  const base = { "0000_init.sql": "create table a (id int);", "meta/_journal.json": "{}" };
  const at = (options: object, folder: string) =>
    templateDir({ options, packageRoot, migrationsFolder: folder });

  it("is named by PGlite's version, and stays the same for the same options and migrations", () => {
    const dir = at({ postgresqlconf: ["work_mem=2MB"] }, migrations("a", base));
    expect(dir).toMatch(/node_modules\/\.cache\/berth\/pglite-\d+\.\d+\.\d+-[0-9a-f]{16}$/);
    expect(at({ postgresqlconf: ["work_mem=2MB"] }, migrations("b", base))).toBe(dir);
  });

  it("changes with the options, with a migration's text, and with a new migration", () => {
    const options = { postgresqlconf: ["work_mem=2MB"] };
    const dir = at(options, migrations("c", base));
    expect(at({ postgresqlconf: ["work_mem=4MB"] }, migrations("d", base))).not.toBe(dir);
    expect(at(options, migrations("e", { ...base, "0000_init.sql": "create table b (id int);" }))).not.toBe(
      dir,
    );
    expect(at(options, migrations("f", { ...base, "0001_more.sql": "create table c (id int);" }))).not.toBe(
      dir,
    );
  });
});
