// Berth's default health check, decided for a revision (plan/healthcheck.ts): each service left with
// the port check gets its command, unless its image, on the Engine's node, declares its own check.
import type { StackModel } from "../domain/stack.js";
import { decideHealthchecks, portCheckImages } from "../plan/healthcheck.js";
import type { ObservedImage } from "../plan/observed.js";
import type { Platform } from "./platform.js";

/**
 * The model with the health checks Berth decided, and a note for each service whose image's own
 * check runs instead. Images already in `images` are not looked at again; new ones are added to it.
 */
export async function withDecidedHealthchecks(
  p: Platform,
  model: StackModel,
  images: Map<string, ObservedImage> = new Map(),
): Promise<{ model: StackModel; notes: string[] }> {
  const missing = portCheckImages(model).filter((r) => !images.has(r));
  const found = await Promise.all(missing.map((r) => p.engine.imageAvailability(r)));
  for (const [i, r] of missing.entries()) images.set(r, found[i]!);
  return decideHealthchecks(model, images);
}
