// A job followed in place, where it was started (a backup, a restore, a proxy sync): its status,
// progress and newest log line, streamed from GET /jobs/:id/events like the job page, with a link to
// that page for the whole log.
import { useEffect, useState } from "preact/hooks";
import { type ApiError, type Job, type JobLog, stream } from "../api";
import { asApiError, ErrorBox, Link, Status } from "../ui";

export interface Followed {
  id: string;
  /** What the job does, in words: "backup of shop", "proxy sync". */
  label: string;
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export function JobFollow(props: { job: Followed; onEnd?: (job: Job) => void }) {
  const [job, setJob] = useState<Job>();
  const [last, setLast] = useState<string>();
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    const abort = new AbortController();
    let ended = false;
    setJob(undefined);
    setLast(undefined);
    setError(undefined);
    stream(
      `/jobs/${encodeURIComponent(props.job.id)}/events`,
      (event, data) => {
        if (event === "job") {
          const j = data as Job;
          setJob(j);
          if (TERMINAL.has(j.status) && !ended) {
            ended = true;
            props.onEnd?.(j);
          }
        } else if (event === "log") setLast((data as JobLog).message);
      },
      abort.signal,
    ).catch((e) => setError(asApiError(e)));
    return () => abort.abort();
  }, [props.job.id]);
  return (
    <div class="card jobfollow" data-job={props.job.id} data-status={job?.status ?? "queued"}>
      <strong>{props.job.label}</strong>
      <Status value={job?.status ?? "queued"} />
      <progress max={100} value={job?.progress ?? 0} data-progress={job?.progress ?? 0} />
      <span class="num">{job?.progress ?? 0}%</span>
      <Link href={`/jobs/${props.job.id}`}>job log</Link>
      {last ? <div class="muted small lastline">{last}</div> : null}
      {job?.error ? <p class="taskerror">{job.error}</p> : null}
      <ErrorBox error={error} />
    </div>
  );
}
