// Berth's own registry for builds on a multi-node swarm (the `registry` system stack): a build job
// asks `buildRegistry` whether its image goes through the registry and, if so, gets the registry
// deployed and answering; `pushBuild` pushes the built tag and names it by digest; `dropFromRegistry`
// deletes pruned builds' manifests.
import { DeployFailed } from "../domain/errors.js";
import type { JobContext } from "../jobs/queue.js";
import {
  digestRef,
  parseDigestRef,
  planRegistryStack,
  registryAddress,
  registryPlacement,
  registryPolicy,
  useRegistry,
} from "../plan/registry-stack.js";
import type { Platform } from "./platform.js";
import { awaitDeployment, ensureSystemStack } from "./system.js";

/** How long a build waits for a (re)deployed registry to answer. */
const READY_WAIT_MS = 60_000;

/**
 * The registry's `host:port` when this build goes through it (more than one node, or `BERTH_REGISTRY=on`),
 * with its system stack deployed and answering; undefined on one node (the image stays where it was built).
 */
export async function buildRegistry(p: Platform, ctx: JobContext): Promise<string | undefined> {
  const nodes = await p.engine.listNodes();
  if (!useRegistry(p.registry.mode, nodes)) return undefined;
  const placement = registryPlacement({ nodeLabel: p.registry.nodeLabel, nodeId: p.cluster.nodeId });
  const where = registryAddress({
    configured: p.registry.address,
    hostPort: p.registry.hostPort,
    placement,
    nodes,
  });
  if ("problem" in where) throw new DeployFailed(`registry: ${where.problem}`);
  const deploying = await ensureSystemStack(p, {
    model: planRegistryStack({ image: p.registry.image, hostPort: p.registry.hostPort, placement }),
    policy: registryPolicy(placement),
    requestedBy: ctx.job.requestedBy,
    correlationId: ctx.job.correlationId,
  });
  if (deploying) {
    await ctx.say(`registry ${where.address}: deploying system stack revision ${deploying.revision}`);
    await awaitDeployment(p, deploying.deploymentId, ctx.signal);
  }
  await p.imageRegistry.ready(where.address, READY_WAIT_MS, ctx.signal);
  return where.address;
}

/** Pushes the built tag to the registry; the push's progress goes into the job's log. */
export async function pushBuild(p: Platform, ctx: JobContext, tag: string): Promise<string> {
  await ctx.say(`pushing ${tag}`);
  const { digest } = await p.builder.push(tag, (line) => ctx.say(line), ctx.signal);
  const ref = digestRef(tag, digest);
  await ctx.say(`pushed ${ref}`);
  return ref;
}

/**
 * Deletes pruned builds' manifests from the registry (their layers stay on disk until the registry's
 * garbage collection runs; nodes that pulled them keep their copies until their engines prune).
 */
export async function dropFromRegistry(p: Platform, ctx: JobContext, refs: string[]): Promise<void> {
  for (const ref of refs) {
    const parsed = parseDigestRef(ref);
    if (!parsed) continue;
    if (await p.imageRegistry.deleteManifest(parsed)) await ctx.say(`deleted ${ref} from the registry`);
  }
}
