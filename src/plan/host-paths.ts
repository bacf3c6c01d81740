// Host paths no tenant may bind, even where a platform admin allowed bind mounts: the host's root,
// the container engines' sockets and state (every other tenant's volumes and container filesystems
// are under /var/lib/docker), Berth's own data directory (its master key and database), and every
// directory above them (binding `/var` hands over all of it); /proc (its `<pid>/root` and `cwd`
// links reach any path of the host), /sys, /dev, /boot, and /etc (credentials, the engine's TLS keys)
// but for the two files compose files commonly bind for the time zone.
// Pure: the path is read as text (path.posix), never looked up on a disk, so a path that only means
// something relative to a directory (`./data`, `~/x`) cannot be vetted and is refused too.
import { posix } from "node:path";

/** Where Docker and containerd listen, in both spellings (`/var/run` is a link to `/run`). */
const ENGINE_SOCKETS = [
  { path: "/run/docker.sock", engine: "Docker" },
  { path: "/var/run/docker.sock", engine: "Docker" },
  { path: "/run/containerd/containerd.sock", engine: "containerd" },
  { path: "/var/run/containerd/containerd.sock", engine: "containerd" },
];

/** Directories whose contents are other tenants' data or the host's control, with what they hold. */
const HOST_STATE = [
  { path: "/var/lib/docker", what: "the Docker engine's state (every volume and container)" },
  { path: "/var/lib/containerd", what: "containerd's state (every container)" },
];

/** Trees never mounted, nor anything in them. */
const NEVER_WITHIN = [
  { path: "/proc", why: "/proc reaches every path of the host" },
  { path: "/sys", why: "/sys controls the host's kernel and devices" },
  { path: "/dev", why: "/dev holds the host's devices" },
  { path: "/boot", why: "/boot holds the host's kernel" },
  { path: "/etc", why: "/etc holds the host's credentials and configuration" },
];

/** Files of those trees a container may bind: the host's time zone. */
const ALLOWED_WITHIN = ["/etc/localtime", "/etc/timezone"];

/** A directory the caller also protects (Berth's data directory), and what it holds. */
export interface ProtectedPath {
  path: string;
  what: string;
}

/** `/a/b/../c/`, `//a//c`, `/a/./c` -> `/a/c`; `/var/run/x` -> `/run/x` as the host resolves it. */
export function canonicalHostPath(source: string): string {
  const normal = posix.normalize(source);
  const trimmed = normal.length > 1 ? normal.replace(/\/+$/, "") : normal;
  return trimmed === "/var/run" || trimmed.startsWith("/var/run/") ? trimmed.slice(4) : trimmed;
}

const within = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);

/**
 * Why `source` may never be bound into a tenant's container; undefined when it may be (if allowed).
 * `protect` adds directories (Berth's data directory); `allow` exempts exact paths (a system stack's
 * own directory inside it).
 */
export function hostPathProblem(
  source: string,
  o: { protect?: ProtectedPath[]; allow?: string[] } = {},
): string | undefined {
  if (!posix.isAbsolute(source)) return `the source must be an absolute host path (got '${clip(source)}')`;
  const path = canonicalHostPath(source);
  if (path === "/") return "the host's root directory is never mounted";
  if ((o.allow ?? []).some((a) => canonicalHostPath(a) === path)) return undefined;
  if (ALLOWED_WITHIN.includes(path)) return undefined;
  const tree = NEVER_WITHIN.find((t) => within(path, t.path));
  if (tree) return `'${clip(source)}' is never mounted: ${tree.why}`;
  // Both the path as written and as resolved: `/var` holds the `/var/run` link, `/run` the socket.
  const written = posix.normalize(source).replace(/\/+$/, "");
  const socket = ENGINE_SOCKETS.find((s) => within(s.path, path) || within(s.path, written));
  if (socket) {
    const never = `the ${socket.engine} socket is never mounted`;
    return path === canonicalHostPath(socket.path) ? never : `${never}, nor '${clip(source)}' that holds it`;
  }
  const state = [...HOST_STATE, ...(o.protect ?? [])].map((d) => ({ ...d, path: canonicalHostPath(d.path) }));
  const held = state.find((d) => within(path, d.path) || within(d.path, path));
  if (held) return `'${clip(source)}' is never mounted: it is or holds ${held.what}`;
  return undefined;
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 80)}...` : s);
