// Berth's default health check, for the short form: a service that says which port it listens on
// (`berth deploy --port 8080`) and gives no check of its own is checked on that port, so that a
// revision whose process runs but does not listen where it said is not taken for a success.
//
// Swarm runs health checks inside the container, and images often lack curl, wget, nc or bash (a
// default that needs one of them fails on every such image). This one needs none: it reads the
// kernel's socket tables of the container's network namespace (/proc/net/tcp and tcp6) with POSIX
// shell builtins only (`read`, `case`, `[`), which dash, bash and busybox ash all have. It passes when
// a socket listens on the port on an address other tasks can reach, and fails saying why otherwise:
// nothing listens there, or only on loopback (127.0.0.1 or ::1: unreachable through the published
// port and from other services). Where the tables cannot be read, it passes and says so (it cannot
// tell, and must not fail a working service).
//
// It needs /bin/sh (a CMD-SHELL check). An image without one (distroless, scratch) cannot run it: the
// task fails its health check, the revision is rolled back, and the reason says the image has no
// /bin/sh (plan/rollout.ts); such images take `--health-cmd '["/app/healthcheck"]'` (exec form) or
// `--no-healthcheck`. An image that declares its own HEALTHCHECK keeps it (its author knows best),
// when Berth can see it: the image is on the Engine's node (decideHealthchecks).
import type { HealthcheckModel, ServiceModel, StackModel } from "../domain/stack.js";
import type { ObservedImage } from "./observed.js";

const SECOND = 1_000_000_000;

/**
 * Timings of the port check when the user gave none. Docker runs the first check one interval after
 * the container starts (Engines before API 1.44 have no faster start interval), so the interval is
 * what each new task waits at least before it counts as running; failures in the start period do not
 * count, so a service that never listens is unhealthy after about 30 s + 3 x 5 s.
 */
export const PORT_CHECK_TIMING = {
  interval: 5 * SECOND,
  timeout: 3 * SECOND,
  retries: 3,
  startPeriod: 30 * SECOND,
} as const;

/** Loopback addresses as /proc/net/tcp{,6} print them, on little- and big-endian hosts. */
const LOOPBACK = [
  "0100007F",
  "7F000001",
  "00000000000000000000000001000000",
  "00000000000000000000000000000001",
  "0000000000000000FFFF00000100007F",
];

/** The shell of the port check: exit 0 when something listens on `port` (TCP) beyond loopback. */
export function portCheckScript(port: number): string {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return [
    'r=;l=;for f in /proc/net/tcp /proc/net/tcp6;do [ -r "$f" ]||continue;r=1',
    `while read -r _ a _ s _;do [ "$s" = 0A ]||continue;case "$a" in *:${hex}) case "\${a%:*}" in ${LOOPBACK.join("|")}) l=1;;*) exit 0;;esac;;esac;done <"$f";done`,
    `[ -z "$r" ]&&echo "cannot read /proc/net/tcp: port ${port} not checked"&&exit 0`,
    `[ -n "$l" ]&&echo "port ${port} listens on loopback only, out of reach of other tasks"||echo "nothing listens on port ${port}";exit 1`,
  ].join(";");
}

/** Whether the health check is Berth's port check that the user left to Berth (no command of theirs). */
export function isPortCheck(h: ServiceModel["healthcheck"]): h is HealthcheckModel & { port: number } {
  return h !== undefined && !("disable" in h) && h.port !== undefined && h.test === undefined;
}

/** The check as Swarm runs it: Berth's port check turned into its command and default timings. */
export function resolveHealthcheck(h: HealthcheckModel): HealthcheckModel {
  if (h.port === undefined || h.test !== undefined) {
    const { port: _p, ...rest } = h;
    return rest;
  }
  return {
    test: ["CMD-SHELL", portCheckScript(h.port)],
    interval: h.interval ?? PORT_CHECK_TIMING.interval,
    timeout: h.timeout ?? PORT_CHECK_TIMING.timeout,
    retries: h.retries ?? PORT_CHECK_TIMING.retries,
    startPeriod: h.startPeriod ?? PORT_CHECK_TIMING.startPeriod,
  };
}

/**
 * Berth's decision for each service left with its port check, recorded in the revision's spec: the
 * check with its command (so that a later Berth with another script does not change what runs), or,
 * when the image on the Engine's node declares its own HEALTHCHECK, that one (with the user's timings,
 * if any, as docker applies them). An image Berth cannot see (not on the node: its registry has it)
 * gets the port check.
 */
export function decideHealthchecks(
  model: StackModel,
  images: ReadonlyMap<string, ObservedImage>,
): { model: StackModel; notes: string[] } {
  const notes: string[] = [];
  const services = model.services.map((s): ServiceModel => {
    const h = s.healthcheck;
    if (!isPortCheck(h)) return s;
    const image = images.get(s.image);
    if (image?.state === "present" && image.healthcheck) {
      const { port: _p, ...timings } = h;
      notes.push(`${s.name}: the image's own HEALTHCHECK runs (not Berth's check of port ${h.port})`);
      const { healthcheck: _h, ...rest } = s;
      return Object.keys(timings).length ? { ...rest, healthcheck: timings } : rest;
    }
    return { ...s, healthcheck: resolveHealthcheck(h) };
  });
  return { model: { ...model, services }, notes };
}

/** Images whose HEALTHCHECK the decision needs to know of. */
export function portCheckImages(model: StackModel): string[] {
  return [...new Set(model.services.filter((s) => isPortCheck(s.healthcheck)).map((s) => s.image))].sort();
}

/**
 * The check in words for `berth diff`: what kind it is and its timings, never a command (users put
 * credentials in them). `image's` when the service sets none.
 */
export function healthcheckText(h: ServiceModel["healthcheck"]): string {
  if (h === undefined) return "image's";
  if ("disable" in h) return "none";
  const kind = isPortCheck(h)
    ? `port ${h.port}`
    : h.test
      ? h.test[0] === "NONE"
        ? "none"
        : "command"
      : "image's";
  const timings = [
    h.interval === undefined ? "" : `interval ${seconds(h.interval)}`,
    h.timeout === undefined ? "" : `timeout ${seconds(h.timeout)}`,
    h.retries === undefined ? "" : `retries ${h.retries}`,
    h.startPeriod === undefined ? "" : `start period ${seconds(h.startPeriod)}`,
  ].filter(Boolean);
  return timings.length ? `${kind} (${timings.join(", ")})` : kind;
}

function seconds(ns: number): string {
  return `${+(ns / SECOND).toFixed(3)}s`;
}
