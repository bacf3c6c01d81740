// Jobs: the list (live), and one job with its progress and log lines streamed as they happen, and
// cancel for deployers.
import { useEffect, useRef, useState } from "preact/hooks";
import { type ApiError, api, type Job, type JobLog, stream } from "../api";
import { Ago, asApiError, Empty, ErrorBox, Icon, IfRole, Link, Status, useLive } from "../ui";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export function JobsPage() {
  const { data, error } = useLive(
    () => api<{ jobs: Job[] }>("GET", "/jobs?limit=100").then((r) => r.jobs),
    [],
    (event) => event === "job",
  );
  return (
    <section>
      <div class="titlebar">
        <h1>Jobs</h1>
      </div>
      <ErrorBox error={error} />
      {data && data.length === 0 ? <Empty>No jobs yet.</Empty> : null}
      {data && data.length > 0 ? (
        <table class="grid">
          <thead>
            <tr>
              <th>Job</th>
              <th>Target</th>
              <th>Status</th>
              <th>Progress</th>
              <th>By</th>
              <th>Queued</th>
            </tr>
          </thead>
          <tbody>
            {data.map((j) => (
              <tr key={j.id} data-job={j.id}>
                <td>
                  <Link href={`/jobs/${j.id}`}>{j.type}</Link>
                  <div class="muted small mono">{j.id.slice(0, 8)}</div>
                </td>
                <td>{j.target}</td>
                <td>
                  <Status value={j.status} />
                </td>
                <td>
                  <progress max={100} value={j.progress} />
                </td>
                <td>{j.requestedBy ?? "–"}</td>
                <td>
                  <Ago at={j.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export function JobPage(props: { id: string }) {
  const [job, setJob] = useState<Job>();
  const [logs, setLogs] = useState<JobLog[]>([]);
  const [error, setError] = useState<ApiError>();
  const [cancelError, setCancelError] = useState<ApiError>();
  const box = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const abort = new AbortController();
    setJob(undefined);
    setLogs([]);
    setError(undefined);
    stream(
      `/jobs/${encodeURIComponent(props.id)}/events`,
      (event, data) => {
        if (event === "job") setJob(data as Job);
        else if (event === "log") setLogs((old) => [...old, data as JobLog]);
      },
      abort.signal,
    ).catch((e) => setError(asApiError(e)));
    return () => abort.abort();
  }, [props.id]);
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [logs.length]);
  const cancel = async () => {
    setCancelError(undefined);
    try {
      const r = await api<{ job: Job }>("POST", `/jobs/${encodeURIComponent(props.id)}/cancel`);
      setJob(r.job);
    } catch (e) {
      setCancelError(asApiError(e));
    }
  };
  const stack =
    job && ["deploy", "restart", "backup", "restore"].includes(job.type)
      ? job.target.split("/").pop()
      : undefined;
  return (
    <section>
      <div class="titlebar">
        <h1>
          <Link href="/jobs">Jobs</Link> / {job ? `${job.type} ${job.target}` : props.id.slice(0, 8)}
        </h1>
        {job ? <Status value={job.status} /> : null}
        <IfRole need="deployer">
          {job && !TERMINAL.has(job.status) ? (
            <button type="button" onClick={cancel} data-action="cancel" disabled={job.cancelRequested}>
              <Icon name="x" />
              {job.cancelRequested ? "Cancelling…" : "Cancel"}
            </button>
          ) : null}
        </IfRole>
      </div>
      <ErrorBox error={error ?? cancelError} />
      {job ? (
        <div class="card jobhead">
          <progress max={100} value={job.progress} class="big" data-progress={job.progress} />
          <span class="num">{job.progress}%</span>
          <span class="muted">
            attempt {job.attempts} · by {job.requestedBy ?? "–"} · queued <Ago at={job.createdAt} />
          </span>
          {stack ? (
            <Link href={`/stacks/${encodeURIComponent(stack)}`} class="button">
              Open stack {stack}
            </Link>
          ) : null}
          {job.error ? <p class="taskerror">{job.error}</p> : null}
        </div>
      ) : null}
      <h2>Log</h2>
      <ol class="logs joblog" ref={box}>
        {logs.map((l) => (
          <li key={l.id} class={`logline ${l.level}`}>
            <span class="svc">{l.at ? new Date(l.at).toLocaleTimeString() : ""}</span>
            <span class="text">{l.message}</span>
          </li>
        ))}
        {logs.length === 0 ? <li class="muted">No log lines yet.</li> : null}
      </ol>
    </section>
  );
}
