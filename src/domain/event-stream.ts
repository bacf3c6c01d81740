// A fact of Berth's server-sent event streams that both ends rely on: the API writes a comment line
// this often while a stream is open (server/sse.ts), and the CLI gives a stream up after missing a
// few of them (cli/job-events.ts).
export const HEARTBEAT_MS = 15_000;
