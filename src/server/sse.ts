// Server-sent events on a hijacked Fastify reply: the one place a stream is opened and an event is
// written (job progress, followed logs, the organization's change feed). Every stream carries a
// comment line every HEARTBEAT_MS while open, so proxies and load balancers between client and API
// keep a quiet stream open, and a client can tell a quiet stream from a dead one.
import type { FastifyReply } from "fastify";
import { HEARTBEAT_MS } from "../domain/event-stream.js";

export interface EventStream {
  send(event: string, data: unknown): void;
  end(): void;
}

/** Takes the response over from Fastify and starts an event stream on it. */
export function openEventStream(reply: FastifyReply): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const beat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
  res.on("close", () => clearInterval(beat));
  return {
    send: (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    end: () => {
      clearInterval(beat);
      res.end();
    },
  };
}
