// Whether an image can run: on the Engine's own node, else known to its registry. The registry is
// asked through the Engine (`/distribution/<ref>/json`) with a short timeout, so that a registry that
// cannot be reached (no network at all on some hosts) refuses a deployment in seconds, with why.
import type Docker from "dockerode";
import { withContext } from "../domain/errors.js";
import type { ObservedImage } from "../plan/observed.js";

/** How long the Engine may take to ask an image's registry about it. */
export const REGISTRY_TIMEOUT_MS = 5_000;

export async function imageAvailability(docker: Docker, ref: string): Promise<ObservedImage> {
  // References are validated (config/image-ref.ts); escape anything beyond their usual characters.
  const name = ref.replace(/[^\w./:@-]/g, encodeURIComponent);
  try {
    const image = await docker.getImage(name).inspect();
    const test = image.Config?.Healthcheck?.Test ?? [];
    return { state: "present", ...(test.length > 0 && test[0] !== "NONE" ? { healthcheck: true } : {}) };
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    // 400: a reference the Engine cannot read (e.g. a digest of the wrong length): no one can pull it.
    if (status === 400) return { state: "unavailable", reason: engineReason(err) };
    if (status !== 404) throw withContext(`inspect image ${ref}`, err);
  }
  const timeout = AbortSignal.timeout(REGISTRY_TIMEOUT_MS);
  try {
    await dial(docker, {
      path: `/distribution/${name}/json`,
      method: "GET",
      statusCodes: { 200: true, 401: "unauthorized", 403: "forbidden", 404: "not found", 500: "error" },
      abortSignal: timeout,
    });
    return { state: "pullable" };
  } catch (err) {
    const reason = timeout.aborted
      ? `its registry did not answer within ${REGISTRY_TIMEOUT_MS / 1000} s`
      : engineReason(err);
    return { state: "unavailable", reason };
  }
}

/** dockerode has no call for this endpoint that takes an abort signal: its modem's own dial does. */
function dial(docker: Docker, opts: Record<string, unknown>): Promise<unknown> {
  const modem = docker.modem as unknown as {
    dial: (o: unknown, cb: (err: unknown, data: unknown) => void) => void;
  };
  return new Promise((done, fail) => modem.dial(opts, (err, data) => (err ? fail(err) : done(data))));
}

/** The Engine's own words (relaying the registry's). */
function engineReason(err: unknown): string {
  const e = err as { json?: { message?: unknown }; message?: string };
  const said = typeof e.json?.message === "string" ? e.json.message : (e.message ?? String(err));
  return said.trim().slice(0, 300);
}
