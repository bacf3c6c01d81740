// The CLI's API client. Finds the control plane (flag, env, or the data directory of a local
// `berth up`) and turns error bodies into CliError with the matching exit code.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
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
  org?: string;
  dataDir: string;
}

/** What `berth login` stores (mode 0600): where to call, with which token, in which organization. */
export interface Credentials {
  url: string;
  token: string;
  org: string;
}

export function credentialsPath(): string {
  return process.env.BERTH_CREDENTIALS ?? join(homedir(), ".config", "berth", "credentials.json");
}

export function readCredentials(): Credentials | undefined {
  try {
    return JSON.parse(readFileSync(credentialsPath(), "utf8")) as Credentials;
  } catch {
    return undefined;
  }
}

export class ApiClient {
  readonly url: string;
  private readonly token: string | undefined;

  private readonly org: string | undefined;

  /** Flags, then environment, then `berth login`'s credentials, then the local control plane's admin token. */
  constructor(opts: ClientOptions) {
    const explicitUrl = opts.url ?? process.env.BERTH_URL;
    const explicitToken = opts.token ?? process.env.BERTH_TOKEN;
    const saved = explicitUrl || explicitToken ? undefined : readCredentials();
    this.url = (explicitUrl ?? saved?.url ?? localServerUrl(opts.dataDir)).replace(/\/$/, "");
    this.token = explicitToken ?? saved?.token ?? readToken(opts.dataDir);
    this.org = opts.org ?? process.env.BERTH_ORG ?? saved?.org;
  }

  /** The same client acting in another organization (e.g. to follow a job queued there). */
  inOrg(org: string): ApiClient {
    return Object.assign(Object.create(ApiClient.prototype) as ApiClient, { ...this, org });
  }

  private headers(json: boolean): Record<string, string> {
    return {
      ...(json ? { "content-type": "application/json" } : {}),
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...(this.org ? { "x-berth-org": this.org } : {}),
    };
  }

  /** A GET whose body streams (logs); errors become CliError like request's. */
  async stream(path: string, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        headers: this.headers(false),
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

  /** A POST whose body is a stream (a build context); answers like request. */
  async upload<T>(path: string, body: AsyncIterable<Uint8Array>, contentType: string): Promise<T> {
    return this.send<T>(path, {
      method: "POST",
      headers: { ...this.headers(false), "content-type": contentType },
      body: body as unknown as RequestInit["body"],
      duplex: "half",
    } as RequestInit);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.send<T>(path, {
      method,
      headers: this.headers(body !== undefined),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(120_000),
    });
  }

  private async send<T>(path: string, init: RequestInit): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, init);
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
