// Shared pieces: the router, the live feed, icons, and the small components every screen uses.
// Everything user- or container-supplied is rendered as text (JSX children), never as HTML.
import type { ComponentChildren, ComponentType, JSX } from "preact";
import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Role, roleAllows, stream } from "./api";

// ---- routing: the path is the state; links push history entries ----
const listeners = new Set<() => void>();
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  for (const l of listeners) l();
}
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return path;
}
export function Link(props: { href: string; class?: string; children: ComponentChildren }) {
  const onClick = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} onClick={onClick}>
      {props.children}
    </a>
  );
}

// ---- who is signed in, in which organization, with which role ----
export interface Ctx {
  org: string;
  role: Role | undefined;
  can: (need: Role) => boolean;
  /** Subscribes to the organization's live feed (one stream per page, shared by every screen). */
  onLive: (fn: (event: string, data: { name?: string; id?: string }) => void) => () => void;
}
export const AppContext = createContext<Ctx>({
  org: "",
  role: undefined,
  can: () => false,
  onLive: () => () => {},
});
export const useApp = () => useContext(AppContext);

/** One server-sent event stream for the organization, reconnecting after a drop; fans out to screens. */
export function useLiveFeed(org: string) {
  const subs = useRef(new Set<(event: string, data: { name?: string; id?: string }) => void>());
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (!org) return;
    const abort = new AbortController();
    (async () => {
      let backoff = 500;
      while (!abort.signal.aborted) {
        try {
          await stream(
            "/events",
            (event, data) => {
              if (event === "ready") {
                setConnected(true);
                backoff = 500;
                // Whatever changed while disconnected: every screen reads again.
                for (const s of subs.current) s("resync", {});
                return;
              }
              for (const s of subs.current) s(event, data as { name?: string; id?: string });
            },
            abort.signal,
          );
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) return;
        }
        setConnected(false);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    })();
    return () => abort.abort();
  }, [org]);
  const onLive = (fn: (event: string, data: { name?: string; id?: string }) => void) => {
    subs.current.add(fn);
    return () => subs.current.delete(fn);
  };
  return { connected, onLive };
}

/**
 * Loads `load()` now, again when `deps` change, and again (coalesced) whenever `when(event, data)`
 * says a live event concerns it.
 */
export function useLive<T>(
  load: () => Promise<T>,
  deps: unknown[],
  when: (event: string, data: { name?: string; id?: string }) => boolean,
): { data: T | undefined; error: ApiError | undefined; reload: () => void } {
  const { onLive } = useApp();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const seq = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const reload = () => {
    const n = ++seq.current;
    load().then(
      (d) => {
        if (n !== seq.current) return;
        setData(d);
        setError(undefined);
      },
      (e) => {
        if (n === seq.current) setError(asApiError(e));
      },
    );
  };
  useEffect(() => {
    setData(undefined);
    reload();
    const off = onLive((event, d) => {
      if (!when(event, d) && event !== "resync") return;
      if (pending.current) return;
      // A job logs many lines while it runs: its events are coalesced longer than Swarm's.
      pending.current = setTimeout(
        () => {
          pending.current = undefined;
          reload();
        },
        event === "job" ? 250 : 80,
      );
    });
    return () => {
      off();
      if (pending.current) clearTimeout(pending.current);
      pending.current = undefined;
    };
  }, deps);
  return { data, error, reload };
}

export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(0, "network", e instanceof Error ? e.message : String(e));
}

// ---- components ----
/** An API error in place: its message, and the field it names. */
export function ErrorBox(props: { error: ApiError | undefined }) {
  const e = props.error;
  if (!e) return null;
  return (
    <div class="error" role="alert">
      <Icon name="alert" />
      <div>
        <strong>{e.message}</strong>
        <div class="muted">
          {e.code}
          {e.field ? ` · field: ${e.field}` : ""}
          {e.status ? ` · HTTP ${e.status}` : ""}
        </div>
      </div>
    </div>
  );
}

