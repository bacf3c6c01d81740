// Building an image from an uploaded context and deploying it (`berth deploy --build`), in two halves:
// - requestBuild (in the API request): check the deployment's fields and the build's options, store
//   the context under the data dir (bounded, and only when it holds the Dockerfile), queue a build job.
// - runBuild (the job): build and tag on the Engine's node with the build's output as the job's log,
//   then requestDeploy of that tag with the image id recorded on the deployment, then remove the
//   service's older builds beyond those kept. A failed build deploys nothing.
//   On a multi-node swarm (apply/registry.ts) the tag is `<registry>/<org>/<stack>-<service>:<stamp>`
//   in Berth's own registry: pushed after the build, and the deployment runs it by digest
//   (`repo@sha256:...`, recorded on the deployment), so every node runs the same image.
// A compose stack's service (`berth stack deploy --build`) is built and tagged the same way, without
// the deploy: the job's result names the tag, and the CLI deploys the stack with every service's tag.
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import type { BuildOptions } from "../config/build.js";
import { parseShortForm } from "../config/short-form.js";
import { ConfigError } from "../domain/errors.js";
import { LABEL, ownerLabels } from "../domain/labels.js";
import { nameProblem, serviceKeyProblem, stackNamespace } from "../domain/names.js";
import type { StackModel } from "../domain/stack.js";
import type { JobContext } from "../jobs/queue.js";
import { BUILD_LABEL, buildGroup, buildsToPrune, buildTag, describeBuild } from "../plan/build.js";
import type { PolicyRelaxations } from "../plan/policy.js";
import { registryTag } from "../plan/registry-stack.js";
import { admitPolicy } from "./admission.js";
import { requestDeploy } from "./deploy.js";
import type { Platform } from "./platform.js";
import { buildRegistry, dropFromRegistry, pushBuild } from "./registry.js";

export const BUILD_JOB = "build";

interface BuildPayload {
  org: string;
  /** The short-form deployment as given, without its image; absent for a stack service's build. */
  deployment?: Record<string, unknown>;
  /** A compose stack's service built for `berth stack deploy --build`: the build only, no deploy. */
  stack?: string;
  options: BuildOptions;
  tag: string;
  service: string;
  contextFile: string;
  policy: PolicyRelaxations;
}

export async function requestBuild(
  p: Platform,
  o: {
    org: string;
    orgId: string;
    policy: PolicyRelaxations;
    /** The short-form body (`name`, `port`, `env`, ...) without `image`; or `target`. */
    deployment?: unknown;
    /** A compose stack's service to build and tag, deployed later with the stack (no deploy here). */
    target?: { stack: string; service: string };
    options: BuildOptions;
    context: Readable;
    requestedBy: string;
    correlationId: string;
  },
): Promise<{ jobId: string; image: string }> {
  let job: Pick<BuildPayload, "deployment" | "stack" | "tag" | "service">;
  let target: string;
  if (o.target) {
    if (o.deployment !== undefined)
      throw new ConfigError("deployment", "give either a deployment or a stack's service, not both");
    const { stack, service } = o.target;
    const problem = nameProblem("stack", stack);
    if (problem) throw new ConfigError("stack", problem);
    const keyProblem = serviceKeyProblem(service, stackNamespace(o.org, stack));
    if (keyProblem) throw new ConfigError("service", keyProblem);
    job = { stack, service, tag: buildTag({ org: o.org, stack, service, now: new Date() }) };
    target = stack;
  } else {
    const deployment = deploymentFields(o.deployment);
    const { model, tag, service } = buildModel(o.org, deployment, new Date());
    admitPolicy(p, model, o.policy);
    job = { deployment, tag, service };
    target = model.name;
  }
  const { tag } = job;
  const jobId = randomUUID();
  const dir = join(p.builds.dir, o.org);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const contextFile = join(dir, `${jobId}.tar`);
  try {
    const limit = limitBytes(p.builds.maxContextBytes);
    await pipeline(o.context, limit, createWriteStream(contextFile));
    if (limit.over()) {
      throw new ConfigError("context", `is larger than ${p.builds.maxContextBytes / 1024 / 1024} MiB`);
    }
    const entries = await contextEntries(contextFile);
    if (!entries.has(o.options.dockerfile)) {
      throw new ConfigError("dockerfile", `the build context has no ${o.options.dockerfile}`);
    }
  } catch (err) {
    await rm(contextFile, { force: true });
    throw err;
  }
  const payload: BuildPayload = { org: o.org, ...job, options: o.options, contextFile, policy: o.policy };
  try {
    await p.jobs.enqueue({
      id: jobId,
      type: BUILD_JOB,
      orgId: o.orgId,
      target,
      payload: payload as unknown as Record<string, unknown>,
      correlationId: o.correlationId,
      requestedBy: o.requestedBy,
    });
  } catch (err) {
    await rm(contextFile, { force: true });
    throw err;
  }
  return { jobId, image: tag };
}

