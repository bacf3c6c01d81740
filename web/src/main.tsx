// The dashboard: sign in, then the organization's stacks, jobs and settings (and, for platform
// admins, organizations and their policies, nodes and Berth's system stacks), kept live by one server-sent event stream per page. Routes are
// paths (the server answers every page path with index.html).
import "@fontsource-variable/inter/wght.css";
import "./styles.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, type Me, roleAllows, session } from "./api";
import { DeployPage } from "./pages/deploy";
import { JobPage, JobsPage } from "./pages/jobs";
import { OrgPage } from "./pages/org";
import { StackPage } from "./pages/stack";
import { StacksPage } from "./pages/stacks";
import { AppContext, ErrorBox, Field, Icon, IfRole, Link, lazy, navigate, useLiveFeed, usePath } from "./ui";

const SystemPage = lazy(() => import("./pages/system").then((m) => m.SystemPage));
const OrgsAdminPage = lazy(() => import("./pages/admin").then((m) => m.OrgsAdminPage));
const NodesPage = lazy(() => import("./pages/admin").then((m) => m.NodesPage));

const ORG_KEY = "berth.org";

function SignIn(props: { onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api("POST", "/auth/login", { email, password });
      props.onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "network", String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="card" onSubmit={submit}>
        <h1>
          <img src="/favicon.svg" alt="" class="logo" /> Berth
        </h1>
        <p class="muted">Sign in to your organization's dashboard.</p>
        <ErrorBox error={error} />
        <Field label="Email" error={error?.field === "email"}>
          <input
            name="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field label="Password" error={error?.field === "password"}>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function Shell(props: { me: Me; onSignOut: () => void }) {
  const path = usePath();
  const { me } = props;
  const stored = localStorage.getItem(ORG_KEY);
  const [org, setOrg] = useState(me.orgs.find((o) => o.slug === stored)?.slug ?? me.orgs[0]?.slug ?? "");
  session.setOrg(org);
  const role = me.orgs.find((o) => o.slug === org)?.role;
  const live = useLiveFeed(org);
  const switchOrg = (slug: string) => {
    localStorage.setItem(ORG_KEY, slug);
    session.setOrg(slug);
    setOrg(slug);
    if (!["/stacks", "/jobs", "/org", "/system", "/admin/orgs", "/admin/nodes"].includes(path))
      navigate("/stacks");
  };
  const signOut = async () => {
    await api("POST", "/auth/logout").catch(() => {});
    props.onSignOut();
  };
  const ctx = {
    org,
    role,
    can: (need: Parameters<typeof roleAllows>[1]) => roleAllows(role, need),
    onLive: live.onLive,
  };
  const nav = (href: string, icon: string, label: string) => (
    <Link href={href} class={path === href || path.startsWith(`${href}/`) ? "active" : ""}>
      <Icon name={icon} />
      {label}
    </Link>
  );
  let page = <StacksPage />;
  const m = path.match(/^\/(stacks|jobs)\/([^/]+)$/);
  if (m?.[1] === "stacks") page = <StackPage name={decodeURIComponent(m[2]!)} />;
  else if (m?.[1] === "jobs") page = <JobPage id={decodeURIComponent(m[2]!)} />;
  else if (path === "/jobs") page = <JobsPage />;
  else if (path === "/deploy") page = <DeployPage />;
  else if (path === "/org") page = <OrgPage />;
  else if (path === "/system" && me.platformAdmin) page = <SystemPage />;
  else if (path === "/admin/orgs" && me.platformAdmin) page = <OrgsAdminPage />;
  else if (path === "/admin/nodes" && me.platformAdmin) page = <NodesPage />;
  const adminPage = me.platformAdmin && (path === "/system" || path.startsWith("/admin/"));
  if (!org && !adminPage) {
    page = <p class="empty">You are not a member of any organization yet; ask an admin to add you.</p>;
  }
  return (
    <AppContext.Provider value={ctx}>
      <div class="layout">
        <header class="top">
          <Link href="/stacks" class="brand">
            <img src="/favicon.svg" alt="" class="logo" />
            Berth
          </Link>
          <label class="orgswitch">
            <span class="muted">Organization</span>
            <select name="org" value={org} onChange={(e) => switchOrg(e.currentTarget.value)}>
              {me.orgs.map((o) => (
                <option value={o.slug} key={o.slug}>
                  {o.slug}
                </option>
              ))}
            </select>
          </label>
          <span class={`role ${role ?? ""}`} title="your role here">
            {role}
          </span>
          <span class={`live ${live.connected ? "on" : ""}`} title="live updates">
            <Icon name="live" />
            {live.connected ? "live" : "offline"}
          </span>
          <span class="who muted">{me.actor.replace(/^user:/, "")}</span>
          <button type="button" class="ghost" onClick={signOut}>
            <Icon name="logout" />
            Sign out
          </button>
        </header>
        <nav class="side">
          {nav("/stacks", "stack", "Stacks")}
          <IfRole need="deployer">{nav("/deploy", "rocket", "Deploy")}</IfRole>
          {nav("/jobs", "jobs", "Jobs")}
          {nav("/org", "org", "Organization")}
          {me.platformAdmin ? (
            <>
              <span class="navhead muted small">Platform</span>
              {nav("/admin/orgs", "org", "Organizations")}
              {nav("/admin/nodes", "server", "Nodes")}
              {nav("/system", "server", "System")}
            </>
          ) : null}
        </nav>
        <main class="content" key={org}>
          {page}
        </main>
      </div>
    </AppContext.Provider>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const load = () =>
    api<Me>("GET", "/me").then(
      (m) => {
        session.setCsrf(m.csrfToken);
        setMe(m);
        if (location.pathname === "/" || location.pathname === "/login") navigate("/stacks", true);
      },
      () => setMe(null),
    );
  useEffect(() => {
    session.onUnauthorized(() => setMe(null));
    load();
  }, []);
  if (me === undefined) return <p class="empty">Loading…</p>;
  if (me === null) {
    if (location.pathname !== "/login") history.replaceState(null, "", "/login");
    return <SignIn onSignedIn={load} />;
  }
  return (
    <Shell
      me={me}
      onSignOut={() => {
        session.setCsrf(undefined);
        setMe(null);
      }}
    />
  );
}

render(<App />, document.getElementById("app")!);
