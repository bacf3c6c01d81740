// Berth's own image registry, spoken to over its HTTP API (distribution's /v2/): whether it answers,
// and deleting a manifest that Berth pruned. Plain HTTP, as the nodes' engines reach it.
import { withContext } from "../domain/errors.js";

export interface ImageRegistry {
  /** Waits until the registry at `address` (`host:port`) answers `GET /v2/`, or throws after `waitMs`. */
  ready(address: string, waitMs: number, signal?: AbortSignal): Promise<void>;
  /** Deletes `name@digest`; false when the registry no longer has it. Its blobs stay until a garbage collection. */
  deleteManifest(o: { address: string; name: string; digest: string }): Promise<boolean>;
}

export function createImageRegistry(): ImageRegistry {
  return {
    async ready(address, waitMs, signal) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        try {
          const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(3000) });
          await res.body?.cancel();
          if (res.ok) return;
          if (Date.now() > deadline) throw new Error(`GET /v2/ answered ${res.status}`);
        } catch (err) {
          if (Date.now() > deadline || signal?.aborted) throw withContext(`registry ${address}`, err);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    },

    async deleteManifest({ address, name, digest }) {
      const res = await fetch(`http://${address}/v2/${name}/manifests/${digest}`, {
        method: "DELETE",
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (res.status === 202) return true;
      if (res.status === 404) return false;
      throw new Error(`registry ${address}: delete ${name}@${digest} answered ${res.status}`);
    },
  };
}
