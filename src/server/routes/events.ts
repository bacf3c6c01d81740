// The organization's live feed for the dashboard: server-sent events from the one in-process change
// feed (observer and job queue). Each event only names what changed (`stack` {name}, `job` {id}); the
// page reads it again through the ordinary API, so an event carries nothing a viewer could not read.
import type { Platform } from "../../apply/platform.js";
import type { Change, ChangeFeed } from "../../observability/changes.js";
import type { Routes } from "../registry.js";
import { openEventStream } from "../sse.js";

/**
 * A stream ends after this long and the page reconnects, so the caller's credentials and role are
 * checked again (a member removed meanwhile stops hearing of the organization's changes).
 */
const MAX_STREAM_MS = 10 * 60_000;

export function eventRoutes(r: Routes, _p: Platform, changes: ChangeFeed, closing: AbortSignal): void {
  r.add(
    {
      method: "GET",
      url: "/events",
      access: "viewer",
      summary:
        "Server-sent events for the organization: `stack` {name} when what runs in a stack changed, `job` {id} when a job progressed, logged or ended; read the object again to see what",
    },
    async ({ req, reply }) => {
      const orgId = req.org!.id;
      const res = reply.raw;
      const stream = openEventStream(reply);
      stream.send("ready", {});
      const onChange = (c: Change) => {
        if (c.orgId !== orgId) return;
        if (c.kind === "stack") stream.send("stack", { name: c.stack });
        else stream.send("job", { id: c.jobId });
      };
      const unsubscribe = changes.subscribe(onChange);
      // Until the client goes or the server closes.
      const gone = new AbortController();
      req.raw.on("close", () => gone.abort());
      res.on("error", () => gone.abort());
      const expiry = setTimeout(() => gone.abort(), MAX_STREAM_MS);
      const ended = AbortSignal.any([closing, gone.signal]);
      await new Promise<void>((done) => {
        if (ended.aborted) done();
        else ended.addEventListener("abort", () => done(), { once: true });
      });
      clearTimeout(expiry);
      unsubscribe();
      stream.end();
    },
  );
}
