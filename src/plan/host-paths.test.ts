import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalHostPath, hostPathProblem } from "./host-paths.js";

describe("canonicalHostPath", () => {
  it.each([
    ["/srv/data", "/srv/data"],
    ["/srv/data/", "/srv/data"],
    ["//srv//data//", "/srv/data"],
    ["/srv/./data/.", "/srv/data"],
    ["/srv/x/../data", "/srv/data"],
    ["/..", "/"],
    ["///", "/"],
    ["/var/run", "/run"],
    ["/var/run/", "/run"],
    ["/var/run/docker.sock", "/run/docker.sock"],
    ["/var/runner", "/var/runner"],
    ["/var/lib/../run/x", "/run/x"],
  ])("%s -> %s", (source, canonical) => {
    expect(canonicalHostPath(source)).toBe(canonical);
  });
});

describe("hostPathProblem", () => {
  it.each([
    "/",
    "//",
    "/.",
    "/..",
    "/srv/../..",
    "/run",
    "/run/",
    "/run/docker.sock",
    "/run//docker.sock",
    "/run/./docker.sock",
    "/var",
    "/var/",
    "//var",
    "/var/run",
    "/var/run/",
    "/var/run/docker.sock",
    "/var/run/../run/docker.sock",
    "/var/lib/../run",
    "/srv/../var/run/docker.sock",
    "/run/containerd",
    "/run/containerd/containerd.sock",
    "/proc",
    "/proc/1/root",
    "/proc/self/root/var/run",
    "/var/lib",
    "/var/lib/docker",
    "/var/lib/docker/volumes/other_tenant_data/_data",
    "/var/lib/containerd",
    "/var/lib/../lib/docker",
    "/sys",
    "/sys/fs/cgroup",
    "/dev",
    "/dev/sda",
    "/boot",
    "/etc",
    "/etc/shadow",
    "/etc/docker/daemon.json",
    "/etc/./localtime/../shadow",
    "./data",
    ".",
    "..",
    "../../run",
    "~/cache",
    "data",
    "",
  ])("refuses %j", (source) => {
    expect(hostPathProblem(source)).toBeDefined();
  });

  it.each([
    "/srv",
    "/srv/data/",
    "/tmp",
    "/var/lib/app",
    "/var/runner",
    "/run/user/1000/app",
    "/home/app/run",
    "/processes",
    "/etc/localtime",
    "/etc/timezone",
    "/var/lib/dockerish",
    "/devices",
  ])("allows %j", (source) => {
    expect(hostPathProblem(source)).toBeUndefined();
  });

  it("refuses every spelling of a directory above the socket", () => {
    const sep = fc.constantFrom("/", "//", "/./", "/x/../");
    const above = fc.constantFrom(["var"], ["var", "run"], ["run"], ["run", "docker.sock"], []);
    fc.assert(
      fc.property(
        above,
        fc.array(sep, { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        (parts, seps, slash) => {
          const path = `${seps[0]}${parts.map((p, i) => `${p}${seps[(i + 1) % 4]}`).join("")}`;
          const source = slash ? path : path.replace(/\/+$/, "") || "/";
          expect(hostPathProblem(source), source).toBeDefined();
        },
      ),
    );
  });

  describe("with Berth's data directory protected", () => {
    const protect = [{ path: "/root/.berth", what: "Berth's data directory" }];
    it.each(["/root/.berth", "/root/.berth/master.key", "/root", "/root/./.berth/../.berth/pgdata"])(
      "refuses %j",
      (source) => {
        expect(hostPathProblem(source, { protect })).toMatch(/Berth's data directory/);
      },
    );
    it.each(["/root/.berthx", "/root/app", "/srv/data"])("allows %j", (source) => {
      expect(hostPathProblem(source, { protect })).toBeUndefined();
    });
    it("allows exactly the path a system stack is exempted for, nothing above or beside it", () => {
      const allow = ["/root/.berth/proxy"];
      expect(hostPathProblem("/root/.berth/proxy", { protect, allow })).toBeUndefined();
      expect(hostPathProblem("/root/.berth/proxy/", { protect, allow })).toBeUndefined();
      expect(hostPathProblem("/root/.berth", { protect, allow })).toBeDefined();
      expect(hostPathProblem("/root/.berth/master.key", { protect, allow })).toBeDefined();
    });
  });
});
