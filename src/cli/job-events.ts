// Following a job until it ends: its server-sent events (GET /jobs/:id/events), which say at once
// when a log line is written and when the job ends; polling GET /jobs/:id where the stream cannot be
// had or goes quiet (a proxy between CLI and API that refuses or holds it back, a dropped connection:
// the server sends a comment line at least every 15 s), from the last line seen.
//
//   events: log, log, job(running), log, job(succeeded) -> returns the job as it ended
//   stream fails, ends early or says nothing for STREAM_IDLE_MS -> poll every 300 ms
import { EventSourceParserStream } from "eventsource-parser/stream";
import type { z } from "zod";
import { HEARTBEAT_MS } from "../domain/event-stream.js";
import type * as R from "../server/responses.js";
import { type ApiClient, CliError } from "./client.js";
import { EXIT } from "./exit-codes.js";

export type JobView = z.infer<typeof R.job>;
export type JobLogLine = z.infer<typeof R.jobLog>;

const TERMINAL_JOB = new Set(["succeeded", "failed", "cancelled"]);

const POLL_MS = 300;
/** Three of the server's heartbeats missed: the stream is given up. */
const STREAM_IDLE_MS = 3 * HEARTBEAT_MS;

/**
 * Calls `onLog` once for each log line, in order, and `onJob` with the job as it changes (status,
 * progress, the revision a queued deploy waits for); resolves with the job once it ended.
 */
export async function watchJob(
  client: ApiClient,
  id: string,
  onLog: (line: JobLogLine) => void = () => {},
  onJob: (job: JobView) => void = () => {},
): Promise<JobView> {
  let after = 0;
  const seen = (line: JobLogLine) => {
    if (line.id <= after) return;
    after = line.id;
    onLog(line);
  };
  const path = `/api/v1/jobs/${encodeURIComponent(id)}`;
  const quiet = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const heard = () => {
    clearTimeout(idle);
    idle = setTimeout(() => quiet.abort(), STREAM_IDLE_MS);
  };
  try {
    heard();
    const res = await client.stream(`${path}/events`, quiet.signal);
    const events = res
      .body!.pipeThrough(new TextDecoderStream())
      .pipeThrough(
        new TransformStream<string, string>({
          transform(text, out) {
            heard();
            out.enqueue(text);
          },
        }),
      )
      .pipeThrough(new EventSourceParserStream()) as unknown as AsyncIterable<{
      event?: string;
      data: string;
    }>;
    for await (const e of events) {
      const data = JSON.parse(e.data);
      if (e.event === "log") seen(data as JobLogLine);
      else if (e.event === "job") {
        onJob(data as JobView);
        if (TERMINAL_JOB.has((data as JobView).status)) return data as JobView;
      }
    }
  } catch (err) {
    // Berth itself is gone: polling would say the same.
    if (err instanceof CliError && err.exitCode === EXIT.unavailable && !quiet.signal.aborted) throw err;
  } finally {
    clearTimeout(idle);
  }
  for (;;) {
    const res = await client.request<{ job: JobView; logs: JobLogLine[] }>("GET", `${path}?after=${after}`);
    for (const line of res.logs) seen(line);
    onJob(res.job);
    if (TERMINAL_JOB.has(res.job.status)) return res.job;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
