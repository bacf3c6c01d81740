// `berth stack deploy --build`: each service with `build:` (and no profiles) is built on the Engine's
// node before the stack is deployed: its context directory is packed (honouring .dockerignore) and
// sent to `POST /builds?stack=&service=` as `berth deploy --build` sends one, the build job is
// followed, and the service then names the tag it produced (its `build:` key is dropped, so the
// stack deploys what was just built). Contexts are relative to the first compose file's directory,
// as docker reads them. Build keys beyond context, dockerfile, args and target are not sent (warned).
import { resolve } from "node:path";
import type { z } from "zod";
import { parseBuildOptions } from "../../config/build.js";
import { mappingEntries } from "../../config/compose/mapping.js";
import { ConfigError } from "../../domain/errors.js";
import type * as R from "../../server/responses.js";
import { contextFiles, packContext } from "../build-context.js";
import { type ApiClient, CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { waitForJob } from "./jobs.js";

// biome-ignore lint/suspicious/noExplicitAny: a loaded compose document, read key by key
type Doc = Record<string, any>;

const SENT = new Set(["context", "dockerfile", "args", "target"]);

export interface StackBuild {
  service: string;
  dir: string;
  query: URLSearchParams;
  ignored: string[];
}

/** What to build for each service with `build:`, checked before anything is sent. */
export function stackBuilds(stack: string, compose: Doc, baseDir: string, env: Doc): StackBuild[] {
  const out: StackBuild[] = [];
  for (const [service, svc] of Object.entries((compose.services ?? {}) as Record<string, Doc | null>)) {
    if (!svc || svc.build === undefined || svc.profiles?.length) continue;
    const at = `services.${service}.build`;
    const b: Doc = typeof svc.build === "string" ? { context: svc.build } : svc.build;
    const buildArg = mappingEntries(b.args).flatMap(([k, v]) => {
      const value = v ?? env[k];
      return value === undefined ? [] : [`${k}=${value}`];
    });
    let options: ReturnType<typeof parseBuildOptions>;
    try {
      options = parseBuildOptions({
        ...(b.dockerfile === undefined ? {} : { dockerfile: String(b.dockerfile) }),
        ...(b.target === undefined ? {} : { target: String(b.target) }),
        buildArg,
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const field = err.path.startsWith("buildArg") ? err.path.replace("buildArg", "args") : err.path;
      throw new ConfigError(`${at}.${field}`, err.message.slice(err.path.length + 2));
    }
    const query = new URLSearchParams({ stack, service, dockerfile: options.dockerfile });
    if (options.target) query.set("target", options.target);
    for (const [k, v] of Object.entries(options.buildArgs)) query.append("buildArg", `${k}=${v}`);
    out.push({
      service,
      dir: resolve(baseDir, String(b.context ?? ".")),
      query,
      ignored: Object.keys(b).filter((k) => !SENT.has(k) && !k.startsWith("x-")),
    });
  }
  return out;
}

/** Builds each service, one after another, and points it at its new tag. */
export async function buildStack(
  client: ApiClient,
  body: { name: string; compose: Doc },
  baseDir: string,
  human: boolean,
): Promise<void> {
  const builds = stackBuilds(body.name, body.compose, baseDir, process.env);
  // Every context is walked before the first is sent: a missing Dockerfile stops nothing half-built.
  const files = await Promise.all(
    builds.map((b) =>
      contextFiles(b.dir, b.query.get("dockerfile")!).catch((err) => {
        if (!(err instanceof ConfigError)) throw err;
        const field = err.path === "--dockerfile" ? "dockerfile" : "context";
        throw new ConfigError(`services.${b.service}.build.${field}`, err.message.slice(err.path.length + 2));
      }),
    ),
  );
  for (const [i, b] of builds.entries()) {
    if (b.ignored.length)
      console.error(
        `Service ${b.service}: build ${b.ignored.join(", ")} not supported by Berth's build: ignored\n`,
      );
    if (human) console.error(`sending build context of ${b.service} (${files[i]!.length} entries)`);
    const queued = await client.upload<z.infer<typeof R.buildQueued>>(
      `/api/v1/builds?${b.query}`,
      packContext(b.dir, files[i]!),
      "application/gzip",
    );
    const job = await waitForJob(client, queued.jobId, { human, label: `build ${queued.image}` });
    if (job.status !== "succeeded")
      throw new CliError(
        `build of ${b.service} (${queued.image}) ${job.status}: ${job.error ?? ""}`,
        EXIT.failed,
      );
    const svc = body.compose.services[b.service];
    const { build: _built, ...rest } = svc;
    // On a multi-node swarm the job pushed the build to Berth's registry: its digest is what runs.
    const built = (job.result as { image?: string } | undefined)?.image;
    body.compose.services[b.service] = { ...rest, image: built ?? queued.image };
  }
}
