// What runs where and what it uses: a stack's per-container CPU and memory (this Engine's node), and
// the swarm's nodes (platform admins).
import { z } from "zod";
import type { Platform } from "../../apply/platform.js";
import { clusterNodes, stackStats } from "../../apply/stats.js";
import type { Routes } from "../registry.js";
import * as R from "../responses.js";
import { nameParams } from "./stacks.js";

export function statsRoutes(r: Routes, p: Platform): void {
  r.add(
    {
      method: "GET",
      url: "/stacks/:name/stats",
      access: "viewer",
      summary:
        "CPU % and memory used/limit of each running task's container that this control plane's Engine can see (its own node); others listed with `available: false` and why",
      params: nameParams,
      response: R.stackStats,
    },
    async ({ params, req }) => ({ stack: params.name, ...(await stackStats(p, req.org!.slug, params.name)) }),
  );

  r.add(
    {
      method: "GET",
      url: "/system/nodes",
      access: "platform",
      summary:
        "The swarm's nodes: hostname, role, availability, state, labels, CPUs, memory, engine version (platform admin)",
      response: z.object({ nodes: z.array(R.node) }),
    },
    async () => ({
      nodes: (await clusterNodes(p)).map((n) => ({
        id: n.id,
        hostname: n.hostname,
        role: n.role,
        availability: n.availability,
        state: n.status,
        address: n.address ?? null,
        labels: n.labels,
        cpus: n.resources.nanoCpus / 1e9,
        memoryBytes: n.resources.memoryBytes,
        engineVersion: n.engineVersion ?? null,
        platform: `${n.platform.os}/${n.platform.arch}`,
        self: n.id === p.cluster.nodeId,
      })),
    }),
  );
}
