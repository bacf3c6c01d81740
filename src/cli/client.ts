// The CLI's API client. Finds the control plane (flag, env, or the data directory of a local
// `berth up`) and turns error bodies into CliError with the matching exit code.
import { existsSync, readFileSync } from "node:fs";
import { dataDirPaths, type ServerInfo } from "../config/data-dir.js";
import { DEFAULT_API_PORT } from "../config/defaults.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  url?: string;
  token?: string;
  dataDir: string;
}

export class ApiClient {
  readonly url: string;
  private readonly token: string | undefined;

  constructor(opts: ClientOptions) {
    this.url = (opts.url ?? process.env.BERTH_URL ?? localServerUrl(opts.dataDir)).replace(/\/$/, "");
    this.token = opts.token ?? process.env.BERTH_TOKEN ?? readToken(opts.dataDir);
  }

  /** A GET whose body streams (logs); errors become CliError like request's. */
  async stream(path: string, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(
        `cannot reach Berth at ${this.url} (${why}); start it with 'berth up'`,
        EXIT.unavailable,
      );
    }
    if (!res.ok) {
      const e = ((await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } })
        .error;
      throw new CliError(e?.message ?? `HTTP ${res.status}`, exitCodeFor(e?.code ?? ""));
    }
    return res;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(
        `cannot reach Berth at ${this.url} (${why}); start it with 'berth up'`,
        EXIT.unavailable,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new CliError(`unexpected response from ${this.url}${path} (HTTP ${res.status})`, EXIT.failed);
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new CliError(e?.message ?? `HTTP ${res.status}`, exitCodeFor(e?.code ?? ""));
    }
    return parsed as T;
  }
}

function localServerUrl(dataDir: string): string {
  const path = dataDirPaths(dataDir).serverInfo;
  if (existsSync(path)) {
    try {
      return (JSON.parse(readFileSync(path, "utf8")) as ServerInfo).url;
    } catch {
      // fall through to the default port
    }
  }
  return `http://127.0.0.1:${process.env.BERTH_PORT ?? DEFAULT_API_PORT}`;
}

function readToken(dataDir: string): string | undefined {
  const path = dataDirPaths(dataDir).adminToken;
  try {
    return existsSync(path) ? readFileSync(path, "utf8").trim() : undefined;
  } catch {
    return undefined;
  }
}
