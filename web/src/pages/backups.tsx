// A stack's Backups tab: its volume backups (size, sha256, encrypted, status and why) kept live; for
// deployers back up now (the job followed in place), verify, restore after a confirm step that says
// the services are stopped meanwhile, and the stack's schedule; admins remove archives.
import { useState } from "preact/hooks";
import { type ApiError, api, type Backup, type BackupSchedule } from "../api";
import { formatBytes, scheduleBody, shortSha } from "../format";
import { Ago, asApiError, Empty, ErrorBox, Field, Icon, IfRole, Status, useLive } from "../ui";
import { type Followed, JobFollow } from "./job-follow";

const stackPath = (name: string) => `/stacks/${encodeURIComponent(name)}`;
const backupPath = (id: string) => `/backups/${encodeURIComponent(id)}`;

export function BackupsPanel(props: { stack: string }) {
  const { stack } = props;
  const { data, error, reload } = useLive(
    () =>
      api<{ backups: Backup[] }>("GET", `/backups?stack=${encodeURIComponent(stack)}`).then((r) => r.backups),
    [stack],
    (event, d) => event === "job" || (event === "stack" && d.name === stack),
  );
  const [actionError, setActionError] = useState<ApiError>();
  const [followed, setFollowed] = useState<Followed>();
  const [confirm, setConfirm] = useState<{ id: string; what: "restore" | "remove" }>();
  const act = async (fn: () => Promise<unknown>, label?: string) => {
    setActionError(undefined);
    setConfirm(undefined);
    try {
      const r = (await fn()) as { jobId?: string };
      if (label && r.jobId) setFollowed({ id: r.jobId, label });
      reload();
    } catch (e) {
      setActionError(asApiError(e));
    }
  };
  const create = () => act(() => api("POST", "/backups", { stack }), `backup of ${stack}`);
  return (
    <div class="backups">
      <div class="filters">
        <IfRole need="deployer">
          <button type="button" class="primary" data-action="backup" onClick={create}>
            <Icon name="download" />
            Back up now
          </button>
        </IfRole>
        <span class="muted">Every volume of the stack; the stack keeps running.</span>
      </div>
      <ErrorBox error={error ?? actionError} />
      {followed ? <JobFollow job={followed} key={followed.id} onEnd={reload} /> : null}
      {data && data.length === 0 ? <Empty>No backups of this stack yet.</Empty> : null}
      {data && data.length > 0 ? (
        <table class="grid backuplist">
          <thead>
            <tr>
              <th>Volume</th>
              <th>Size</th>
              <th>sha256</th>
              <th>Encrypted</th>
              <th>Status</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((b) => (
              <BackupRow
                backup={b}
                stack={stack}
                confirming={confirm?.id === b.id ? confirm.what : undefined}
                setConfirm={(what) => setConfirm(what ? { id: b.id, what } : undefined)}
                act={act}
                key={b.id}
              />
            ))}
          </tbody>
        </table>
      ) : null}
      <Schedule stack={stack} />
    </div>
  );
}

