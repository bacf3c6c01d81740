// A stack's Domains tab: its routes (host, path, service port, TLS, state) kept live, and for
// deployers add, remove, and maintenance on and off. Each change queues a proxy sync, followed in
// place until the proxy serves it (or refuses it, with the reason). Loaded on first use.
import { useState } from "preact/hooks";
import { type ApiError, api, type Domain } from "../api";
import { type DomainForm, domainBody, noticeBody, routeNotice, routeState, routeUrl } from "../format";
import { asApiError, Empty, ErrorBox, Field, Icon, IfRole, Status, useLive } from "../ui";
import { type Followed, JobFollow } from "./job-follow";

const TLS = ["acme", "internal", "off"];

export function DomainsPanel(props: { stack: string; services: string[] }) {
  const { stack } = props;
  const { data, error, reload } = useLive(
    () =>
      api<{ domains: Domain[] }>("GET", "/domains").then((r) => r.domains.filter((d) => d.stack === stack)),
    [stack],
    (event, d) => event === "job" || (event === "stack" && d.name === stack),
  );
  const [actionError, setActionError] = useState<ApiError>();
  const [followed, setFollowed] = useState<Followed>();
  const act = async (label: string, fn: () => Promise<{ jobId: string }>) => {
    setActionError(undefined);
    try {
      const r = await fn();
      setFollowed({ id: r.jobId, label });
      reload();
      return true;
    } catch (e) {
      setActionError(asApiError(e));
      return false;
    }
  };
  return (
    <div class="domains">
      <ErrorBox error={error ?? actionError} />
      {followed ? <JobFollow job={followed} key={followed.id} onEnd={reload} /> : null}
      {data && data.length === 0 ? <Empty>No domains route to this stack yet.</Empty> : null}
      {data && data.length > 0 ? (
        <table class="grid">
          <thead>
            <tr>
              <th>Host</th>
              <th>Path</th>
              <th>Service port</th>
              <th>TLS</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <RouteRow route={d} act={act} key={`${d.host}${d.path}`} />
            ))}
          </tbody>
        </table>
      ) : null}
      <IfRole need="deployer">
        <AddDomain stack={stack} services={props.services} act={act} />
      </IfRole>
    </div>
  );
}

type Act = (label: string, fn: () => Promise<{ jobId: string }>) => Promise<boolean>;

function RouteRow(props: { route: Domain; act: Act }) {
  const d = props.route;
  const state = routeState(d);
  const notice = routeNotice(d);
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState("");
  const name = `${d.host}${d.path}`;
  const maintenance = async (e: Event) => {
    e.preventDefault();
    const ok = await props.act(`maintenance of ${name}`, () =>
      api("PUT", `/domains/${encodeURIComponent(d.host)}/maintenance`, {
        path: d.path,
        ...noticeBody({ message }),
      }),
    );
    if (ok) setEditing(false);
  };
  return (
    <tr data-host={d.host} data-path={d.path} data-state={state}>
      <td class="mono">{d.host}</td>
      <td class="mono">{d.path || "/"}</td>
      <td>
        {d.service}:{d.port}
      </td>
      <td>
        {d.tls}
        {d.httpsRedirect ? <div class="muted small">http → https</div> : null}
      </td>
      <td>
        <Status value={state} />
        {d.source === "stack" ? <div class="muted small">from the stack</div> : null}
        {notice ? <div class="muted small notice">{notice}</div> : null}
        {d.error ? <div class="taskerror">{d.error}</div> : null}
      </td>
      <td class="actions">
        <IfRole need="deployer">
          {d.maintenance ? (
            <button
              type="button"
              data-action="activate"
              onClick={() =>
                props.act(`activation of ${name}`, () => api("DELETE", routeUrl(d, "/maintenance")))
              }
            >
              End maintenance
            </button>
          ) : editing ? (
            <form class="inline" onSubmit={maintenance}>
              <input
                name="maintenance-message"
                placeholder="Message (e.g. Back at 14:00)"
                maxLength={1000}
                value={message}
                onInput={(e) => setMessage(e.currentTarget.value)}
              />
              <button type="submit" data-action="maintenance-on">
                Start
              </button>
              <button type="button" class="ghost" onClick={() => setEditing(false)} aria-label="cancel">
                <Icon name="x" />
              </button>
            </form>
          ) : (
            <button type="button" data-action="maintenance" onClick={() => setEditing(true)}>
              Maintenance
            </button>
          )}
          {d.source === "domain" ? (
            <button
              type="button"
              data-action="remove-domain"
              onClick={() => props.act(`removal of ${name}`, () => api("DELETE", routeUrl(d)))}
            >
              <Icon name="trash" />
              Remove
            </button>
          ) : null}
        </IfRole>
      </td>
    </tr>
  );
}

function AddDomain(props: { stack: string; services: string[]; act: Act }) {
  const [form, setForm] = useState<DomainForm>({
    host: "",
    service: props.services[0] ?? "",
    port: "",
    path: "",
    tls: "acme",
    httpsRedirect: false,
  });
  const [error, setError] = useState<ApiError>();
  const set = (patch: Partial<DomainForm>) => setForm((f) => ({ ...f, ...patch }));
  const service = form.service || props.services[0] || "";
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const r = await api<{ jobId: string }>(
        "POST",
        "/domains",
        domainBody(props.stack, { ...form, service }),
      );
      await props.act(`proxy sync for ${form.host.trim()}`, async () => r);
      setForm((f) => ({ ...f, host: "", path: "" }));
    } catch (err) {
      setError(asApiError(err));
    }
  };
  const bad = (field: string) => error?.field === field;
  return (
    <form class="card form adddomain" onSubmit={submit}>
      <h2>Add a domain</h2>
      <ErrorBox error={error} />
      <div class="row">
        <Field label="Host" error={bad("host")} hint="e.g. shop.example.com or *.example.com">
          <input name="host" value={form.host} onInput={(e) => set({ host: e.currentTarget.value })} />
        </Field>
        <Field label="Service" error={bad("service")}>
          <select name="service" value={service} onChange={(e) => set({ service: e.currentTarget.value })}>
            {props.services.map((s) => (
              <option value={s} key={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Port" error={bad("port")}>
          <input
            name="port"
            inputMode="numeric"
            placeholder="8080"
            value={form.port}
            onInput={(e) => set({ port: e.currentTarget.value })}
          />
        </Field>
        <Field label="Path prefix" error={bad("path")} hint="optional; not stripped">
          <input
            name="path"
            placeholder="/api"
            value={form.path}
            onInput={(e) => set({ path: e.currentTarget.value })}
          />
        </Field>
        <Field label="TLS" error={bad("tls")}>
          <select name="tls" value={form.tls} onChange={(e) => set({ tls: e.currentTarget.value })}>
            {TLS.map((t) => (
              <option value={t} key={t}>
                {t}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <label class="check">
        <input
          type="checkbox"
          name="httpsRedirect"
          checked={form.httpsRedirect}
          onChange={(e) => set({ httpsRedirect: e.currentTarget.checked })}
        />{" "}
        Redirect http to https
      </label>
      <div class="buttons">
        <button type="submit" class="primary" data-action="add-domain">
          Add domain
        </button>
      </div>
    </form>
  );
}
