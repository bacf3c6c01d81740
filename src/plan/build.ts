// Decisions about built images, as data: the tag a build gets and which old builds to remove.
import type { BuildOptions } from "../config/build.js";

/** The label that groups one service's builds: `<org>/<stack>/<service>`. */
export const BUILD_LABEL = "berth.build";

/** `<org>/<stack>-<service>:<UTC YYYYMMDDHHmmss>`: a local tag, one per build second. */
export function buildTag(o: { org: string; stack: string; service: string; now: Date }): string {
  const stamp = o.now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${o.org}/${o.stack}-${o.service}:${stamp}`;
}

export function buildGroup(o: { org: string; stack: string; service: string }): string {
  return `${o.org}/${o.stack}/${o.service}`;
}

export interface BuiltImage {
  id: string;
  tags: string[];
  /** Its registry references (`repo@sha256:...`) once pushed; a service may run it by one of them. */
  digests?: string[];
  /** Seconds since the epoch. */
  created: number;
}

/**
 * Which of one service's built images to remove: all but the `keep` newest, and never one that a
 * service runs (by id, by tag, or by registry digest).
 */
export function buildsToPrune(images: BuiltImage[], keep: number, inUse: Set<string>): BuiltImage[] {
  // Tags end in their build's UTC second: newest first by tag, then by the Engine's creation time.
  const stamp = (i: BuiltImage) => i.tags[0]?.slice(i.tags[0].lastIndexOf(":") + 1) ?? "";
  const newest = [...images].sort(
    (a, b) => stamp(b).localeCompare(stamp(a)) || b.created - a.created || a.id.localeCompare(b.id),
  );
  return newest
    .slice(Math.max(keep, 0))
    .filter(
      (img) =>
        !inUse.has(img.id) &&
        !img.tags.some((t) => inUse.has(t)) &&
        !(img.digests ?? []).some((d) => inUse.has(d)),
    );
}

/** Log lines about a build's options: build argument names only, never their values. */
export function describeBuild(o: BuildOptions & { tag: string }): string {
  const args = Object.keys(o.buildArgs).sort();
  return [
    `building ${o.tag} from ${o.dockerfile}`,
    o.target ? `target ${o.target}` : "",
    args.length ? `build args ${args.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}
