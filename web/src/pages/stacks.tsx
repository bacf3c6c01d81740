// The organization's stacks: status, live revision, running/desired, images, last deploy; filter
// and search; kept live by the change feed (a stack event reads the list again).
import { useMemo, useState } from "preact/hooks";
import { api, type Stack } from "../api";
import { Ago, Empty, ErrorBox, Icon, IfRole, Link, Status, useLive } from "../ui";

const STATUSES = ["all", "succeeded", "running", "pending", "failed", "rolled_back"];

export function StacksPage() {
  const { data, error } = useLive(
    () => api<{ stacks: Stack[] }>("GET", "/stacks").then((r) => r.stacks),
    [],
    (event) => event === "stack" || event === "job",
  );
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState("all");
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (data ?? []).filter(
      (s) =>
        (status === "all" || s.status === status) &&
        (!q ||
          s.name.includes(q) ||
          s.services.some((v) => v.name.includes(q) || v.image.toLowerCase().includes(q))),
    );
  }, [data, query, status]);
  return (
    <section>
      <div class="titlebar">
        <h1>Stacks</h1>
        <IfRole need="deployer">
          <Link href="/deploy" class="button primary">
            <Icon name="rocket" />
            Deploy
          </Link>
        </IfRole>
      </div>
      <div class="filters">
        <label class="search">
          <Icon name="search" />
          <input
            type="search"
            name="q"
            placeholder="Search stacks, services, images"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </label>
        <label>
          <span class="muted">Status </span>
          <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            {STATUSES.map((s) => (
              <option value={s} key={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </select>
        </label>
        <span class="muted count">{data ? `${shown.length} of ${data.length}` : ""}</span>
      </div>
      <ErrorBox error={error} />
      {data && data.length === 0 ? <Empty>No stacks yet.</Empty> : null}
      {data && data.length > 0 ? (
        <table class="grid stacks">
          <thead>
            <tr>
              <th>Stack</th>
              <th>Status</th>
              <th>Revision</th>
              <th>Running</th>
              <th>Image</th>
              <th>Last deploy</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <StackRow stack={s} key={s.name} />
            ))}
          </tbody>
        </table>
      ) : null}
      {!data && !error ? <Empty>Loading…</Empty> : null}
    </section>
  );
}

function StackRow(props: { stack: Stack }) {
  const s = props.stack;
  const running = s.services.reduce((n, v) => n + v.running, 0);
  const desired = s.services.reduce((n, v) => n + v.replicas, 0);
  const images = [...new Set(s.services.map((v) => v.image.replace(/@sha256:.*/, "")))];
  return (
    <tr data-stack={s.name}>
      <td>
        <Link href={`/stacks/${encodeURIComponent(s.name)}`}>{s.name}</Link>
        <div class="muted small">
          {s.services.length === 1 ? "1 service" : `${s.services.length} services`}
        </div>
      </td>
      <td>
        <Status value={s.status} />
      </td>
      <td class="num">
        {s.revision}
        {s.liveRevision !== null && s.liveRevision !== s.revision ? (
          <span class="muted"> ({s.liveRevision} live)</span>
        ) : null}
      </td>
      <td class={`num replicas ${running < desired ? "short" : ""}`}>
        {running}/{desired}
      </td>
      <td class="mono">{images.join(", ")}</td>
      <td>
        <Ago at={s.updatedAt} />
      </td>
    </tr>
  );
}
