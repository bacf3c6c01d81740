// The OpenAPI 3.1 document, generated from the same route declarations and zod schemas that
// validate requests, and a small docs page that lists it.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { RegisteredRoute } from "./registry.js";

const ERROR = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
    },
  },
};

const ACCESS_TEXT: Record<string, string> = {
  public: "no credentials",
  "signed-in": "any signed-in caller",
  platform: "platform admin",
};

function schemaOf(s: z.ZodType, io: "input" | "output" = "input"): object {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(s, {
      io,
      unrepresentable: "any",
    }) as Record<string, unknown>;
    return rest;
  } catch {
    return {};
  }
}

export function openApiDocument(routes: RegisteredRoute[], version: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = `/api/v1${r.url.replace(/:(\w+)/g, "{$1}")}`;
    const params: unknown[] = [];
    const pathProps =
      (r.params ? (schemaOf(r.params) as { properties?: Record<string, object> }).properties : {}) ?? {};
    for (const name of r.url.match(/:(\w+)/g)?.map((m) => m.slice(1)) ?? []) {
      params.push({ name, in: "path", required: true, schema: pathProps[name] ?? { type: "string" } });
    }
    if (r.query) {
      const q = schemaOf(r.query) as { properties?: Record<string, object>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        params.push({ name, in: "query", required: q.required?.includes(name) ?? false, schema });
      }
    }
    const role = ACCESS_TEXT[r.access] ?? `role ${r.access} or above in the organization`;
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      summary: r.summary,
      description: `Requires: ${role}.`,
      "x-berth-access": r.access,
      ...(params.length ? { parameters: params } : {}),
      ...(r.upload
        ? {
            requestBody: {
              required: true,
              content: Object.fromEntries(
                r.upload.contentTypes.map((t) => [t, { schema: { type: "string", format: "binary" } }]),
              ),
            },
          }
        : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { "application/json": { schema: schemaOf(r.body) } } } }
        : {}),
      responses: {
        [String(r.status)]: {
          description: "success",
          ...(r.response
            ? { content: { "application/json": { schema: schemaOf(r.response, "output") } } }
            : {}),
        },
        "4XX": {
          description: "refused; nothing changed",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
      ...(r.access === "public" ? { security: [] } : {}),
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Berth API",
      version,
      description:
        "Organization routes act in the organization named by `:org`, else by the `X-Berth-Org` header, else the API token's own, else `default`. A token acts only in its own organization. A change (POST, PUT, DELETE) made with the session cookie must send the session's CSRF token as `X-Berth-CSRF` (`csrfToken` from `GET /api/v1/me`); a change a browser marks as cross-site (`Sec-Fetch-Site`) is refused. Bearer tokens need neither. `GET /api/v1/events` streams the organization's changes as server-sent events.",
    },
    servers: [{ url: "/" }],
    components: {
      schemas: { Error: ERROR },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        session: { type: "apiKey", in: "cookie", name: "berth_session" },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}

// The docs page runs no script and loads nothing: its one inline stylesheet is allowed by its hash,
// everything else (scripts, frames, forms, other origins) is refused.
const DOCS_STYLE =
  "body{font:14px system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}";

export const DOCS_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(DOCS_STYLE).digest("base64")}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function docsPage(routes: RegisteredRoute[]): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows = routes
    .map(
      (r) =>
        `<tr><td><code>${r.method}</code></td><td><code>/api/v1${esc(r.url)}</code></td><td>${esc(r.access)}</td><td>${esc(r.summary)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>Berth API</title>
<style>${DOCS_STYLE}</style>
</head><body><h1>Berth API v1</h1><p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).
Errors are <code>{"error":{"code","message","details"}}</code>.</p>
<table><tr><th>method</th><th>path</th><th>access</th><th>what</th></tr>
${rows}</table></body></html>`;
}
