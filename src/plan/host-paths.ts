// Host paths no tenant may bind, even where a platform admin allowed bind mounts: the host's root,
// the container engines' sockets and every directory above them (binding `/var` or `/run` hands
// over the socket inside), and /proc (its `<pid>/root` and `cwd` links reach any path of the host).
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

/** `/a/b/../c/`, `//a//c`, `/a/./c` -> `/a/c`; `/var/run/x` -> `/run/x` as the host resolves it. */
export function canonicalHostPath(source: string): string {
  const normal = posix.normalize(source);
  const trimmed = normal.length > 1 ? normal.replace(/\/+$/, "") : normal;
  return trimmed === "/var/run" || trimmed.startsWith("/var/run/") ? trimmed.slice(4) : trimmed;
}

const within = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);

/** Why `source` may never be bound into a tenant's container; undefined when it may be (if allowed). */
export function hostPathProblem(source: string): string | undefined {
  if (!posix.isAbsolute(source)) return `the source must be an absolute host path (got '${clip(source)}')`;
  const path = canonicalHostPath(source);
  if (path === "/") return "the host's root directory is never mounted";
  if (within(path, "/proc"))
    return `'${clip(source)}' is never mounted: /proc reaches every path of the host`;
  // Both the path as written and as resolved: `/var` holds the `/var/run` link, `/run` the socket.
  const written = posix.normalize(source).replace(/\/+$/, "");
  const socket = ENGINE_SOCKETS.find((s) => within(s.path, path) || within(s.path, written));
  if (!socket) return undefined;
  const never = `the ${socket.engine} socket is never mounted`;
  return path === canonicalHostPath(socket.path) ? never : `${never}, nor '${clip(source)}' that holds it`;
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 80)}...` : s);
