// Platform admins' screens: organizations (list, create; each one's workload policy, viewed and
// edited) and the swarm's nodes. The nav shows them to platform admins only and the API refuses
// everyone else (403). Loaded on first use.
import { useState } from "preact/hooks";
import { type ApiError, api } from "../api";
import { formatBytes } from "../format";
import { asApiError, Empty, ErrorBox, Field, Icon, useLive } from "../ui";

interface OrgRow {
  slug: string;
  name?: string;
}
interface Policy {
  placementLabels?: string[];
  bindMounts?: boolean;
  hostPortsAnywhere?: boolean;
  capabilities?: string[];
}
interface Node {
  id: string;
  hostname: string;
  role: string;
  availability: string;
  state: string;
  address: string | null;
  labels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  engineVersion: string | null;
  platform: string;
  self: boolean;
}

export function OrgsAdminPage() {
  const { data, error, reload } = useLive(
    () => api<{ orgs: OrgRow[] }>("GET", "/orgs").then((r) => r.orgs),
    [],
    () => false,
  );
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [owner, setOwner] = useState("");
  const [createError, setCreateError] = useState<ApiError>();
  const [created, setCreated] = useState<string>();
  const [open, setOpen] = useState<string>();
  const create = async (e: Event) => {
    e.preventDefault();
    setCreateError(undefined);
    setCreated(undefined);
    try {
      await api("POST", "/orgs", { slug, ...(name ? { name } : {}), ...(owner ? { owner } : {}) });
      setCreated(slug);
      setSlug("");
      setName("");
      setOwner("");
      reload();
    } catch (err) {
      setCreateError(asApiError(err));
    }
  };
  return (
    <section>
      <div class="titlebar">
        <h1>Organizations</h1>
      </div>
      <p class="muted">
        Every tenant organization on this installation, and the workload rules lifted for each.
      </p>
      <ErrorBox error={error} />
      <form class="card inlineform" onSubmit={create} data-form="create-org">
        <h2>New organization</h2>
        <ErrorBox error={createError} />
        <Field label="Slug" error={createError?.field === "slug"}>
          <input name="org-slug" required value={slug} onInput={(e) => setSlug(e.currentTarget.value)} />
        </Field>
        <Field label="Name" hint="optional" error={createError?.field === "name"}>
          <input name="org-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Owner" hint="an existing user's email, optional" error={createError?.field === "owner"}>
          <input
            name="org-owner"
            type="email"
            value={owner}
            onInput={(e) => setOwner(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="primary" data-action="create-org">
          Create
        </button>
        {created ? <p class="result">Created {created}.</p> : null}
      </form>
      {data && data.length === 0 ? <Empty>No organizations.</Empty> : null}
      {data ? (
        <table class="grid orgs">
          <thead>
            <tr>
              <th>Slug</th>
              <th>Name</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((o) => (
              <>
                <tr key={o.slug} data-org={o.slug}>
                  <td class="mono">{o.slug}</td>
                  <td>{o.name ?? ""}</td>
                  <td class="actions">
                    <button
                      type="button"
                      data-action="policy"
                      onClick={() => setOpen(open === o.slug ? undefined : o.slug)}
                    >
                      Policy
                    </button>
                  </td>
                </tr>
                {open === o.slug ? (
                  <tr key={`${o.slug}-policy`}>
                    <td colSpan={3}>
                      <PolicyEditor org={o.slug} />
                    </td>
                  </tr>
                ) : null}
              </>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function PolicyEditor(props: { org: string }) {
  const path = `/orgs/${encodeURIComponent(props.org)}/policy`;
  const [labels, setLabels] = useState("");
  const [bind, setBind] = useState(false);
  const [ports, setPorts] = useState(false);
  const [caps, setCaps] = useState("");
  const [saved, setSaved] = useState<string>();
  const [saveError, setSaveError] = useState<ApiError>();
  const { data, error } = useLive(
    () =>
      api<{ policy: Policy }>("GET", path).then((r) => {
        setLabels((r.policy.placementLabels ?? []).join(", "));
        setBind(r.policy.bindMounts ?? false);
        setPorts(r.policy.hostPortsAnywhere ?? false);
        setCaps((r.policy.capabilities ?? []).join(", "));
        return r.policy;
      }),
    [props.org],
    () => false,
  );
  const save = async (e: Event) => {
    e.preventDefault();
    setSaveError(undefined);
    setSaved(undefined);
    const list = (v: string) =>
      v
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean);
    try {
      await api("PUT", path, {
        placementLabels: list(labels),
        bindMounts: bind,
        hostPortsAnywhere: ports,
        capabilities: list(caps),
      });
      setSaved("Saved.");
    } catch (err) {
      setSaveError(asApiError(err));
    }
  };
  if (!data) return <ErrorBox error={error} />;
  return (
    <form class="policy" onSubmit={save} data-policy={props.org}>
      <ErrorBox error={saveError} />
      <Field
        label="Placement labels"
        hint="node label keys this organization may place on (comma-separated)"
        error={saveError?.field?.startsWith("placementLabels")}
      >
        <input name="placementLabels" value={labels} onInput={(e) => setLabels(e.currentTarget.value)} />
      </Field>
      <Field
        label="Capabilities"
        hint="capabilities its services may add with cap_add, such as NET_ADMIN (comma-separated; never ALL)"
        error={saveError?.field?.startsWith("capabilities")}
      >
        <input name="capabilities" value={caps} onInput={(e) => setCaps(e.currentTarget.value)} />
      </Field>
      <label class="check">
        <input
          type="checkbox"
          name="bindMounts"
          checked={bind}
          onChange={(e) => setBind(e.currentTarget.checked)}
        />{" "}
        Bind mounts of host paths
      </label>
      <label class="check">
        <input
          type="checkbox"
          name="hostPortsAnywhere"
          checked={ports}
          onChange={(e) => setPorts(e.currentTarget.checked)}
        />{" "}
        Host ports outside the allowed range
      </label>
      <button type="submit" class="primary" data-action="save-policy">
        Save policy
      </button>
      {saved ? <span class="result">{saved}</span> : null}
    </form>
  );
}

export function NodesPage() {
  const { data, error, reload } = useLive(
    () => api<{ nodes: Node[] }>("GET", "/system/nodes").then((r) => r.nodes),
    [],
    () => false,
  );
  return (
    <section>
      <div class="titlebar">
        <h1>Nodes</h1>
        <button type="button" onClick={reload} data-action="refresh">
          <Icon name="refresh" />
          Refresh
        </button>
      </div>
      <p class="muted">The swarm's nodes as the Engine reports them now.</p>
      <ErrorBox error={error} />
      {data ? (
        <table class="grid nodes">
          <thead>
            <tr>
              <th>Hostname</th>
              <th>Role</th>
              <th>Availability</th>
              <th>State</th>
              <th>CPUs</th>
              <th>Memory</th>
              <th>Engine</th>
              <th>Labels</th>
            </tr>
          </thead>
          <tbody>
            {data.map((n) => (
              <tr key={n.id} data-node={n.id}>
                <td>
                  <strong>{n.hostname}</strong>
                  {n.self ? <span class="badge ok">this control plane</span> : null}
                  <div class="muted small mono">
                    {n.id.slice(0, 12)} · {n.platform}
                    {n.address ? ` · ${n.address}` : ""}
                  </div>
                </td>
                <td>{n.role}</td>
                <td>{n.availability}</td>
                <td>
                  <span class={`badge ${n.state === "ready" ? "ok" : "bad"}`}>{n.state}</span>
                </td>
                <td class="num">{n.cpus}</td>
                <td class="num">{formatBytes(n.memoryBytes)}</td>
                <td class="mono">{n.engineVersion ?? "–"}</td>
                <td class="mono small">
                  {Object.entries(n.labels).map(([k, v]) => (
                    <div key={k}>
                      {k}={v}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
