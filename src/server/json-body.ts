// The API's JSON body parser: the config layer screens the text (an empty body is no body; nesting is
// bounded), then Fastify's own parser reads it (it refuses __proto__ and constructor.prototype keys).
import type { FastifyRequest } from "fastify";
import { screenJsonBody } from "../config/json-body.js";

type Done = (err: Error | null, body?: unknown) => void;
type Parser = (req: FastifyRequest, body: string, done: Done) => void;

export function jsonBodyParser(fastifyParser: Parser) {
  return (req: FastifyRequest, body: string | Buffer, done: Done): void => {
    const text = String(body);
    let screened: "empty" | "parse";
    try {
      screened = screenJsonBody(text);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (screened === "empty") done(null, undefined);
    else fastifyParser(req, text, done);
  };
}
