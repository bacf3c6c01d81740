// Prometheus metrics, on a registry of Berth's own (no global state), served at /metrics.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry, Summary } from "prom-client";

export interface Metrics {
  registry: Registry;
  jobs: { observe(labels: { type: string; outcome: string }, seconds: number): void };
  jobsEnqueued: Counter<"type">;
  httpDuration: Histogram<"method" | "route" | "status">;
  dockerErrors: Counter<"operation">;
  /** Time from a Docker event to the database reflecting it (p50, p90, p99 over 10 minutes). */
  eventLag: Summary;
  /** When the database was last fully reconciled with Swarm (ms since the epoch). */
  resync: { at: number };
  drift: Gauge<"kind">;
  /** Served certificates' expiry, read at each scrape from `source` (set once the proxy is watched). */
  certificates: { source: () => { org: string; host: string; seconds: number }[] };
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const resync = { at: 0 };
  const certificates: Metrics["certificates"] = { source: () => [] };
  new Gauge({
    name: "berth_certificate_expiry_seconds",
    help: "Seconds until the certificate the proxy serves for a host expires (negative: expired), by organization and host",
    labelNames: ["org", "host"],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of certificates.source()) this.set({ org: c.org, host: c.host }, Math.round(c.seconds));
    },
  });
  new Gauge({
    name: "berth_reconcile_lag_seconds",
    help: "Seconds since the database was last fully reconciled with Swarm",
    registers: [registry],
    collect() {
      this.set(resync.at ? (Date.now() - resync.at) / 1000 : -1);
    },
  });
  collectDefaultMetrics({ register: registry, prefix: "berth_" });
  const jobDuration = new Histogram({
    name: "berth_job_duration_seconds",
    help: "Time from a job attempt's start to its outcome, by job type and outcome",
    labelNames: ["type", "outcome"],
    buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const jobsTotal = new Counter({
    name: "berth_jobs_total",
    help: "Job attempts by type and outcome (succeeded, failed, cancelled, retried)",
    labelNames: ["type", "outcome"],
    registers: [registry],
  });
  return {
    registry,
    jobs: {
      observe(labels, seconds) {
        jobDuration.observe(labels, seconds);
        jobsTotal.inc(labels);
      },
    },
    jobsEnqueued: new Counter({
      name: "berth_jobs_enqueued_total",
      help: "Jobs queued, by type",
      labelNames: ["type"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "berth_http_request_duration_seconds",
      help: "API latency by method, route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    dockerErrors: new Counter({
      name: "berth_docker_errors_total",
      help: "Docker Engine API calls that failed, by operation",
      labelNames: ["operation"],
      registers: [registry],
    }),
    eventLag: new Summary({
      name: "berth_event_lag_seconds",
      help: "Time from a Docker event to the database reflecting it",
      percentiles: [0.5, 0.9, 0.99],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers: [registry],
    }),
    resync,
    certificates,
    drift: new Gauge({
      name: "berth_drift_items",
      help: "Differences between what the database wants and what Swarm runs, by kind",
      labelNames: ["kind"],
      registers: [registry],
    }),
  };
}
