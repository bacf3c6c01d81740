// Keys of files written for `docker compose` that Swarm has no equivalent for. `docker stack deploy`
// refuses some of them outright (its schema is older than the compose specification); Berth takes
// them, deploys what Swarm can do, and says what it did not: never fatal.
// - `depends_on` long form (`condition: service_healthy`, ...): Swarm starts services in no order and
//   waits for none, so the conditions are not enforced.
// - `build:` beside `image:`: the image is deployed as it is, unless `berth stack deploy --build`
//   built it first.
// - `profiles`: as `docker compose up` without `--profile`, services with profiles are left out.

// biome-ignore lint/suspicious/noExplicitAny: a validated compose document, read key by key
type Doc = Record<string, any>;

/** Services `docker compose up` starts without `--profile`: those with no profiles. */
export function activeServices(services: [string, Doc][]): { kept: [string, Doc][]; warnings: string[] } {
  const kept: [string, Doc][] = [];
  const warnings: string[] = [];
  for (const [key, s] of services) {
    const profiles = Array.isArray(s?.profiles) ? (s.profiles as unknown[]).map(String) : [];
    if (profiles.length === 0) kept.push([key, s]);
    else
      warnings.push(
        `Service ${key}: left out (profiles ${profiles.map((p) => JSON.stringify(p)).join(", ")}; docker compose starts it only with --profile)`,
      );
  }
  return { kept, warnings };
}

/** What a stack's docker-compose-only keys become, one line per service and key. */
export function composeOnlyWarnings(services: [string, Doc][]): string[] {
  const out: string[] = [];
  for (const [key, s] of services) {
    if (!s) continue;
    const conditions = dependsOnConditions(s.depends_on);
    if (conditions.length) {
      out.push(
        `Service ${key}: depends_on ${conditions.join(", ")} is not enforced: Swarm starts services in no order and waits for none`,
      );
    }
    if (s.build !== undefined && typeof s.image === "string") {
      out.push(
        `Service ${key}: build is not run; image ${s.image} is deployed as it is (berth stack deploy --build builds it first)`,
      );
    }
  }
  return out;
}

/** `name (condition)` for each dependency written in the long form. */
function dependsOnConditions(v: unknown): string[] {
  if (!v || typeof v !== "object" || Array.isArray(v)) return [];
  return Object.entries(v as Doc).map(
    ([name, d]) => `${name} (${typeof d?.condition === "string" ? d.condition : "service_started"})`,
  );
}
