// One stack: its services and tasks (live) with their containers' CPU and memory, its environment
// (a bulk editor), its logs (follow, search, download), its history with
// diffs and one-click rollback, scale/restart for deployers, and its domains and backups (their own
// modules, loaded when their tab is first opened).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  type ApiError,
  api,
  type Deployed,
  type Revision,
  type RevisionDiff,
  type Service,
  type Stack,
  stream,
} from "../api";
import { Ago, asApiError, Empty, ErrorBox, Icon, IfRole, Link, lazy, navigate, Status, useLive } from "../ui";

const DomainsPanel = lazy(() => import("./domains").then((m) => m.DomainsPanel));
const BackupsPanel = lazy(() => import("./backups").then((m) => m.BackupsPanel));
const EnvPanel = lazy(() => import("./env").then((m) => m.EnvPanel));
const UsagePanel = lazy(() => import("./usage").then((m) => m.UsagePanel));
const TABS = ["services", "environment", "logs", "history", "domains", "backups"] as const;

const TASK_TONE: Record<string, string> = {
  running: "ok",
  complete: "ok",
  failed: "bad",
  rejected: "bad",
  orphaned: "bad",
  shutdown: "",
};

const path = (name: string) => `/stacks/${encodeURIComponent(name)}`;

export function StackPage(props: { name: string }) {
  const { name } = props;
  const [tab, setTab] = useState<(typeof TABS)[number]>("services");
  const { data: stack, error } = useLive(
    () => api<{ stack: Stack }>("GET", path(name)).then((r) => r.stack),
    [name],
    (event, d) => (event === "stack" && d.name === name) || event === "job",
  );
  const [actionError, setActionError] = useState<ApiError>();
  const act = async (fn: () => Promise<{ jobId: string }>) => {
    setActionError(undefined);
    try {
      const r = await fn();
      navigate(`/jobs/${r.jobId}`);
    } catch (e) {
      setActionError(asApiError(e));
    }
  };
  const restart = () => act(() => api("POST", `${path(name)}/restart`, {}));
  return (
    <section>
      <div class="titlebar">
        <h1>
          <Link href="/stacks">Stacks</Link> / <span class="stackname">{name}</span>
        </h1>
        {stack ? <Status value={stack.status} /> : null}
        <IfRole need="deployer">
          <button type="button" onClick={restart} data-action="restart">
            <Icon name="refresh" />
            Restart
          </button>
        </IfRole>
      </div>
      {stack ? (
        <p class="muted">
          Revision {stack.revision}
          {stack.liveRevision !== null ? `, live ${stack.liveRevision}` : ", none live yet"}
          {stack.reason ? ` · ${stack.reason}` : ""}
        </p>
      ) : null}
      <ErrorBox error={error ?? actionError} />
      <div class="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            type="button"
            role="tab"
            aria-selected={tab === t}
            class={tab === t ? "active" : ""}
            onClick={() => setTab(t)}
            key={t}
          >
            {t[0]!.toUpperCase() + t.slice(1)}
          </button>
        ))}
      </div>
      {tab === "services" && stack ? <Services stack={stack} act={act} /> : null}
      {tab === "services" && stack && stack.services.length > 0 ? <UsagePanel stack={name} /> : null}
      {tab === "environment" && stack ? (
        <EnvPanel stack={name} services={stack.services.map((s) => s.name)} />
      ) : null}
      {tab === "logs" ? <Logs name={name} services={stack?.services.map((s) => s.name) ?? []} /> : null}
      {tab === "history" ? <History name={name} act={act} /> : null}
      {tab === "domains" && stack ? (
        <DomainsPanel stack={name} services={stack.services.map((s) => s.name)} />
      ) : null}
      {tab === "backups" ? <BackupsPanel stack={name} /> : null}
    </section>
  );
}

function Services(props: { stack: Stack; act: (fn: () => Promise<{ jobId: string }>) => void }) {
  const { stack } = props;
  if (stack.services.length === 0) return <Empty>No services run yet.</Empty>;
  return (
    <table class="grid services">
      <thead>
        <tr>
          <th>Service</th>
          <th>Image</th>
          <th>Running</th>
          <th>Ports</th>
          <th>Tasks (node, state, error)</th>
        </tr>
      </thead>
      <tbody>
        {stack.services.map((s) => (
          <ServiceRow stack={stack.name} service={s} act={props.act} key={s.name} />
        ))}
      </tbody>
    </table>
  );
}

