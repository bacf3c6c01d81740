// `berth deploy --build <dir>`: pack the directory (honouring .dockerignore), upload it to
// `POST /builds`, follow the build job (its log is the build's output), then the deployment it queued.
import type { z } from "zod";
import { type BuildOptions, parseBuildOptions } from "../../config/build.js";
import { ConfigError } from "../../domain/errors.js";
import type * as R from "../../server/responses.js";
import { contextFiles, packContext } from "../build-context.js";
import { type ApiClient, CliError } from "../client.js";
import { EXIT } from "../exit-codes.js";
import { printJson } from "../output.js";
import { type DeploymentView, type DeployOptions, reportDeployment } from "./apps.js";
import { waitForJob } from "./jobs.js";

/** Stands in for the image while the CLI checks the other fields (the API decides the real tag). */
export const BUILD_PLACEHOLDER = "berth-build/placeholder:1";

export type Source = { kind: "image"; image: string } | { kind: "build"; dir: string; options: BuildOptions };

/** --image or --build (with its options), exactly one. */
export function sourceOf(o: DeployOptions): Source {
  if (o.image !== undefined && o.build !== undefined) {
    throw new ConfigError("--build", "give either --image or --build, not both");
  }
  if (o.build === undefined) {
    if (o.image === undefined)
      throw new ConfigError("--image", "give an image (--image) or a directory to build (--build)");
    if (o.buildArg.length || o.target !== undefined || o.dockerfile !== "Dockerfile") {
      throw new ConfigError("--build", "--dockerfile, --build-arg and --target go with --build");
    }
    return { kind: "image", image: o.image };
  }
  if (o.dryRun) throw new ConfigError("--dry-run", "cannot be combined with --build yet");
  let options: BuildOptions;
  try {
    options = parseBuildOptions({
      dockerfile: o.dockerfile,
      ...(o.target === undefined ? {} : { target: o.target }),
      buildArg: o.buildArg,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const flag = err.path.startsWith("buildArg") ? "--build-arg" : `--${err.path}`;
    throw new ConfigError(flag, err.message.slice(err.path.length + 2));
  }
  return { kind: "build", dir: o.build, options };
}

export async function deployBuild(
  client: ApiClient,
  b: { dir: string; options: BuildOptions; fields: Record<string, unknown>; opts: DeployOptions },
): Promise<void> {
  const files = await contextFiles(b.dir, b.options.dockerfile);
  const query = new URLSearchParams({
    deployment: JSON.stringify(b.fields),
    dockerfile: b.options.dockerfile,
  });
  if (b.options.target) query.set("target", b.options.target);
  for (const [k, v] of Object.entries(b.options.buildArgs)) query.append("buildArg", `${k}=${v}`);
  const human = !b.opts.json;
  if (human) console.error(`sending build context (${files.length} entries)`);
  const queued = await client.upload<z.infer<typeof R.buildQueued>>(
    `/api/v1/builds?${query}`,
    packContext(b.dir, files),
    "application/gzip",
  );
  if (!b.opts.wait) {
    if (b.opts.json) printJson(queued);
    else console.log(`building ${queued.image}: job ${queued.jobId} (berth job ${queued.jobId} --follow)`);
    return;
  }
  const job = await waitForJob(client, queued.jobId, { human, label: `build ${queued.image}` });
  if (job.status !== "succeeded") {
    throw new CliError(`build of ${queued.image} ${job.status}: ${job.error ?? ""}`, EXIT.failed);
  }
  const result = (job.result ?? {}) as { deploymentId?: string; imageId?: string; digest?: string };
  if (!result.deploymentId) throw new CliError(`build of ${queued.image} queued no deployment`, EXIT.failed);
  const { deployment } = await client.request<{ deployment: DeploymentView }>(
    "GET",
    `/api/v1/deployments/${result.deploymentId}`,
  );
  await reportDeployment(client, {
    deployment,
    domains: b.opts.domain,
    wait: true,
    ...(b.opts.json ? { json: true } : {}),
    extra: {
      build: {
        jobId: queued.jobId,
        image: queued.image,
        imageId: result.imageId,
        ...(result.digest ? { digest: result.digest } : {}),
      },
    },
  });
}
