// The Swarm engine: the only code that talks to the Docker Engine API (through dockerode).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { networkInterfaces } from "node:os";
import Docker from "dockerode";
import { Unavailable, withContext } from "../domain/errors.js";
import { hostPortKey } from "../plan/host-ports.js";
import type { ObservedService, ObservedTask, TaskState } from "../plan/observed.js";
import { containerStats, listContainers } from "./container-stats.js";
import type { ClusterInfo, Engine, NamedObject } from "./engine.js";
import { imageAvailability } from "./images.js";

export interface SwarmEngineOptions {
  docker?: Docker;
  /** `on`, `off` or `auto` (detect IPVS when the Engine is local). */
  routingMesh?: string;
}

export function createSwarmEngine(opts: SwarmEngineOptions = {}): Engine {
  const docker = opts.docker ?? new Docker();
  const where = describeDockerHost();

  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw withContext(what, err);
    }
  };

  return {
    async ping() {
      try {
        await docker.ping();
      } catch (err) {
        throw new Unavailable(
          `cannot reach the Docker Engine at ${where} (${(err as Error).message}); start dockerd (scripts/docker-up.sh) or set DOCKER_HOST`,
          { cause: err },
        );
      }
    },

    async ensureCluster({ advertiseAddr }): Promise<ClusterInfo> {
      const info = await call("docker info", () => docker.info());
      let initialized = false;
      if (info.Swarm?.LocalNodeState !== "active") {
        await initSwarm(docker, advertiseAddr);
        initialized = true;
      }
      const after = initialized ? await call("docker info", () => docker.info()) : info;
      if (!after.Swarm?.ControlAvailable) {
        throw new Unavailable(
          "this Docker Engine is a swarm worker; point Berth at a manager node (DOCKER_HOST)",
        );
      }
      return { nodeId: after.Swarm.NodeID, initialized, routingMesh: detectRoutingMesh(opts.routingMesh) };
    },

    async findNetwork(name) {
      const found = await call("list networks", () => docker.listNetworks({ filters: { name: [name] } }));
      return found.find((n) => n.Name === name)?.Id;
    },

    async subnetClaims() {
      const all = await call("list networks", () => docker.listNetworks());
      return all.flatMap((n) =>
        (n.IPAM?.Config ?? []).flatMap((c) =>
          c.Subnet ? [{ networkId: n.Id, subnet: c.Subnet, created: n.Created }] : [],
        ),
      );
    },

    async ensureNetwork(spec) {
      const existing = await this.findNetwork(spec.Name);
      if (existing) return existing;
      const created = await call(`create network ${spec.Name}`, () =>
        docker.createNetwork(spec as unknown as Docker.NetworkCreateOptions),
      );
      return created.id;
    },

    async findService(name) {
      let raw: any;
      try {
        raw = await docker.getService(name).inspect();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw withContext(`inspect service ${name}`, err);
      }
      if (raw.Spec?.Name !== name) return undefined; // the Engine also matches id prefixes
      return { observed: toObservedService(raw), spec: raw.Spec };
    },

    async createService(spec) {
      const created = await call(`create service ${spec.Name}`, () => docker.createService(spec as any));
      return (created as { id?: string; ID?: string }).id ?? (created as { ID: string }).ID;
    },

    async updateService(id, version, spec) {
      await call(`update service ${spec.Name}`, () =>
        docker.getService(id).update({ version, ...spec } as any),
      );
    },

    async removeService(id) {
      try {
        await docker.getService(id).remove();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return;
        throw withContext(`remove service ${id}`, err);
      }
    },

    async listServices(labels) {
      const raw = await call(
        "list services",
        () => docker.listServices({ filters: { label: labels } }) as Promise<any[]>,
      );
      return raw.map(toObservedService);
    },

    async objectsNamed(kind, names) {
      if (names.length === 0) return [];
      const wanted = new Set(names);
      // The Engine's name filters match substrings: keep exact names only.
      const filters = { name: names };
      const raw: NamedObject[] =
        kind === "network"
          ? (await call("list networks", () => docker.listNetworks({ filters }))).map((n) => ({
              id: n.Id,
              name: n.Name,
              labels: n.Labels ?? {},
            }))
          : kind === "volume"
            ? ((await call("list volumes", () => docker.listVolumes({ filters }))).Volumes ?? []).map(
                (v) => ({ id: v.Name, name: v.Name, labels: v.Labels ?? {} }),
              )
            : await this.listFiles(kind, []).then((all) => all.filter((f) => wanted.has(f.name)));
      return raw.filter((o) => wanted.has(o.name));
    },

    async listNetworks(labels) {
      const raw = await call("list networks", () => docker.listNetworks({ filters: { label: labels } }));
      return raw.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
    },

    async removeNetwork(id) {
      await ignore404(`remove network ${id}`, () => docker.getNetwork(id).remove());
    },

    async ensureFile(kind, spec) {
      const existing = (await this.listFiles(kind, [])).find((f) => f.name === spec.Name);
      if (existing) return existing.id;
      const create = kind === "secret" ? docker.createSecret.bind(docker) : docker.createConfig.bind(docker);
      const created: any = await call(`create ${kind} ${spec.Name}`, () => create(spec as any));
      return created.id ?? created.ID;
    },

    async listFiles(kind, labels) {
      const filters = labels.length ? { filters: { label: labels } } : {};
      const raw: any[] = await call(
        `list ${kind}s`,
        (): Promise<any[]> => (kind === "secret" ? docker.listSecrets(filters) : docker.listConfigs(filters)),
      );
      return raw.map((f) => ({ id: f.ID, name: f.Spec?.Name, labels: f.Spec?.Labels ?? {} }));
    },

    async removeFile(kind, id) {
      const target = kind === "secret" ? docker.getSecret(id) : docker.getConfig(id);
      try {
        await target.remove();
        return true;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404) return true;
        if (status === 400 || status === 409 || status === 500) return false; // in use by a service
        throw withContext(`remove ${kind} ${id}`, err);
      }
    },

    async listVolumes(labels) {
      const raw = await call("list volumes", () => docker.listVolumes({ filters: { label: labels } }));
      return (raw.Volumes ?? []).map((v) => ({ id: v.Name, name: v.Name, labels: v.Labels ?? {} }));
    },

    async removeVolume(name) {
      await ignore404(`remove volume ${name}`, () => docker.getVolume(name).remove());
    },

    async volumeBytes(labels) {
      const df: any = await call("disk usage", () => docker.df());
      const want = labels.map((l) => l.split("="));
      return ((df.Volumes ?? []) as any[])
        .filter((v) => want.every(([k, val]) => v.Labels?.[k!] === val))
        .reduce((sum, v) => sum + Math.max(0, v.UsageData?.Size ?? 0), 0);
    },

    listContainers: (labels) => listContainers(docker, labels),
    containerStats: (id) => containerStats(docker, id),

    async *serviceLogs(id, o) {
      const stream: any = await call(`logs of service ${id}`, () =>
        (docker.getService(id) as any).logs({
          stdout: true,
          stderr: true,
          follow: o.follow,
          timestamps: o.timestamps ?? false,
          ...(o.since === undefined ? {} : { since: o.since }),
          ...(o.tail === undefined ? {} : { tail: o.tail }),
          ...(o.signal ? { abortSignal: o.signal } : {}),
        }),
      );
      yield* demuxLines(stream, o.signal);
    },

    async listLive(labels) {
      const raw = await call(
        "list services",
        () => docker.listServices({ filters: { label: labels } }) as Promise<any[]>,
      );
      return raw.map((r) => ({ observed: toObservedService(r), spec: r.Spec }));
    },

    async listTasks() {
      const raw = await call("list tasks", () => docker.listTasks() as Promise<any[]>);
      return raw.map(toObservedTask);
    },

    async tasksOf(serviceIds) {
      if (serviceIds.length === 0) return [];
      const wanted = new Set(serviceIds);
      // The Engine's service filter refuses an id whose service is gone (removed meanwhile, or by a
      // stack removal waiting for its tasks): then every task, filtered here.
      const raw = await call("list tasks", async () => {
        try {
          return (await docker.listTasks({ filters: { service: serviceIds } })) as any[];
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode !== 404) throw err;
          return (await docker.listTasks()) as any[];
        }
      });
      return raw.map(toObservedTask).filter((t) => wanted.has(t.serviceId));
    },

    async servicesById(ids) {
      if (ids.length === 0) return [];
      const wanted = new Set(ids);
      // The id filter matches prefixes too: keep exact ids only.
      const raw = await call(
        "list services",
        () => docker.listServices({ filters: { id: ids } }) as Promise<any[]>,
      );
      return raw.filter((r) => wanted.has(r.ID)).map(toObservedService);
    },

    async containerHealth(id) {
      let raw: any;
      try {
        raw = await docker.getContainer(id).inspect();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw withContext(`inspect container ${id}`, err);
      }
      const h = raw.State?.Health;
      if (!h?.Status) return undefined;
      const last = (h.Log ?? []).at(-1);
      const output = typeof last?.Output === "string" ? last.Output.trim().slice(0, 200) : "";
      return { status: h.Status, failingStreak: h.FailingStreak ?? 0, ...(output ? { output } : {}) };
    },

    async listNodes() {
      const raw = await call("list nodes", () => docker.listNodes() as Promise<any[]>);
      return raw.map((n) => ({
        id: n.ID,
        hostname: n.Description?.Hostname ?? "",
        role: n.Spec?.Role ?? "",
        status: n.Status?.State ?? "unknown",
        availability: n.Spec?.Availability ?? "",
        ...(n.Status?.Addr ? { address: n.Status.Addr } : {}),
        labels: n.Spec?.Labels ?? {},
        engineLabels: n.Description?.Engine?.Labels ?? {},
        ...(n.Description?.Engine?.EngineVersion
          ? { engineVersion: n.Description.Engine.EngineVersion }
          : {}),
        platform: {
          os: n.Description?.Platform?.OS ?? "",
          arch: n.Description?.Platform?.Architecture ?? "",
        },
        resources: {
          nanoCpus: n.Description?.Resources?.NanoCPUs ?? 0,
          memoryBytes: n.Description?.Resources?.MemoryBytes ?? 0,
        },
      }));
    },

    imageAvailability: (ref) => imageAvailability(docker, ref),

    async *events({ since, signal }) {
      const opts = {
        ...(since ? { since } : {}),
        filters: { type: ["service", "container", "node", "network"] },
        abortSignal: signal,
      };
      const stream = await call("follow events", () =>
        (docker.getEvents as (o: unknown) => Promise<NodeJS.ReadableStream>)(opts),
      );
      let buffer = "";
      try {
        for await (const chunk of stream) {
          buffer += chunk.toString();
          let nl = buffer.indexOf("\n");
          while (nl >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            nl = buffer.indexOf("\n");
            if (!line) continue;
            const e = JSON.parse(line);
            yield {
              type: e.Type,
              action: e.Action,
              actorId: e.Actor?.ID ?? "",
              attributes: e.Actor?.Attributes ?? {},
              timeNano: BigInt(e.timeNano ?? e.time * 1e9),
            };
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        throw withContext("follow events", err);
      }
    },

    async usedHostPorts() {
      // What services ask for and what their tasks really hold: after a dockerd restart or during an
      // update the two can differ, and a port held by a task is taken whatever the spec says.
      // Tasks first: a service created between the two reads is then seen through its spec.
      const tasks = await call(
        "list tasks",
        () => docker.listTasks({ filters: { "desired-state": ["running"] } }) as Promise<any[]>,
      );
      const services = await call("list services", () => docker.listServices());
      const used = new Set<string>();
      const add = (ports: { PublishedPort?: number; Protocol?: string }[] | undefined) => {
        for (const p of ports ?? [])
          if (p.PublishedPort) used.add(hostPortKey(p.PublishedPort, p.Protocol ?? "tcp"));
      };
      const ids = new Set<string>();
      for (const s of services as any[]) {
        ids.add(s.ID);
        add(s.Endpoint?.Ports);
        add(s.Spec?.EndpointSpec?.Ports);
      }
      // A task whose service was removed still reads as desired running for a moment, but it is on
      // its way out and frees its port within seconds: a service recreated on that port (drift
      // repair) is not refused for it; Swarm schedules the new task once the port is free.
      for (const t of tasks)
        if (t.DesiredState === "running" && ids.has(t.ServiceID)) add(t.Status?.PortStatus?.Ports);
      return used;
    },
  };
}

