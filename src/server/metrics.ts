// Prometheus metrics, on a registry of Berth's own (no global state), served at /metrics.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  jobs: { observe(labels: { type: string; outcome: string }, seconds: number): void };
  jobsEnqueued: Counter<"type">;
  httpDuration: Histogram<"method" | "route" | "status">;
  dockerErrors: Counter<"operation">;
  eventLag: Histogram;
  /** Seconds since the last full resync of the database with Swarm. */
  lastResync: Gauge;
  drift: Gauge<"kind">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "berth_process_" });
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
    eventLag: new Histogram({
      name: "berth_event_lag_seconds",
      help: "Time from a Docker event to the database reflecting it",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    lastResync: new Gauge({
      name: "berth_reconcile_lag_seconds",
      help: "Seconds since the database was last fully reconciled with Swarm",
      registers: [registry],
    }),
    drift: new Gauge({
      name: "berth_drift_items",
      help: "Differences between what the database wants and what Swarm runs, by kind",
      labelNames: ["kind"],
      registers: [registry],
    }),
  };
}
