// Building images on the Engine's own node from a build context (a tar, gzipped or not), through the
// Engine's build API (`POST /build`): no shelling out. The build's output reaches the caller line by
// line; a failed step fails the call with the Engine's own error line.
//
// On one node the image stays on the node that built it; on several it is pushed to Berth's registry
// (`push`), whose digest every node pulls.
import type { Readable } from "node:stream";
import Docker from "dockerode";
import { DeployFailed, withContext } from "../domain/errors.js";
import type { BuiltImage } from "../plan/build.js";

export interface BuildRequest {
  context: Readable;
  tag: string;
  dockerfile: string;
  target?: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  signal?: AbortSignal;
}

export interface ImageBuilder {
  /** Builds and tags the image; `onLine` gets each line of the build's output. Returns the image id. */
  build(req: BuildRequest, onLine: (line: string) => Promise<void>): Promise<{ imageId: string }>;
  /**
   * Pushes a tag (`<registry>/<repo>:<tag>`) from the Engine's node to its registry; `onLine` gets the
   * push's progress. Returns the manifest digest the registry stored (`sha256:...`).
   */
  push(
    tag: string,
    onLine: (line: string) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<{ digest: string }>;
  /** Images carrying all of `labels` (`key=value`). */
  list(labels: string[]): Promise<BuiltImage[]>;
  /** Removes the tag (the image goes with its last tag); false when a container still uses it. */
  remove(ref: string): Promise<boolean>;
}

interface BuildEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string; Digest?: string };
}

export function createImageBuilder(docker: Docker = new Docker()): ImageBuilder {
  return {
    async build(req, onLine) {
      let stream: NodeJS.ReadableStream;
      try {
        stream = await docker.buildImage(req.context as unknown as NodeJS.ReadableStream, {
          t: req.tag,
          dockerfile: req.dockerfile,
          ...(req.target ? { target: req.target } : {}),
          buildargs: req.buildArgs,
          labels: req.labels,
          rm: true,
          forcerm: true,
          ...(req.signal ? { abortSignal: req.signal } : {}),
        });
      } catch (err) {
        throw buildRefused(err);
      }
      let imageId: string | undefined;
      let failure: string | undefined;
      let pending = Promise.resolve();
      await new Promise<void>((done, fail) =>
        docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? fail(withContext(`build ${req.tag}`, err)) : done()),
          (e: BuildEvent) => {
            if (e.aux?.ID) imageId = e.aux.ID;
            const error = e.errorDetail?.message ?? e.error;
            if (error) failure = error.trim();
            const text = error ?? e.stream ?? e.status ?? "";
            for (const line of text.split("\n")) {
              const l = line.trimEnd();
              if (l) pending = pending.then(() => onLine(l)).catch(() => {});
            }
          },
        ),
      );
      await pending;
      if (failure) throw new DeployFailed(`build failed: ${failure}`);
      // The classic builder names the image in its output only as text; the tag finds it either way.
      if (!imageId) imageId = (await docker.getImage(req.tag).inspect()).Id;
      return { imageId };
    },

    async push(tag, onLine, signal) {
      const colon = tag.lastIndexOf(":");
      let stream: NodeJS.ReadableStream;
      try {
        // No credentials: Berth's registry takes anonymous pushes (it is reachable from nodes only).
        stream = await docker.getImage(tag.slice(0, colon)).push({
          tag: tag.slice(colon + 1),
          authconfig: {},
          ...(signal ? { abortSignal: signal } : {}),
        });
      } catch (err) {
        throw withContext(`push ${tag}`, err);
      }
      let digest: string | undefined;
      let failure: string | undefined;
      let pending = Promise.resolve();
      const said = new Set<string>();
      await new Promise<void>((done, fail) =>
        docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? fail(withContext(`push ${tag}`, err)) : done()),
          (e: BuildEvent) => {
            if (e.aux?.Digest) digest = e.aux.Digest;
            const error = e.errorDetail?.message ?? e.error;
            if (error) failure = error.trim();
            // One line per layer and state ("Pushing" repeats with every chunk: said once).
            const line = error ?? [e.id, e.status].filter(Boolean).join(": ");
            if (!line || said.has(line)) return;
            said.add(line);
            pending = pending.then(() => onLine(line)).catch(() => {});
          },
        ),
      );
      await pending;
      if (failure) throw new DeployFailed(`push ${tag} failed: ${failure}`);
      if (!digest) throw new DeployFailed(`push ${tag}: the registry reported no digest`);
      return { digest };
    },

    async list(labels) {
      const images: Docker.ImageInfo[] = await docker.listImages({ filters: { label: labels } });
      // One entry per tag: a build the cache made identical to an earlier one shares its image id.
      return images.flatMap((i) =>
        (i.RepoTags ?? [])
          .filter((t) => t !== "<none>:<none>")
          .map((tag) => ({ id: i.Id, tags: [tag], digests: i.RepoDigests ?? [], created: i.Created })),
      );
    },

    async remove(ref) {
      try {
        await docker.getImage(ref).remove({ force: false });
        return true;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 409) return false;
        if (status === 404) return true;
        throw withContext(`remove image ${ref}`, err);
      }
    },
  };
}

/** The Engine refusing the build before it starts (e.g. no Dockerfile at that path): the user's to fix. */
function buildRefused(err: unknown): Error {
  const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
  const said = (e.json?.message ?? e.message ?? String(err)).trim();
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
    return new DeployFailed(`build failed: ${said}`);
  return withContext("build", err);
}
