// The dashboard's only way to the server: the public API under /api/v1, with the session cookie (sent
// by the browser, HttpOnly), the session's CSRF token on every change, and the organization in the
// X-Berth-Org header. Server-sent events are read with fetch so that they carry the same headers.

export type Role = "owner" | "admin" | "deployer" | "viewer";
const RANK: Record<Role, number> = { viewer: 0, deployer: 1, admin: 2, owner: 3 };
export const roleAllows = (have: Role | undefined, need: Role) =>
  have !== undefined && RANK[have] >= RANK[need];

/** An API refusal, with the field it names when it names one (`details.path`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrf = "";
let org = "";
let onUnauthorized: () => void = () => {};

export const session = {
  setCsrf(token: string | undefined) {
    csrf = token ?? "";
  },
  setOrg(slug: string) {
    org = slug;
  },
  get org() {
    return org;
  },
  onUnauthorized(fn: () => void) {
    onUnauthorized = fn;
  },
};

function headers(body: boolean): Record<string, string> {
  return {
    accept: "application/json",
    ...(body ? { "content-type": "application/json" } : {}),
    ...(org ? { "x-berth-org": org } : {}),
    ...(csrf ? { "x-berth-csrf": csrf } : {}),
  };
}

async function refusal(res: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; details?: { path?: unknown } } } = {};
  try {
    body = await res.json();
  } catch {
    // not JSON
  }
  const e = body.error ?? {};
  const path = e.details?.path;
  return new ApiError(
    res.status,
    e.code ?? "http_error",
    e.message ?? `HTTP ${res.status}`,
    typeof path === "string" && path ? path : undefined,
  );
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: headers(body !== undefined),
    credentials: "same-origin",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) {
    const err = await refusal(res);
    if (res.status === 401 && path !== "/auth/login") onUnauthorized();
    throw err;
  }
  return (await res.json()) as T;
}

/**
 * Reads a server-sent event stream until it ends or `signal` aborts; `onEvent` gets each event's
 * name and parsed data. Throws an ApiError when the server refuses the stream.
 */
export async function stream(
  path: string,
  onEvent: (event: string, data: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(`/api/v1${path}`, {
    headers: { ...headers(false), accept: "text/event-stream" },
    credentials: "same-origin",
    signal,
  });
  if (!res.ok || !res.body) throw await refusal(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (data.length === 0) continue; // a comment (keep-alive)
        try {
          onEvent(event, JSON.parse(data.join("\n")));
        } catch {
          // a malformed event is skipped
        }
      }
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
}

// Response shapes (the API's OpenAPI document, /api/v1/openapi.json, has them in full).
export interface Me {
  actor: string;
  platformAdmin: boolean;
  orgs: { slug: string; name?: string; role: Role }[];
  csrfToken?: string;
}
export interface Task {
  id: string;
  slot?: number;
  node?: string;
  nodeName?: string;
  state: string;
  desired: string;
  error?: string;
}
export interface Service {
  name: string;
  image: string;
  replicas: number;
  running: number;
  ports: number[];
  tasks: Task[];
  observedAt: string;
}
export interface Stack {
  name: string;
  revision: number;
  status: string;
  liveRevision: number | null;
  reason: string | null;
  deploymentId: string;
  updatedAt: string;
  services: Service[];
}
export interface Revision {
  id: string;
  revision: number;
  status: string;
  reason: string | null;
  requestedBy: string;
  rollbackOf: number | null;
  jobId: string | null;
  createdAt: string | null;
  finishedAt: string | null;
  images: Record<string, string>;
  live: boolean;
}
export interface FieldChange {
  field: string;
  from?: string;
  to?: string;
  added?: string[];
  removed?: string[];
  changed?: string[];
}
export interface RevisionDiff {
  from: number;
  to: number;
  services: { service: string; change: string; fields: FieldChange[] }[];
  objects: FieldChange[];
}
export interface Job {
  id: string;
  type: string;
  target: string;
  status: string;
  progress: number;
  attempts: number;
  error: string | null;
  cancelRequested: boolean;
  requestedBy: string | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}
export interface JobLog {
  id: number;
  at: string | null;
  level: string;
  message: string;
}
export interface ServiceDiff {
  service: string;
  action: "create" | "update" | "none" | "remove";
  fields?: string[];
}
export interface Deployed {
  deployment: { revision: number; stack: string };
  jobId: string;
}
/** A route: a host (and path prefix, "" for the whole host) to a service port of a stack. */
export interface Domain {
  host: string;
  path: string;
  stack: string;
  service: string;
  port: number;
  tls: string;
  httpsRedirect: boolean;
  /** pending, active, or failed (the proxy refused it; being removed). */
  status: string;
  error: string | null;
  source: "stack" | "domain";
  maintenance: { message: string; retryAfter: number } | null;
  suspension: { message: string; retryAfter: number } | null;
  createdAt: string;
}
export interface Backup {
  id: string;
  stack: string;
  kind: string;
  volume: string;
  /** running, succeeded, failed, or corrupt. */
  status: string;
  reason: string | null;
  encrypted: boolean;
  sizeBytes: number | null;
  sha256: string | null;
  location: string | null;
  jobId: string | null;
  createdAt: string | null;
  finishedAt: string | null;
}
export interface BackupSchedule {
  id: string;
  stack: string;
  cron: string;
  timezone: string;
  keepLast: number;
  createdBy: string;
  updatedAt: string;
  next: string[];
}
