import { describe, expect, it } from "vitest";
import { hasMallocTunables, withMallocTunables } from "./defaults.js";

describe("the server's allocator settings", () => {
  it("are added to an environment without any", () => {
    const env = withMallocTunables({ PATH: "/bin" });
    expect(env.PATH).toBe("/bin");
    expect(env.GLIBC_TUNABLES).toMatch(/^glibc\.malloc\.trim_threshold=\d+:.*mmap_threshold=\d+$/);
    expect(hasMallocTunables(env)).toBe(true);
  });

  it("keep an operator's other tunables and give way to their malloc ones", () => {
    expect(withMallocTunables({ GLIBC_TUNABLES: "glibc.rtld.nns=8" }).GLIBC_TUNABLES).toMatch(
      /^glibc\.rtld\.nns=8:glibc\.malloc\./,
    );
    const own = { GLIBC_TUNABLES: "glibc.malloc.arena_max=2" };
    expect(withMallocTunables(own)).toBe(own);
  });
});