function ServiceRow(props: {
  stack: string;
  service: Service;
  act: (fn: () => Promise<{ jobId: string }>) => void;
}) {
  const s = props.service;
  const [replicas, setReplicas] = useState(String(s.replicas));
  const scale = (e: Event) => {
    e.preventDefault();
    props.act(() =>
      api("POST", `${path(props.stack)}/scale`, { service: s.name, replicas: Number(replicas) }),
    );
  };
  return (
    <tr data-service={s.name}>
      <td>
        <strong>{s.name}</strong>
        <IfRole need="deployer">
          <form class="inline" onSubmit={scale}>
            <input
              type="number"
              name="replicas"
              min={0}
              max={100}
              value={replicas}
              aria-label={`replicas of ${s.name}`}
              onInput={(e) => setReplicas(e.currentTarget.value)}
            />
            <button type="submit" data-action="scale">
              Scale
            </button>
          </form>
        </IfRole>
      </td>
      <td class="mono">{s.image.replace(/@sha256:.*/, "")}</td>
      <td class={`num replicas ${s.running < s.replicas ? "short" : ""}`}>
        {s.running}/{s.replicas}
      </td>
      <td class="mono">{s.ports.join(", ") || "–"}</td>
      <td>
        <ul class="tasks">
          {s.tasks.map((t) => (
            <li key={t.id} class={`task ${t.state}`}>
              <span class="mono">{t.id.slice(0, 10)}</span>
              <span title={t.node}>{t.nodeName ?? t.node?.slice(0, 12) ?? "–"}</span>
              <span class={`badge ${TASK_TONE[t.state] ?? ""}`}>{t.state}</span>
              {t.desired !== t.state ? <span class="muted">→ {t.desired}</span> : null}
              {t.error ? <span class="taskerror">{t.error}</span> : null}
            </li>
          ))}
        </ul>
      </td>
    </tr>
  );
}

interface LogLine {
  n: number;
  service: string;
  stream: string;
  line: string;
}

const MAX_LINES = 5000;

function Logs(props: { name: string; services: string[] }) {
  const [follow, setFollow] = useState(true);
  const [service, setService] = useState("");
  const [query, setQuery] = useState("");
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<ApiError>();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const abort = new AbortController();
    let n = 0;
    let batch: LogLine[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const add = batch;
      batch = [];
      setLines((old) => [...old, ...add].slice(-MAX_LINES));
    };
    setLines([]);
    setError(undefined);
    const q = new URLSearchParams({ tail: "200", follow: String(follow) });
    if (service) q.set("service", service);
    stream(
      `${path(props.name)}/logs?${q}`,
      (event, data) => {
        if (event === "error") {
          setError(asApiError(new Error((data as { error: string }).error)));
          return;
        }
        const d = data as { service: string; stream: string; line: string };
        batch.push({ n: n++, service: d.service, stream: d.stream, line: d.line });
        timer ??= setTimeout(flush, 50);
      },
      abort.signal,
    ).catch((e) => setError(asApiError(e)));
    return () => {
      abort.abort();
      if (timer) clearTimeout(timer);
    };
  }, [props.name, follow, service]);
  const shown = useMemo(() => {
    const q = query.toLowerCase();
    return q ? lines.filter((l) => l.line.toLowerCase().includes(q)) : lines;
  }, [lines, query]);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [shown.length, follow]);
  const download = () => {
    const text = lines.map((l) => `${l.service} | ${l.line}`).join("\n");
    const url = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${props.name}-logs.txt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div>
      <div class="filters">
        <label>
          <input
            type="checkbox"
            name="follow"
            checked={follow}
            onChange={(e) => setFollow(e.currentTarget.checked)}
          />{" "}
          Follow
        </label>
        <select name="service" value={service} onChange={(e) => setService(e.currentTarget.value)}>
          <option value="">all services</option>
          {props.services.map((s) => (
            <option value={s} key={s}>
              {s}
            </option>
          ))}
        </select>
        <label class="search">
          <Icon name="search" />
          <input
            type="search"
            name="logsearch"
            placeholder="Search lines"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </label>
        <button type="button" onClick={download} data-action="download">
          <Icon name="download" />
          Download
        </button>
        <span class="muted count">
          {shown.length} lines{follow ? " · following" : ""}
        </span>
      </div>
      <ErrorBox error={error} />
      <div class="logs" ref={box}>
        {shown.map((l) => (
          <div class={`logline ${l.stream}`} key={l.n}>
            <span class="svc">{l.service}</span>
            <span class="text">{l.line}</span>
          </div>
        ))}
        {shown.length === 0 ? <div class="muted">No log lines{follow ? " yet; waiting" : ""}.</div> : null}
      </div>
    </div>
  );
}

