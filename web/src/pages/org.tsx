// The organization: quota beside usage (everyone), members (admins change them), API tokens (admins;
// a new token is shown once), suspend/resume all routes (admins) and the audit log (admins).
import { useState } from "preact/hooks";
import { type ApiError, api, type Role } from "../api";
import { Ago, asApiError, ErrorBox, Field, IfRole, lazy, useApp, useLive } from "../ui";

const RoutesSwitch = lazy(() => import("./system").then((m) => m.RoutesSwitch));

interface Usage {
  usage: Record<string, number>;
  quota: Record<string, number | null>;
}
interface Member {
  email: string;
  role: Role;
  since: string;
}
interface Token {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}
interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  sourceAddress: string | null;
}

const ROLES: Role[] = ["viewer", "deployer", "admin", "owner"];
const orgPath = (org: string) => `/orgs/${encodeURIComponent(org)}`;

export function OrgPage() {
  const { org } = useApp();
  return (
    <section>
      <div class="titlebar">
        <h1>Organization {org}</h1>
      </div>
      <QuotaView />
      <Members />
      <IfRole need="admin">
        <Tokens />
        <RoutesSwitch scope="org" />
        <Audit />
      </IfRole>
    </section>
  );
}

const GiB = 1024 ** 3;
const LABELS: [string, string, (n: number) => string][] = [
  ["cpus", "CPUs", (n) => n.toFixed(2)],
  ["memoryBytes", "Memory", (n) => `${(n / GiB).toFixed(2)} GiB`],
  ["services", "Services", String],
  ["replicas", "Replicas", String],
  ["volumeBytes", "Volumes", (n) => `${(n / GiB).toFixed(2)} GiB`],
];

function QuotaView() {
  const { org } = useApp();
  const { data, error } = useLive(
    () => api<Usage>("GET", `${orgPath(org)}/usage`),
    [org],
    (event) => event === "stack",
  );
  return (
    <div class="card">
      <h2>Quota and usage</h2>
      <ErrorBox error={error} />
      {data ? (
        <table class="grid quota">
          <tbody>
            {LABELS.map(([key, label, fmt]) => {
              const used = data.usage[key] ?? 0;
              const limit = data.quota[key] ?? null;
              return (
                <tr key={key}>
                  <th>{label}</th>
                  <td class="num">{fmt(used)}</td>
                  <td class="num">{limit === null ? "no limit" : `of ${fmt(limit)}`}</td>
                  <td>
                    {limit === null ? null : <meter min={0} max={limit} value={used} high={limit * 0.8} />}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function Members() {
  const { org } = useApp();
  const { data, error, reload } = useLive(
    () => api<{ members: Member[] }>("GET", `${orgPath(org)}/members`).then((r) => r.members),
    [org],
    () => false,
  );
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [formError, setFormError] = useState<ApiError>();
  const put = async (e: Event) => {
    e.preventDefault();
    setFormError(undefined);
    try {
      await api("PUT", `${orgPath(org)}/members`, { email, role });
      setEmail("");
      reload();
    } catch (err) {
      setFormError(asApiError(err));
    }
  };
  const remove = async (who: string) => {
    setFormError(undefined);
    try {
      await api("DELETE", `${orgPath(org)}/members/${encodeURIComponent(who)}`);
      reload();
    } catch (err) {
      setFormError(asApiError(err));
    }
  };
  return (
    <div class="card">
      <h2>Members</h2>
      <ErrorBox error={error ?? formError} />
      <table class="grid">
        <tbody>
          {(data ?? []).map((m) => (
            <tr key={m.email}>
              <td>{m.email}</td>
              <td>{m.role}</td>
              <td>
                since <Ago at={m.since} />
              </td>
              <td>
                <IfRole need="admin">
                  <button type="button" class="ghost" onClick={() => remove(m.email)}>
                    Remove
                  </button>
                </IfRole>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <IfRole need="admin">
        <form class="row" onSubmit={put}>
          <Field label="Email" error={formError?.field === "email"}>
            <input
              name="member-email"
              type="email"
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </Field>
          <Field label="Role" error={formError?.field === "role"}>
            <select name="member-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit">Add or change</button>
        </form>
      </IfRole>
    </div>
  );
}

function Tokens() {
  const { org } = useApp();
  const { data, error, reload } = useLive(
    () => api<{ tokens: Token[] }>("GET", `${orgPath(org)}/tokens`).then((r) => r.tokens),
    [org],
    () => false,
  );
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("deployer");
  const [days, setDays] = useState("90");
  const [created, setCreated] = useState<{ name: string; token: string }>();
  const [formError, setFormError] = useState<ApiError>();
  const create = async (e: Event) => {
    e.preventDefault();
    setFormError(undefined);
    try {
      const r = await api<{ token: string; name: string }>("POST", `${orgPath(org)}/tokens`, {
        name,
        role,
        ...(days ? { expiresInDays: Number(days) } : {}),
      });
      setCreated({ name: r.name, token: r.token });
      setName("");
      reload();
    } catch (err) {
      setFormError(asApiError(err));
    }
  };
  const revoke = async (id: string) => {
    try {
      await api("DELETE", `${orgPath(org)}/tokens/${id}`);
      reload();
    } catch (err) {
      setFormError(asApiError(err));
    }
  };
  return (
    <div class="card">
      <h2>API tokens</h2>
      <ErrorBox error={error ?? formError} />
      {created ? (
        <div class="once" role="status">
          <strong>Token {created.name}: copy it now, it is shown once.</strong>
          <pre class="mono secret">{created.token}</pre>
          <button type="button" class="ghost" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      ) : null}
      <table class="grid">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((t) => (
            <tr key={t.id} class={t.revokedAt ? "revoked" : ""}>
              <td>{t.name}</td>
              <td>{t.role}</td>
              <td>
                <Ago at={t.createdAt} />
              </td>
              <td>{t.expiresAt ? new Date(t.expiresAt).toLocaleDateString() : "never"}</td>
              <td>
                <Ago at={t.lastUsedAt} />
              </td>
              <td>
                {t.revokedAt ? (
                  <span class="muted">revoked</span>
                ) : (
                  <button type="button" class="ghost" onClick={() => revoke(t.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="row" onSubmit={create}>
        <Field label="Name" error={formError?.field === "name"}>
          <input name="token-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Role" error={formError?.field === "role"}>
          <select name="token-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Expires in days" error={formError?.field === "expiresInDays"}>
          <input
            name="token-days"
            type="number"
            value={days}
            onInput={(e) => setDays(e.currentTarget.value)}
          />
        </Field>
        <button type="submit">Create token</button>
      </form>
    </div>
  );
}

function Audit() {
  const { org } = useApp();
  const { data, error } = useLive(
    () => api<{ entries: AuditEntry[] }>("GET", `${orgPath(org)}/audit?limit=50`).then((r) => r.entries),
    [org],
    (event) => event === "job",
  );
  return (
    <div class="card">
      <h2>Audit log</h2>
      <ErrorBox error={error} />
      <table class="grid audit">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>What</th>
            <th>Target</th>
            <th>From</th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((a) => (
            <tr key={a.id}>
              <td>
                <Ago at={a.at} />
              </td>
              <td>{a.actor}</td>
              <td class="mono">{a.action}</td>
              <td class="mono">{a.target}</td>
              <td class="mono">{a.sourceAddress ?? "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