export async function runBuild(p: Platform, ctx: JobContext): Promise<void> {
  const b = ctx.job.payload as unknown as BuildPayload;
  const org = b.org;
  const named = b.deployment ? buildModel(org, b.deployment, new Date(), b.tag).model : undefined;
  const stack = named?.name ?? b.stack!;
  const group = buildGroup({ org, stack, service: b.service });
  let imageId: string;
  let tag = b.tag;
  let registry: string | undefined;
  try {
    registry = await buildRegistry(p, ctx);
    if (registry) tag = registryTag(registry, b.tag);
    await ctx.say(describeBuild({ ...b.options, tag }));
    ({ imageId } = await p.builder.build(
      {
        context: createReadStream(b.contextFile),
        tag,
        dockerfile: b.options.dockerfile,
        ...(b.options.target ? { target: b.options.target } : {}),
        buildArgs: b.options.buildArgs,
        labels: {
          ...ownerLabels({ org, stack, service: b.service }),
          [LABEL.instance]: p.instanceId,
          [BUILD_LABEL]: group,
        },
        signal: ctx.signal,
      },
      (line) => ctx.say(line),
    ));
  } finally {
    await rm(b.contextFile, { force: true });
  }
  await ctx.progress(70, `built ${tag} (${imageId})`);
  // Through the registry, the image is named by the digest the push reported: every node pulls that.
  const digest = registry ? await pushBuild(p, ctx, tag) : undefined;
  const image = digest ?? tag;
  await ctx.progress(80, `${image} ready`);
  if (!b.deployment) {
    // A stack's service: the CLI deploys the stack with this image once every service is built.
    await ctx.result({ image, imageId, ...(digest ? { digest } : {}) });
    await pruneBuilds(p, ctx, group);
    return;
  }
  const { model } = buildModel(org, b.deployment, new Date(), image);
  const { deployment, jobId } = await requestDeploy(p, {
    model,
    policy: b.policy,
    requestedBy: ctx.job.requestedBy,
    correlationId: ctx.job.correlationId,
    builds: [{ service: b.service, tag, imageId, jobId: ctx.job.id, ...(digest ? { digest } : {}) }],
  });
  await ctx.say(`deploying ${image} as ${model.name} revision ${deployment.revision} (job ${jobId})`);
  await ctx.result({
    image,
    imageId,
    ...(digest ? { digest } : {}),
    deploymentId: deployment.id,
    revision: deployment.revision,
    deployJobId: jobId,
  });
  await pruneBuilds(p, ctx, group);
}

/** A build job cancelled before it ran: its stored context goes. */
export async function dropBuildContext(job: { payload: Record<string, unknown> }): Promise<void> {
  const file = (job.payload as unknown as Partial<BuildPayload>).contextFile;
  if (typeof file === "string") await rm(file, { force: true });
}

/** Removes the service's built images beyond the newest kept, never one a service runs. */
async function pruneBuilds(p: Platform, ctx: JobContext, group: string): Promise<void> {
  try {
    const images = await p.builder.list([`${LABEL.instance}=${p.instanceId}`, `${BUILD_LABEL}=${group}`]);
    const inUse = new Set(
      (await p.engine.listServices([])).flatMap((s) => [s.image, s.image.split("@")[0]!]),
    );
    for (const img of buildsToPrune(images, p.builds.keep, inUse)) {
      const ref = img.tags[0] ?? img.id;
      if (!(await p.builder.remove(ref))) continue;
      await ctx.say(`removed old build ${ref}`);
      await dropFromRegistry(p, ctx, img.digests ?? []);
    }
  } catch (err) {
    // Housekeeping: the deployment is queued whatever happens here.
    await ctx.say(`old builds were not removed: ${(err as Error).message}`, "warn");
  }
}

/** The deployment's fields: a short-form body for one service, without an image. */
function deploymentFields(input: unknown): Record<string, unknown> {
  if (!input || typeof input !== "object" || Array.isArray(input)) {
    throw new ConfigError("deployment", "must be an object with the deployment's fields (name, port, ...)");
  }
  const d = input as Record<string, unknown>;
  if ("image" in d) throw new ConfigError("image", "give either an image or a build context, not both");
  if ("services" in d)
    throw new ConfigError("services", "a build deploys one service: give its fields at the top");
  return d;
}

/** The stack model that runs the built tag (a fresh tag unless one is given). */
function buildModel(
  org: string,
  deployment: Record<string, unknown>,
  now: Date,
  given?: string,
): { model: StackModel; tag: string; service: string } {
  // Names are checked (by the short form) before they make a tag.
  const named = parseShortForm({ ...deployment, image: "berth-build/placeholder:1" }, org);
  const service = named.services[0]!.name;
  const tag = given ?? buildTag({ org, stack: named.name, service, now });
  return { model: parseShortForm({ ...deployment, image: tag }, org), tag, service };
}

/**
 * Passes at most `max` bytes on; past that it drops the rest (so that the request is read to its end
 * and the caller gets its answer) and `over` says so.
 */
function limitBytes(max: number): Transform & { over: () => boolean } {
  let seen = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(null, seen > max ? undefined : chunk);
    },
  });
  return Object.assign(t, { over: () => seen > max });
}

/** The file names in a tar (gzipped or not), normalized; a 400 when it is no tar. */
async function contextEntries(file: string): Promise<Set<string>> {
  const head = await new Promise<Buffer>((done, fail) => {
    const s = createReadStream(file, { start: 0, end: 1 });
    const parts: Buffer[] = [];
    s.on("data", (c) => parts.push(c as Buffer));
    s.on("end", () => done(Buffer.concat(parts)));
    s.on("error", fail);
  });
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  const names = new Set<string>();
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    names.add(posix.normalize(header.name));
    stream.on("end", next);
    stream.resume();
  });
  try {
    const source = createReadStream(file);
    await (gzipped ? pipeline(source, createGunzip(), ex) : pipeline(source, ex));
  } catch (err) {
    throw new ConfigError("context", `is not a tar archive (gzipped or not): ${(err as Error).message}`);
  }
  return names;
}
