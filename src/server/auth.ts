// Bootstrap API authentication: one admin token, generated on first start into the data directory
// (mode 0600) and compared in constant time. Organizations' own tokens replace this later.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { FastifyReply, FastifyRequest } from "fastify";
import { dataDirPaths } from "../config/data-dir.js";
import { body } from "./http-errors.js";

export function ensureAdminToken(dataDir: string): string {
  const path = dataDirPaths(dataDir).adminToken;
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const token = `berth_${randomBytes(32).toString("base64url")}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: "wx" });
  return token;
}

export function bearerAuth(token: string) {
  const want = digest(token);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!given || !timingSafeEqual(digest(given), want)) {
      return reply
        .status(401)
        .send(body("unauthorized", "missing or invalid API token (Authorization: Bearer <token>)"));
    }
  };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