function History(props: { name: string; act: (fn: () => Promise<Deployed>) => void }) {
  const { data, error } = useLive(
    () => api<{ live: number | null; revisions: Revision[] }>("GET", `${path(props.name)}/history`),
    [props.name],
    (event, d) => event === "job" || (event === "stack" && d.name === props.name),
  );
  const [diff, setDiff] = useState<RevisionDiff>();
  const [diffError, setDiffError] = useState<ApiError>();
  const showDiff = async (from: number, to: number) => {
    setDiffError(undefined);
    try {
      setDiff(await api<RevisionDiff>("GET", `${path(props.name)}/diff?from=${from}&to=${to}`));
    } catch (e) {
      setDiffError(asApiError(e));
    }
  };
  const rollback = (to: number) =>
    props.act(() => api<Deployed>("POST", `${path(props.name)}/rollback`, { to }));
  if (!data) return <ErrorBox error={error} />;
  const newest = data.revisions[0]?.revision;
  return (
    <div class="history">
      <ErrorBox error={error ?? diffError} />
      <table class="grid">
        <thead>
          <tr>
            <th>Revision</th>
            <th>Status</th>
            <th>Images</th>
            <th>By</th>
            <th>When</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data.revisions.map((r) => (
            <tr key={r.revision} data-revision={r.revision} class={r.live ? "liverow" : ""}>
              <td class="num">
                {r.revision}
                {r.live ? <span class="badge ok">live</span> : null}
                {r.rollbackOf !== null ? <div class="muted small">rollback to {r.rollbackOf}</div> : null}
              </td>
              <td>
                <Status value={r.status} />
                {r.reason ? <div class="muted small">{r.reason}</div> : null}
              </td>
              <td class="mono">
                {Object.entries(r.images).map(([svc, img]) => (
                  <div key={svc}>
                    {svc}: {img}
                  </div>
                ))}
              </td>
              <td>{r.requestedBy}</td>
              <td>
                <Ago at={r.createdAt} />
              </td>
              <td class="actions">
                {newest !== undefined && r.revision !== newest ? (
                  <button type="button" onClick={() => showDiff(r.revision, newest)} data-action="diff">
                    Diff to {newest}
                  </button>
                ) : null}
                <IfRole need="deployer">
                  {!r.live && r.status === "succeeded" ? (
                    <button
                      type="button"
                      class="primary"
                      onClick={() => rollback(r.revision)}
                      data-action="rollback"
                    >
                      <Icon name="undo" />
                      Roll back to {r.revision}
                    </button>
                  ) : null}
                </IfRole>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {diff ? <DiffView diff={diff} onClose={() => setDiff(undefined)} /> : null}
    </div>
  );
}

function DiffView(props: { diff: RevisionDiff; onClose: () => void }) {
  const d = props.diff;
  const keys = (label: string, list?: string[]) =>
    list?.length ? (
      <span>
        {label} {list.join(", ")}{" "}
      </span>
    ) : null;
  return (
    <div class="card diff">
      <div class="titlebar">
        <h2>
          Revision {d.from} → {d.to}
        </h2>
        <button type="button" class="ghost" onClick={props.onClose} aria-label="close">
          <Icon name="x" />
        </button>
      </div>
      {d.services.length === 0 && d.objects.length === 0 ? <Empty>No differences.</Empty> : null}
      <ul>
        {d.services.map((s) => (
          <li key={s.service}>
            <strong>
              {s.change === "added" ? "+" : s.change === "removed" ? "−" : "~"} {s.service}
            </strong>
            <ul>
              {s.fields.map((f) => (
                <li key={f.field} class="mono">
                  {f.field}:{" "}
                  {f.from !== undefined || f.to !== undefined ? `${f.from ?? "∅"} → ${f.to ?? "∅"} ` : ""}
                  {keys("added", f.added)}
                  {keys("removed", f.removed)}
                  {keys("changed", f.changed)}
                </li>
              ))}
            </ul>
          </li>
        ))}
        {d.objects.map((f) => (
          <li key={f.field} class="mono">
            {f.field}: {keys("added", f.added)}
            {keys("removed", f.removed)}
            {keys("changed", f.changed)}
          </li>
        ))}
      </ul>
    </div>
  );
}