async function initSwarm(docker: Docker, advertiseAddr?: string): Promise<void> {
  const init = (addr?: string) =>
    docker.swarmInit({ ListenAddr: "0.0.0.0:2377", ...(addr ? { AdvertiseAddr: addr } : {}) } as any);
  try {
    await init(advertiseAddr);
  } catch (err) {
    // With several interfaces the Engine cannot choose; pick the host's primary address ourselves.
    const fallback = advertiseAddr ? undefined : primaryAddress();
    if (!fallback || !/advertise address/i.test((err as Error).message)) {
      throw withContext("initialize the swarm (set BERTH_SWARM_ADVERTISE_ADDR to choose the address)", err);
    }
    await init(fallback).catch((e) => {
      throw withContext(`initialize the swarm advertising ${fallback}`, e);
    });
  }
}

/** The first non-internal IPv4 address on an interface that Docker did not create. */
export function primaryAddress(): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (/^(docker|br-|veth|docker_gwbridge)/.test(name)) continue;
    const v4 = addrs?.find((a) => a.family === "IPv4" && !a.internal);
    if (v4) return v4.address;
  }
  return undefined;
}

function detectRoutingMesh(setting = "auto"): boolean {
  if (setting === "on") return true;
  if (setting === "off") return false;
  // Only a local Engine shares our kernel; for a remote one assume a normal host with IPVS.
  if (process.env.DOCKER_HOST && !process.env.DOCKER_HOST.startsWith("unix://")) return true;
  return existsSync("/proc/net/ip_vs") || existsSync("/sys/module/ip_vs");
}

