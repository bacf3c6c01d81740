// The proxy's admin API, in domain terms: what config runs, and replacing it whole. Caddy's admin
// listens on a unix socket in a directory of Berth's data dir (bind-mounted into the proxy's
// container); it has no TCP listener, so nothing on any network, tenant or host, can reach it.
import http from "node:http";
import { Unavailable } from "../domain/errors.js";

export interface ProxyAdmin {
  /** The config the proxy runs (null: none), or undefined when its admin API does not answer (in time). */
  current(timeoutMs?: number): Promise<unknown>;
  /** Replaces the whole config atomically; a config the proxy refuses leaves the old one serving. */
  load(config: unknown): Promise<void>;
  /** The PEM root certificate of the proxy's own CA (the one `internal` TLS uses). */
  internalRoot(): Promise<string>;
}

/** Caddy refused a config; the message is Caddy's reason. */
export class ProxyRefused extends Error {}

const TIMEOUT_MS = 30_000;

function call(
  socketPath: string,
  method: string,
  path: string,
  o: { body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string }> {
  const { body } = o;
  const timeout = o.timeoutMs ?? TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path,
        // Caddy allows only an empty Host on a unix-socket admin API; Node would send `localhost`.
        setHost: false,
        headers: { Host: "", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        timeout,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeout / 1000} s`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function reason(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 2000);
}

export function createCaddyAdmin(socketPath: string): ProxyAdmin {
  return {
    async current(timeoutMs) {
      const res = await call(socketPath, "GET", "/config/", timeoutMs ? { timeoutMs } : {}).catch(
        () => undefined,
      );
      if (res?.status !== 200) return undefined;
      return JSON.parse(res.text || "null") as unknown;
    },
    async load(config) {
      const res = await call(socketPath, "POST", "/load", { body: JSON.stringify(config) }).catch(
        (err: Error) => {
          throw new Unavailable(`the proxy's admin API did not answer: ${err.message}`);
        },
      );
      if (res.status !== 200) throw new ProxyRefused(`the proxy refused the config: ${reason(res.text)}`);
    },
    async internalRoot() {
      const res = await call(socketPath, "GET", "/pki/ca/local").catch((err: Error) => {
        throw new Unavailable(`the proxy's admin API did not answer: ${err.message}`);
      });
      if (res.status !== 200) throw new Unavailable(`the proxy's CA: ${reason(res.text)}`);
      return (JSON.parse(res.text) as { root_certificate: string }).root_certificate;
    },
  };
}
