// CPU and memory of a stack's running containers, polled every few seconds while the stack page is
// open (stats are sampled by the Engine, not pushed by the change feed): one line per container with
// its latest figures and small inline-SVG charts of the recent samples. Tasks on nodes this control
// plane's Engine cannot read say why.
import { useEffect, useRef, useState } from "preact/hooks";
import { type ApiError, api } from "../api";
import { formatBytes } from "../format";
import { asApiError, ErrorBox } from "../ui";
import { addSamples, chartPoints, cpuScale, formatPercent, memoryShare, type UsageSample } from "../usage";

interface ContainerUsage {
  service: string;
  task: string;
  slot: number | null;
  node: string | null;
  nodeName: string | null;
  available: boolean;
  cpuPercent?: number;
  memoryBytes?: number;
  memoryLimitBytes?: number;
  reason?: string;
}

const POLL_MS = 3000;
const KEEP = 40;
const W = 160;
const H = 36;

export function UsagePanel(props: { stack: string }) {
  const [rows, setRows] = useState<ContainerUsage[]>();
  const [history, setHistory] = useState<Record<string, UsageSample[]>>({});
  const [error, setError] = useState<ApiError>();
  const busy = useRef(false);
  useEffect(() => {
    let stopped = false;
    setRows(undefined);
    setHistory({});
    const poll = async () => {
      if (busy.current || document.hidden) return;
      busy.current = true;
      try {
        const r = await api<{ at: string; containers: ContainerUsage[] }>(
          "GET",
          `/stacks/${encodeURIComponent(props.stack)}/stats`,
        );
        if (stopped) return;
        const at = Date.parse(r.at);
        const now: Record<string, UsageSample> = {};
        for (const c of r.containers) {
          if (c.available)
            now[c.task] = { at, cpuPercent: c.cpuPercent ?? 0, memoryBytes: c.memoryBytes ?? 0 };
        }
        setRows(r.containers);
        setHistory((h) => addSamples(h, now, KEEP));
        setError(undefined);
      } catch (e) {
        if (!stopped) setError(asApiError(e));
      } finally {
        busy.current = false;
      }
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [props.stack]);
  if (!rows) return <ErrorBox error={error} />;
  return (
    <div class="card usage">
      <div class="titlebar">
        <h2>Usage</h2>
        <span class="muted small">CPU and memory per container, every {POLL_MS / 1000} s</span>
      </div>
      <ErrorBox error={error} />
      {rows.length === 0 ? <p class="muted">No running containers.</p> : null}
      <table class="grid">
        <tbody>
          {rows.map((c) => {
            const samples = history[c.task] ?? [];
            const cpu = samples.map((s) => s.cpuPercent);
            const mem = samples.map((s) => s.memoryBytes);
            const label = `${c.service}${c.slot !== null ? `.${c.slot}` : ""}`;
            return (
              <tr key={c.task} data-usage={c.task} data-available={String(c.available)}>
                <td>
                  <strong>{label}</strong>
                  <div class="muted small">{c.nodeName ?? c.node?.slice(0, 12) ?? "–"}</div>
                </td>
                {c.available ? (
                  <>
                    <td class="num">
                      <div class="metric cpu">{formatPercent(c.cpuPercent ?? 0)}</div>
                      <div class="muted small">CPU</div>
                    </td>
                    <td>
                      <Spark values={cpu} max={cpuScale(cpu)} kind="cpu" label={`CPU of ${label}`} />
                    </td>
                    <td class="num">
                      <div class="metric mem">
                        {formatBytes(c.memoryBytes ?? 0)} / {formatBytes(c.memoryLimitBytes ?? 0)}
                      </div>
                      <div class="muted small">
                        memory
                        {memoryShare(c.memoryBytes ?? 0, c.memoryLimitBytes ?? 0) !== undefined
                          ? ` · ${memoryShare(c.memoryBytes ?? 0, c.memoryLimitBytes ?? 0)} %`
                          : ""}
                      </div>
                    </td>
                    <td>
                      <Spark
                        values={mem}
                        max={c.memoryLimitBytes || Math.max(1, ...mem)}
                        kind="mem"
                        label={`memory of ${label}`}
                      />
                    </td>
                  </>
                ) : (
                  <td colSpan={4} class="muted unavailable">
                    {c.reason}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Spark(props: { values: number[]; max: number; kind: string; label: string }) {
  const points = chartPoints(props.values, { width: W, height: H, max: props.max, slots: KEEP });
  return (
    <svg
      class={`spark ${props.kind}`}
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={props.label}
    >
      <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
      {points ? <polyline points={points} class="series" /> : null}
    </svg>
  );
}