async function ignore404(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return;
    throw withContext(what, err);
  }
}

/**
 * Splits the Engine's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) into
 * lines. A non-follow call returns the whole buffer at once; a follow call streams frames.
 */
async function* demuxLines(
  source: NodeJS.ReadableStream | Buffer,
  signal?: AbortSignal,
): AsyncIterable<{ stream: "stdout" | "stderr"; line: string }> {
  let buf = Buffer.alloc(0);
  const partial = { stdout: "", stderr: "" };
  const chunks: AsyncIterable<Buffer> = Buffer.isBuffer(source)
    ? (async function* () {
        yield source;
      })()
    : (source as AsyncIterable<Buffer>);
  try {
    for await (const chunk of chunks) {
      if (signal?.aborted) break;
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 8) {
        const size = buf.readUInt32BE(4);
        if (buf.length < 8 + size) break;
        const stream = buf[0] === 2 ? "stderr" : "stdout";
        const text = partial[stream] + buf.subarray(8, 8 + size).toString("utf8");
        buf = buf.subarray(8 + size);
        const lines = text.split("\n");
        partial[stream] = lines.pop() ?? "";
        for (const line of lines) yield { stream, line };
      }
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
  for (const stream of ["stdout", "stderr"] as const)
    if (partial[stream]) yield { stream, line: partial[stream] };
}

function describeDockerHost(): string {
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

/**
 * A digest of a task template as the Engine reports it, identical for a service's template and the
 * tasks created from it (the Engine reports `Runtime` on the service only).
 */
export function taskSpecDigest(spec: unknown): string | undefined {
  if (!spec || typeof spec !== "object") return undefined;
  const { Runtime: _, ...rest } = spec as Record<string, unknown>;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 16);
}

function toObservedService(raw: any): ObservedService {
  const spec = raw.Spec ?? {};
  const ports = (raw.Endpoint?.Ports ?? spec.EndpointSpec?.Ports ?? []) as {
    PublishedPort?: number;
    Protocol?: string;
  }[];
  const update = raw.UpdateStatus;
  return {
    id: raw.ID,
    name: spec.Name,
    version: raw.Version?.Index ?? 0,
    labels: spec.Labels ?? {},
    image: spec.TaskTemplate?.ContainerSpec?.Image ?? "",
    replicas: spec.Mode?.Replicated?.Replicas ?? 0,
    ...(spec.Mode?.Global ? { global: true } : {}),
    publishedPorts: ports.map((p) => p.PublishedPort).filter((p): p is number => typeof p === "number"),
    hostPorts: ports.flatMap((p) =>
      p.PublishedPort ? [hostPortKey(p.PublishedPort, p.Protocol ?? "tcp")] : [],
    ),
    updatedAt: raw.UpdatedAt,
    updated: raw.PreviousSpec !== undefined,
    ...(spec.TaskTemplate ? { taskSpec: taskSpecDigest(spec.TaskTemplate) } : {}),
    ...(spec.UpdateConfig?.Monitor === undefined ? {} : { monitorMs: spec.UpdateConfig.Monitor / 1e6 }),
    ...(update
      ? {
          updateStatus: {
            state: update.State,
            ...(update.StartedAt ? { startedAt: update.StartedAt } : {}),
            ...(update.Message ? { message: update.Message } : {}),
          },
        }
      : {}),
  };
}

function toObservedTask(raw: any): ObservedTask {
  return {
    id: raw.ID,
    serviceId: raw.ServiceID,
    ...(raw.Slot === undefined ? {} : { slot: raw.Slot }),
    ...(raw.NodeID ? { nodeId: raw.NodeID } : {}),
    state: raw.Status?.State as TaskState,
    desiredState: raw.DesiredState,
    message: raw.Status?.Message ?? "",
    ...(raw.Status?.Err ? { error: raw.Status.Err } : {}),
    createdAt: raw.CreatedAt,
    ...(raw.Status?.Timestamp ? { stateSince: raw.Status.Timestamp } : {}),
    ...(raw.Spec ? { spec: taskSpecDigest(raw.Spec) } : {}),
    ...(raw.Status?.ContainerStatus?.ContainerID
      ? { containerId: raw.Status.ContainerStatus.ContainerID }
      : {}),
    ...(raw.NetworksAttachments
      ? {
          addresses: Object.fromEntries(
            (raw.NetworksAttachments as any[]).map((a) => [a.Network?.ID, a.Addresses ?? []]),
          ),
        }
      : {}),
    ...(raw.Status?.ContainerStatus?.ExitCode === undefined
      ? {}
      : { exitCode: raw.Status.ContainerStatus.ExitCode }),
  };
}
