// Deploy an image (the short form) or a pasted compose file. "Preview" shows what would change (and,
// for compose, the Swarm bodies Berth would send) before "Deploy" applies it; then the job's page
// follows it live.
import { useState } from "preact/hooks";
import { type ApiError, api, type Deployed, type ServiceDiff } from "../api";
import { asApiError, Empty, ErrorBox, Field, Icon, navigate } from "../ui";

interface Preview {
  services: ServiceDiff[];
  warnings: string[];
  rendered?: unknown;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) env[line] = "";
    else env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export function DeployPage() {
  const [mode, setMode] = useState<"image" | "compose">("image");
  const [name, setName] = useState("");
  const [image, setImage] = useState("");
  const [port, setPort] = useState("");
  const [replicas, setReplicas] = useState("1");
  const [env, setEnv] = useState("");
  const [compose, setCompose] = useState("");
  const [preview, setPreview] = useState<Preview>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const body = async (): Promise<{ path: string; diff: string; render?: string; body: unknown }> => {
    if (mode === "image") {
      return {
        path: "/deployments",
        diff: "/deployments/diff",
        // With a port, the one-image form (the port is published); without, a stack of one service.
        body: port
          ? { name, image, port: Number(port), replicas: Number(replicas), env: parseEnv(env) }
          : { name, services: [{ name, image, replicas: Number(replicas), env: parseEnv(env) }] },
      };
    }
    // Loaded here like the CLI loads it (YAML), only when needed: the parser is a separate chunk.
    const { parse } = await import("yaml");
    let doc: unknown;
    try {
      doc = parse(compose);
    } catch (e) {
      throw Object.assign(asApiError(e), { field: "compose" });
    }
    return {
      path: "/stacks/deploy",
      diff: "/stacks/diff",
      render: "/stacks/render",
      body: { name, compose: doc },
    };
  };

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const doPreview = (e: Event) => {
    e.preventDefault();
    run(async () => {
      setPreview(undefined);
      const b = await body();
      const diff = await api<Preview>("POST", b.diff, b.body);
      const rendered = b.render ? await api<unknown>("POST", b.render, b.body) : undefined;
      setPreview({ ...diff, ...(rendered ? { rendered } : {}) });
    });
  };
  const doDeploy = () =>
    run(async () => {
      const b = await body();
      const r = await api<Deployed>("POST", b.path, b.body);
      navigate(`/jobs/${r.jobId}`);
    });
  const changed = () => setPreview(undefined);
  const bad = (f: string) => error?.field === f || (error?.field?.startsWith(`${f}.`) ?? false);

  return (
    <section>
      <div class="titlebar">
        <h1>Deploy</h1>
      </div>
      <div class="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={mode === "image"}
          class={mode === "image" ? "active" : ""}
          onClick={() => {
            setMode("image");
            changed();
          }}
        >
          An image
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={mode === "compose"}
          class={mode === "compose" ? "active" : ""}
          onClick={() => {
            setMode("compose");
            changed();
          }}
        >
          A compose file
        </button>
      </div>
      <form class="card form" onSubmit={doPreview} onInput={changed}>
        <Field label="Stack name" error={bad("name")}>
          <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        {mode === "image" ? (
          <>
            <Field label="Image" hint="e.g. local/berth-demo:1" error={bad("image")}>
              <input name="image" required value={image} onInput={(e) => setImage(e.currentTarget.value)} />
            </Field>
            <div class="row">
              <Field label="Container port" hint="published on a host port; optional" error={bad("port")}>
                <input
                  name="port"
                  type="number"
                  value={port}
                  onInput={(e) => setPort(e.currentTarget.value)}
                />
              </Field>
              <Field label="Replicas" error={bad("replicas")}>
                <input
                  name="replicas"
                  type="number"
                  min={0}
                  value={replicas}
                  onInput={(e) => setReplicas(e.currentTarget.value)}
                />
              </Field>
            </div>
            <Field label="Environment" hint="KEY=value, one a line" error={bad("env")}>
              <textarea name="env" rows={3} value={env} onInput={(e) => setEnv(e.currentTarget.value)} />
            </Field>
          </>
        ) : (
          <Field
            label="Compose file (YAML)"
            hint="sent as written: files it names (env_file, secret files) and ${VAR} from a shell are the CLI's (berth stack deploy)"
            error={bad("compose") || bad("services")}
          >
            <textarea
              name="compose"
              rows={14}
              class="mono"
              spellcheck={false}
              value={compose}
              onInput={(e) => setCompose(e.currentTarget.value)}
            />
          </Field>
        )}
        <ErrorBox error={error} />
        <div class="buttons">
          <button type="submit" disabled={busy} data-action="preview">
            Preview changes
          </button>
          <button
            type="button"
            class="primary"
            disabled={busy || !preview}
            onClick={doDeploy}
            data-action="deploy"
          >
            <Icon name="rocket" />
            Deploy
          </button>
        </div>
      </form>
      {preview ? <PreviewView preview={preview} /> : null}
    </section>
  );
}

const SIGN: Record<string, string> = { create: "+", update: "~", none: "=", remove: "−" };

function PreviewView(props: { preview: Preview }) {
  const p = props.preview;
  return (
    <div class="card preview">
      <h2>What deploying changes</h2>
      {p.services.length === 0 ? <Empty>Nothing.</Empty> : null}
      <ul class="plan">
        {p.services.map((s) => (
          <li key={s.service} class={`plan-${s.action}`}>
            <span class="mono">
              {SIGN[s.action]} {s.service}
            </span>{" "}
            <span class="muted">
              {s.action}
              {s.fields?.length ? ` (${s.fields.join(", ")})` : ""}
            </span>
          </li>
        ))}
      </ul>
      {p.warnings.map((w) => (
        <p class="warning" key={w}>
          {w}
        </p>
      ))}
      {p.rendered ? (
        <details open>
          <summary>Swarm bodies Berth would send</summary>
          <pre class="rendered">{JSON.stringify(p.rendered, null, 2)}</pre>
        </details>
      ) : null}
    </div>
  );
}