const TONE: Record<string, string> = {
  succeeded: "ok",
  running: "busy",
  pending: "busy",
  queued: "busy",
  failed: "bad",
  rolled_back: "warn",
  cancelled: "warn",
  active: "ok",
  corrupt: "bad",
  maintenance: "warn",
  suspended: "warn",
};
export function Status(props: { value: string }) {
  return <span class={`badge ${TONE[props.value] ?? ""}`}>{props.value.replace("_", " ")}</span>;
}

export function Ago(props: { at: string | null | undefined }) {
  if (!props.at) return <span class="muted">–</span>;
  const d = new Date(props.at);
  const s = Math.max(0, Math.round((Date.now() - d.getTime()) / 1000));
  const text =
    s < 60
      ? `${s}s ago`
      : s < 3600
        ? `${Math.floor(s / 60)}m ago`
        : s < 86400
          ? `${Math.floor(s / 3600)}h ago`
          : d.toLocaleDateString();
  return (
    <time dateTime={d.toISOString()} title={d.toLocaleString()}>
      {text}
    </time>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

/** Shown only when the caller's role allows `need`: a viewer never sees controls that change things. */
export function IfRole(props: { need: Role; children: ComponentChildren }) {
  const { role } = useApp();
  return roleAllows(role, props.need) ? (props.children as JSX.Element) : null;
}

/**
 * A component loaded on first use, so screens most people rarely open (domains, backups, system)
 * stay out of the first page's script.
 */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  return function Lazy(props: P) {
    const [C, setC] = useState<ComponentType<P> | undefined>(() => loaded);
    const [error, setError] = useState<ApiError>();
    useEffect(() => {
      if (C) return;
      load().then(
        (c) => {
          loaded = c;
          setC(() => c);
        },
        (e) => setError(asApiError(e)),
      );
    }, []);
    if (error) return <ErrorBox error={error} />;
    return C ? <C {...props} /> : <p class="empty">Loading…</p>;
  };
}

// Icons: bundled SVG paths (24x24, stroked), nothing loaded from elsewhere.
const PATHS: Record<string, string> = {
  stack: "M12 3 3 8l9 5 9-5-9-5ZM3 13l9 5 9-5M3 17.5l9 5 9-5",
  rocket: "M5 15c-1 1-2 4-2 6 2 0 5-1 6-2M14 4c3-1 5-1 6 0 1 1 1 3 0 6l-7 7-6-6 7-7ZM15 9h.01",
  jobs: "M4 6h16M4 12h10M4 18h7M18 15v6M15 18h6",
  org: "M16 20v-2a4 4 0 0 0-8 0v2M12 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6ZM20 20v-1.5a3 3 0 0 0-2-2.8M4 20v-1.5a3 3 0 0 1 2-2.8",
  alert: "M12 9v4M12 17h.01M10.3 3.9 2 18a2 2 0 0 0 1.7 3h16.6a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z",
  logout: "M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9",
  undo: "M3 7v6h6M3 13a9 9 0 1 0 3-7L3 9",
  refresh: "M21 12a9 9 0 1 1-3-6.7L21 8M21 3v5h-5",
  download: "M12 3v12M7 10l5 5 5-5M5 21h14",
  search: "M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16ZM21 21l-4.3-4.3",
  x: "M18 6 6 18M6 6l12 12",
  server: "M4 4h16v6H4zM4 14h16v6H4zM8 7h.01M8 17h.01",
  trash: "M3 6h18M8 6V4h8v2M6 6l1 15h10l1-15",
  live: "M12 12h.01M8.5 8.5a5 5 0 0 0 0 7M15.5 8.5a5 5 0 0 1 0 7M5.6 5.6a9 9 0 0 0 0 12.8M18.4 5.6a9 9 0 0 1 0 12.8",
};
export function Icon(props: { name: keyof typeof PATHS | string }) {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={PATHS[props.name] ?? ""} />
    </svg>
  );
}

export function Field(props: { label: string; hint?: string; error?: boolean; children: JSX.Element }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the child passed in
    <label class={`field${props.error ? " invalid" : ""}`}>
      <span>{props.label}</span>
      {props.children}
      {props.hint ? <small class="muted">{props.hint}</small> : null}
    </label>
  );
}
