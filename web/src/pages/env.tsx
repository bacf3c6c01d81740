// A stack's Environment tab: one service's variables as KEY=VALUE lines in a bulk editor, each bad
// line's error shown beside its number as it is typed, a preview of what the edit changes, then apply
// (a new revision from the live one, its deploy job followed in place). Viewers read only. Loaded
// when the tab is first opened.
import { useEffect, useMemo, useState } from "preact/hooks";
import { type ApiError, api } from "../api";
import { type Environment, envPreview, formatEnvLines, multilineKeys, parseEnvLines } from "../env";
import { asApiError, Empty, ErrorBox, Icon, useApp } from "../ui";
import { type Followed, JobFollow } from "./job-follow";

interface StackEnv {
  service: string;
  revision: number;
  live: boolean;
  environment: Environment;
}

const path = (name: string) => `/stacks/${encodeURIComponent(name)}/env`;

export function EnvPanel(props: { stack: string; services: string[] }) {
  const { can } = useApp();
  const editable = can("deployer");
  const [service, setService] = useState(props.services[0] ?? "");
  const [loaded, setLoaded] = useState<StackEnv>();
  const [text, setText] = useState("");
  const [previewing, setPreviewing] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [followed, setFollowed] = useState<Followed>();
  const load = () => {
    if (!service) return;
    setError(undefined);
    api<StackEnv>("GET", `${path(props.stack)}?service=${encodeURIComponent(service)}`).then(
      (r) => {
        setLoaded(r);
        setText(formatEnvLines(r.environment));
        setPreviewing(false);
      },
      (e) => setError(asApiError(e)),
    );
  };
  useEffect(load, [props.stack, service]);
  const parsed = useMemo(() => parseEnvLines(text), [text]);
  const changes = useMemo(() => (loaded ? envPreview(loaded.environment, parsed.env) : []), [loaded, parsed]);
  const lines = text.split(/\r?\n/);
  const badLines = new Map(parsed.errors.map((e) => [e.line, e.message]));
  const multiline = loaded ? multilineKeys(loaded.environment) : [];
  const apply = async () => {
    if (!loaded) return;
    setError(undefined);
    try {
      const r = await api<{ jobId: string; deployment: { revision: number } }>("PUT", path(props.stack), {
        service: loaded.service,
        environment: parsed.env,
        ...(loaded.live ? { base: loaded.revision } : {}),
      });
      setFollowed({ id: r.jobId, label: `revision ${r.deployment.revision} of ${props.stack}` });
      setPreviewing(false);
    } catch (e) {
      setError(asApiError(e));
    }
  };
  if (props.services.length === 0) return <Empty>No services run yet.</Empty>;
  return (
    <div class="envpanel">
      <div class="filters">
        {props.services.length > 1 ? (
          <select name="env-service" value={service} onChange={(e) => setService(e.currentTarget.value)}>
            {props.services.map((s) => (
              <option value={s} key={s}>
                {s}
              </option>
            ))}
          </select>
        ) : null}
        {loaded ? (
          <span class="muted">
            {loaded.service}: revision {loaded.revision}
            {loaded.live ? " (live)" : " (none live yet)"} · {plural(Object.keys(loaded.environment).length)}
          </span>
        ) : null}
      </div>
      <p class="muted small">
        One KEY=VALUE per line; the value is taken as written. A bare KEY is passed unset; # starts a comment.
        Values are stored and shown as they are: put secret values in a compose file's secrets, not here.
      </p>
      <ErrorBox error={error} />
      {multiline.length > 0 ? (
        <p class="taskerror">
          {multiline.join(", ")} hold line breaks, which lines cannot show: edit them with the API or a
          compose file.
        </p>
      ) : null}
      {loaded ? (
        <div class={`enveditor${parsed.errors.length ? " invalid" : ""}`}>
          <ol class="gutter" aria-hidden="true">
            {lines.map((_l, i) => {
              const bad = badLines.get(i + 1);
              return (
                <li key={i} class={bad ? "bad" : ""} title={bad}>
                  {i + 1}
                </li>
              );
            })}
          </ol>
          <textarea
            name="environment"
            aria-label={`environment of ${loaded.service}`}
            spellcheck={false}
            wrap="off"
            rows={Math.max(6, lines.length + 1)}
            readOnly={!editable || multiline.length > 0}
            value={text}
            onInput={(e) => {
              setText(e.currentTarget.value);
              setPreviewing(false);
            }}
          />
        </div>
      ) : null}
      {parsed.errors.length > 0 ? (
        <ul class="lineerrors" role="alert">
          {parsed.errors.map((e) => (
            <li key={e.line} data-line={e.line}>
              <strong>Line {e.line}:</strong> {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {editable && loaded ? (
        <div class="actions">
          <button
            type="button"
            data-action="env-preview"
            disabled={parsed.errors.length > 0}
            onClick={() => setPreviewing(true)}
          >
            Preview
          </button>
          <button type="button" class="ghost" data-action="env-reset" onClick={load}>
            <Icon name="undo" />
            Reset
          </button>
        </div>
      ) : null}
      {previewing ? (
        <div class="card envpreview">
          {changes.length === 0 ? (
            <Empty>No changes.</Empty>
          ) : (
            <ul class="mono">
              {changes.map((c) => (
                <li key={c.key} class={`env-${c.change}`} data-key={c.key}>
                  {c.change === "added" ? "+" : c.change === "removed" ? "−" : "~"} {c.key}
                  {c.change === "changed" ? `: ${show(c.from)} → ${show(c.to)}` : ""}
                  {c.change === "added" ? `=${show(c.to)}` : ""}
                </li>
              ))}
            </ul>
          )}
          {changes.length > 0 ? (
            <button type="button" class="primary" data-action="env-apply" onClick={apply}>
              Apply: new revision from {loaded?.revision}
            </button>
          ) : null}
        </div>
      ) : null}
      {followed ? <JobFollow job={followed} key={followed.id} onEnd={load} /> : null}
    </div>
  );
}

const show = (v: string | null | undefined) =>
  v === null || v === undefined ? "(unset)" : JSON.stringify(v);

const plural = (n: number) => `${n} variable${n === 1 ? "" : "s"}`;
