// Platform admins: Berth's own system stacks (the routing proxy) with their services and tasks, and
// the incident switch for every organization's routes (suspend all, resume all). The same switch for
// one organization sits on its Organization page for its admins. Loaded on first use.
import { useState } from "preact/hooks";
import { type ApiError, api, type Stack } from "../api";
import { noticeBody } from "../format";
import { asApiError, Empty, ErrorBox, Field, Icon, Status, useLive } from "../ui";
import { type Followed, JobFollow } from "./job-follow";

export function SystemPage() {
  const { data, error, reload } = useLive(
    () => api<{ stacks: Stack[] }>("GET", "/system/stacks").then((r) => r.stacks),
    [],
    // The feed carries organizations' changes only; a proxy sync job is one of them.
    (event) => event === "job",
  );
  return (
    <section>
      <div class="titlebar">
        <h1>System</h1>
        <button type="button" onClick={reload} data-action="refresh">
          <Icon name="refresh" />
          Refresh
        </button>
      </div>
      <p class="muted">
        Berth's own stacks, in the reserved berth-system namespace that no tenant can reach.
      </p>
      <ErrorBox error={error} />
      {data && data.length === 0 ? (
        <Empty>No system stacks yet: the routing proxy starts with the first route.</Empty>
      ) : null}
      {(data ?? []).map((s) => (
        <SystemStack stack={s} key={s.name} />
      ))}
      <RoutesSwitch scope="system" />
    </section>
  );
}

function SystemStack(props: { stack: Stack }) {
  const s = props.stack;
  return (
    <div class="card" data-system-stack={s.name}>
      <div class="titlebar">
        <h2>{s.name}</h2>
        <Status value={s.status} />
        <span class="muted">
          revision {s.revision}
          {s.liveRevision !== null ? `, live ${s.liveRevision}` : ""}
        </span>
      </div>
      {s.reason ? <p class="taskerror">{s.reason}</p> : null}
      <table class="grid">
        <thead>
          <tr>
            <th>Service</th>
            <th>Image</th>
            <th>Running</th>
            <th>Tasks (node, state, error)</th>
          </tr>
        </thead>
        <tbody>
          {s.services.map((svc) => (
            <tr key={svc.name} data-service={svc.name}>
              <td>
                <strong>{svc.name}</strong>
              </td>
              <td class="mono">{svc.image.replace(/@sha256:.*/, "")}</td>
              <td class={`num replicas ${svc.running < svc.replicas ? "short" : ""}`}>
                {svc.running}/{svc.replicas}
              </td>
              <td>
                <ul class="tasks">
                  {svc.tasks.map((t) => (
                    <li key={t.id} class={`task ${t.state}`}>
                      <span class="mono">{t.id.slice(0, 10)}</span>
                      <span>{t.nodeName ?? t.node?.slice(0, 12) ?? "–"}</span>
                      <span class="badge">{t.state}</span>
                      {t.error ? <span class="taskerror">{t.error}</span> : null}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Suspend or resume every route at once: of every organization (`system`, platform admins) or of the
 * chosen one (`org`, its admins). Suspended routes answer 503 with the message; nothing is deleted,
 * and resuming restores exactly what each route did before.
 */
export function RoutesSwitch(props: { scope: "system" | "org" }) {
  const base = props.scope === "system" ? "/system/routes" : "/routes";
  const [message, setMessage] = useState("");
  const [retryAfter, setRetryAfter] = useState("");
  const [error, setError] = useState<ApiError>();
  const [result, setResult] = useState<string>();
  const [followed, setFollowed] = useState<Followed>();
  const run = async (action: "suspend" | "resume") => {
    setError(undefined);
    setResult(undefined);
    try {
      const r = await api<{ changed: number; jobId: string }>(
        "POST",
        `${base}/${action}`,
        action === "suspend" ? noticeBody({ message, retryAfter }) : {},
      );
      setResult(
        `${action === "suspend" ? "Suspended" : "Resumed"} ${r.changed} route${r.changed === 1 ? "" : "s"}.`,
      );
      // Berth's own sync job (every organization's) belongs to no organization: no job page to follow.
      if (props.scope === "org") setFollowed({ id: r.jobId, label: "proxy sync" });
    } catch (e) {
      setError(asApiError(e));
    }
  };
  return (
    <div class="card routeswitch">
      <h2>{props.scope === "system" ? "Every organization's routes" : "This organization's routes"}</h2>
      <p class="muted">
        For an incident: suspended routes answer 503 with the message instead of their service. Nothing is
        deleted; resuming brings back exactly what each route did before (one in maintenance stays so).
      </p>
      <ErrorBox error={error} />
      <div class="row">
        <Field label="Message" error={error?.field === "message"}>
          <input
            name="suspend-message"
            placeholder="We are fixing an incident"
            maxLength={1000}
            value={message}
            onInput={(e) => setMessage(e.currentTarget.value)}
          />
        </Field>
        <Field label="Retry-After (s)" error={error?.field === "retryAfter"} hint="default 300">
          <input
            name="retry-after"
            inputMode="numeric"
            value={retryAfter}
            onInput={(e) => setRetryAfter(e.currentTarget.value)}
          />
        </Field>
        <div class="buttons">
          <button type="button" class="primary" data-action="suspend-all" onClick={() => run("suspend")}>
            Suspend all
          </button>
          <button type="button" data-action="resume-all" onClick={() => run("resume")}>
            Resume all
          </button>
        </div>
      </div>
      {result ? <p class="result">{result}</p> : null}
      {followed ? <JobFollow job={followed} key={followed.id} /> : null}
    </div>
  );
}
