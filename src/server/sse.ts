// Server-sent events on a hijacked Fastify reply: the one place a stream is opened and an event is
// written (job progress, followed logs, the organization's change feed).
import type { FastifyReply } from "fastify";

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
  return {
    send: (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    end: () => res.end(),
  };
}