function BackupRow(props: {
  backup: Backup;
  stack: string;
  confirming: "restore" | "remove" | undefined;
  setConfirm: (what: "restore" | "remove" | undefined) => void;
  act: (fn: () => Promise<unknown>, label?: string) => void;
}) {
  const b = props.backup;
  const done = b.status === "succeeded";
  return (
    <>
      <tr data-backup={b.id} data-status={b.status}>
        <td class="mono">{b.volume}</td>
        <td class="num">{formatBytes(b.sizeBytes)}</td>
        <td class="mono" title={b.sha256 ?? undefined}>
          {shortSha(b.sha256)}
        </td>
        <td>{b.encrypted ? "yes" : "no"}</td>
        <td>
          <Status value={b.status} />
          {b.reason ? <div class="taskerror">{b.reason}</div> : null}
        </td>
        <td>
          <Ago at={b.createdAt} />
        </td>
        <td class="actions">
          <IfRole need="deployer">
            {done ? (
              <button
                type="button"
                data-action="verify"
                onClick={() =>
                  props.act(() => api("POST", `${backupPath(b.id)}/verify`), `verify of ${b.volume}`)
                }
              >
                Verify
              </button>
            ) : null}
            {done ? (
              <button type="button" data-action="restore" onClick={() => props.setConfirm("restore")}>
                <Icon name="undo" />
                Restore
              </button>
            ) : null}
          </IfRole>
          <IfRole need="admin">
            {b.status !== "running" ? (
              <button type="button" data-action="remove-backup" onClick={() => props.setConfirm("remove")}>
                <Icon name="trash" />
                Remove
              </button>
            ) : null}
          </IfRole>
        </td>
      </tr>
      {props.confirming ? (
        <tr class="confirmrow">
          <td colSpan={7}>
            <div class="warning confirm" role="alertdialog">
              {props.confirming === "restore" ? (
                <p>
                  Restore volume <strong class="mono">{b.volume}</strong> of stack{" "}
                  <strong>{props.stack}</strong> from this backup? The archive is checked first; then the
                  services that mount the volume are <strong>stopped during the restore</strong>, its contents
                  are replaced, and the services are started again.
                </p>
              ) : (
                <p>
                  Remove this backup of volume <strong class="mono">{b.volume}</strong>? Its archive is
                  deleted from the store and cannot be restored afterwards.
                </p>
              )}
              <div class="buttons">
                <button
                  type="button"
                  class="primary"
                  data-action={props.confirming === "restore" ? "confirm-restore" : "confirm-remove"}
                  onClick={() =>
                    props.confirming === "restore"
                      ? props.act(
                          () => api("POST", `${backupPath(b.id)}/restore`, {}),
                          `restore of ${b.volume} into ${props.stack}`,
                        )
                      : props.act(() => api("DELETE", backupPath(b.id)))
                  }
                >
                  {props.confirming === "restore" ? "Stop the services and restore" : "Remove the backup"}
                </button>
                <button type="button" class="ghost" onClick={() => props.setConfirm(undefined)}>
                  Cancel
                </button>
              </div>
            </div>
          </td>
        </tr>
      ) : null}
    </>
  );
}

function Schedule(props: { stack: string }) {
  const { stack } = props;
  const { data, error, reload } = useLive(
    () =>
      api<{ schedules: BackupSchedule[] }>("GET", "/backup-schedules").then((r) =>
        r.schedules.find((s) => s.stack === stack),
      ),
    [stack],
    () => false,
  );
  const [form, setForm] = useState({ cron: "", keepLast: "7", timezone: "" });
  const [formError, setFormError] = useState<ApiError>();
  const change = async (fn: () => Promise<unknown>) => {
    setFormError(undefined);
    try {
      await fn();
      reload();
    } catch (e) {
      setFormError(asApiError(e));
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    change(() => api("PUT", `${stackPath(stack)}/backup-schedule`, scheduleBody(form)));
  };
  const bad = (field: string) => formError?.field === field;
  return (
    <div class="card schedule">
      <h2>Schedule</h2>
      <ErrorBox error={error ?? formError} />
      {data ? (
        <p class="current">
          <span class="mono">{data.cron}</span> ({data.timezone}), keeping the newest {data.keepLast} of each
          volume
          {data.next[0] ? <span class="muted"> · next {new Date(data.next[0]).toLocaleString()}</span> : null}
        </p>
      ) : (
        <p class="muted">No schedule: backups are made only when asked for.</p>
      )}
      <IfRole need="deployer">
        <form class="row" onSubmit={submit}>
          <Field label="Cron" error={bad("cron")} hint="e.g. 0 3 * * *">
            <input
              name="cron"
              value={form.cron}
              placeholder={data?.cron ?? "0 3 * * *"}
              onInput={(e) => setForm({ ...form, cron: e.currentTarget.value })}
            />
          </Field>
          <Field label="Keep last" error={bad("keepLast")}>
            <input
              name="keepLast"
              inputMode="numeric"
              value={form.keepLast}
              onInput={(e) => setForm({ ...form, keepLast: e.currentTarget.value })}
            />
          </Field>
          <Field label="Time zone" error={bad("timezone")} hint="default UTC">
            <input
              name="timezone"
              placeholder="Europe/Paris"
              value={form.timezone}
              onInput={(e) => setForm({ ...form, timezone: e.currentTarget.value })}
            />
          </Field>
          <div class="buttons">
            <button type="submit" data-action="set-schedule">
              {data ? "Replace schedule" : "Set schedule"}
            </button>
            {data ? (
              <button
                type="button"
                class="ghost"
                data-action="remove-schedule"
                onClick={() => change(() => api("DELETE", `${stackPath(stack)}/backup-schedule`))}
              >
                Remove schedule
              </button>
            ) : null}
          </div>
        </form>
      </IfRole>
    </div>
  );
}
