// What a plan needs to know of the cluster to refuse what cannot converge (plan/feasibility.ts): the
// nodes, and whether each image it must run is on the node or can be pulled.
import type { ClusterFacts } from "../plan/feasibility.js";
import type { ObservedImage } from "../plan/observed.js";
import type { Platform } from "./platform.js";

/**
 * The nodes as they are now, and each of `images` looked at once: those already in `known` (plans
 * of one attempt share it) are not asked again, new ones are added to it.
 */
export async function observeCluster(
  p: Platform,
  images: readonly string[],
  known: Map<string, ObservedImage> = new Map(),
): Promise<ClusterFacts> {
  const missing = images.filter((r) => !known.has(r));
  // At the same time: each may wait for a slow registry.
  const [nodes, found] = await Promise.all([
    p.engine.listNodes(),
    Promise.all(missing.map((r) => p.engine.imageAvailability(r))),
  ]);
  for (const [i, r] of missing.entries()) known.set(r, found[i]!);
  return { nodes, images: known };
}
