import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "./client.js";
import { watchJob } from "./job-events.js";

const job = (status: string) => ({ id: "j1", type: "deploy", target: "web", status, progress: 0 });
const line = (id: number) => ({ id, at: "2026-01-01T00:00:00.000Z", level: "info", message: `line ${id}` });
const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

let server: http.Server | undefined;

/** A stand-in API: `events` answers the event stream, `poll` each GET /jobs/j1 (with its `after`). */
async function api(o: {
  events: (res: http.ServerResponse) => void;
  poll?: (after: number) => { job: unknown; logs: unknown[] };
}): Promise<{ client: ApiClient; polls: number[] }> {
  const polls: number[] = [];
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    if (url.pathname === "/api/v1/jobs/j1/events") return o.events(res);
    if (url.pathname === "/api/v1/jobs/j1" && o.poll) {
      const after = Number(url.searchParams.get("after"));
      polls.push(after);
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(o.poll(after)));
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code: "not_found", message: "no such job" } }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    client: new ApiClient({ url: `http://127.0.0.1:${port}`, token: "t", dataDir: "/nonexistent" }),
    polls,
  };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

describe("watchJob", () => {
  it("follows the event stream: each line once, in order, and the job as it ended, without polling", async () => {
    const { client, polls } = await api({
      events: (res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write([sse("log", line(1)), sse("job", job("running")), ": keep-alive\n\n"].join(""));
        setTimeout(() => res.end(sse("log", line(2)) + sse("job", job("succeeded"))), 20);
      },
    });
    const lines: number[] = [];
    const states: string[] = [];
    const ended = await watchJob(
      client,
      "j1",
      (l) => lines.push(l.id),
      (j) => states.push(j.status),
    );
    expect(ended.status).toBe("succeeded");
    expect(lines).toEqual([1, 2]);
    expect(states).toEqual(["running", "succeeded"]);
    expect(polls).toEqual([]);
  });

  it("polls from the last line it saw when the stream ends before the job does", async () => {
    let n = 0;
    const { client, polls } = await api({
      events: (res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(sse("log", line(1)) + sse("log", line(2)));
      },
      poll: (after) => {
        n++;
        return n < 2
          ? { job: job("running"), logs: [line(2), line(3)].filter((l) => l.id > after) }
          : { job: job("failed"), logs: [] };
      },
    });
    const lines: number[] = [];
    const ended = await watchJob(client, "j1", (l) => lines.push(l.id));
    expect(ended.status).toBe("failed");
    expect(lines).toEqual([1, 2, 3]);
    expect(polls).toEqual([2, 3]);
  });

  it("polls when the stream is refused", async () => {
    const { client } = await api({
      events: (res) => {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "not_found", message: "no such job" } }));
      },
      poll: () => ({ job: job("succeeded"), logs: [line(1)] }),
    });
    const lines: number[] = [];
    expect((await watchJob(client, "j1", (l) => lines.push(l.id))).status).toBe("succeeded");
    expect(lines).toEqual([1]);
  });
});
