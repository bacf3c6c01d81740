// What cannot converge on the swarm is refused at once, with the numbers, before anything is recorded
// or created: too many replicas for a host-mode port on this one node, a constraint no node satisfies,
// a reservation larger than the node, an image that is not here and cannot be pulled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deployHttpd,
  docker,
  laneHostPorts,
  removeStacks,
  servicesOfStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const d = docker();
const prefix = stackPrefix("r");
let berth: TestBerth;

beforeAll(async () => {
  // Drift is reported, not repaired, so that a test can leave a service missing.
  berth = await startBerth({ BERTH_AUTO_REPAIR: "off" });
  // Placement on a node label needs a platform admin's leave (the tenant policy).
  expect(
    (await berth.api("PUT", "/api/v1/orgs/default/policy", { placementLabels: ["nothing"] })).status,
  ).toBe(200);
});

afterAll(async () => {
  await berth?.stop();
  await removeStacks(d, prefix);
  await d
    .getImage(gone)
    .remove()
    .catch(() => {});
});

/** A tag of the test image of this file's own, removed when a test needs an image that went away. */
const goneRepo = `local/${prefix}-gone`;
const gone = `${goneRepo}:1`;
const tagGone = () => d.getImage("local/httpd:1").tag({ repo: goneRepo, tag: "1" });
const untagGone = () => d.getImage(gone).remove();

/** What a refused deployment of `stack` must have left: no service, no network, no revision. */
async function nothingOf(stack: string): Promise<void> {
  expect(await servicesOfStacks(d, stack)).toEqual([]);
  const networks = await d.listNetworks({ filters: { label: [`berth.stack=${stack}`] } });
  expect(networks).toEqual([]);
  const got = await berth.api("GET", `/api/v1/stacks/${stack}`);
  expect(got.status).toBe(404);
}

/** Runs `fn` and says how long it took, in ms. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const out = await fn();
  return [out, Date.now() - started];
}

const composeOf = (service: Record<string, unknown>) => ({
  version: "3.9",
  services: { web: { image: "local/httpd:1", ...service } },
});

describe("refusing what cannot converge", () => {
  it("refuses two replicas publishing one host port on the one node, exit 2 with the numbers", async () => {
    const name = `${prefix}-two`;
    const [r, ms] = await timed(() => deployHttpd(berth, name, { replicas: 2 }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `services\\.${name}\\.replicas: 2 replicas cannot each publish host port 3\\d{4} \\(host mode\\) on 1 eligible node; use at most 1 replica`,
      ),
    );
    expect(ms).toBeLessThan(5_000);
    await nothingOf(name);
  });

  it("refuses a constraint no node satisfies at the API, with 400", async () => {
    const name = `${prefix}-label`;
    const [r, ms] = await timed(() =>
      berth.api("POST", "/api/v1/stacks/deploy", {
        name,
        compose: composeOf({ deploy: { placement: { constraints: ["node.labels.nothing==here"] } } }),
      }),
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      code: "invalid_input",
      message:
        "services.web.deploy.placement.constraints: no node satisfies node.labels.nothing==here (1 node)",
      details: { path: "services.web.deploy.placement.constraints" },
    });
    expect(ms).toBeLessThan(5_000);
    await nothingOf(name);
  });

  it("refuses a memory reservation larger than the node at the API, with 400", async () => {
    const name = `${prefix}-mem`;
    const memory = { memory: "1000G" };
    const [r, ms] = await timed(() =>
      berth.api("POST", "/api/v1/stacks/deploy", {
        name,
        compose: composeOf({ deploy: { resources: { limits: memory, reservations: memory } } }),
      }),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(
      /^services\.web\.deploy\.resources\.reservations\.memory: 1000 GiB reserved, the largest node has \d+(\.\d)? GiB$/,
    );
    expect(ms).toBeLessThan(5_000);
    await nothingOf(name);
  });

  it("refuses an image that is not on the node and cannot be pulled, at the API and in the CLI", async () => {
    const name = `${prefix}-img`;
    const [r, ms] = await timed(() =>
      berth.api("POST", "/api/v1/deployments", { name, image: "local/does-not-exist:1", port: 8080 }),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(
      new RegExp(
        `^services\\.${name}\\.image: local/does-not-exist:1 is not on the node and cannot be pulled \\(.+\\)$`,
      ),
    );
    // No registry can be reached from here: the answer still comes within the registry's timeout.
    expect(ms).toBeLessThan(8_000);
    await nothingOf(name);

    const [cli, cliMs] = await timed(() =>
      berth.cli(["deploy", "--image", "nope/nothing:1", "--name", name, "--port", "8080"]),
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(
      `services.${name}.image: nope/nothing:1 is not on the node and cannot be pulled (`,
    );
    expect(cliMs).toBeLessThan(8_000);
    await nothingOf(name);
  });

  it("lists every problem of a stack in one answer", async () => {
    const name = `${prefix}-all`;
    // The last port of this control plane's range: one no other test asks for.
    const port = Number(laneHostPorts().split("-")[1]);
    const compose = {
      version: "3.9",
      services: {
        web: {
          image: "local/httpd:1",
          ports: [{ target: 8080, published: port, mode: "host" }],
          deploy: { replicas: 2 },
        },
        db: { image: "local/does-not-exist:1" },
      },
    };
    const r = await berth.api("POST", "/api/v1/stacks/deploy", { name, compose });
    expect(r.status).toBe(400);
    expect(r.body.error.details.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      "services.db.image",
      "services.web.replicas",
    ]);
    expect(r.body.error.message).toContain(`host port ${port} (host mode) on 1 eligible node`);
    expect(r.body.error.message).toContain("local/does-not-exist:1 is not on the node");
    await nothingOf(name);
  });

  it("fails a queued revision whose plan is refused when its job runs, creating nothing", async () => {
    // Two slow deployments hold the organization's two deploy slots (each watches its new service
    // for 45 s: long enough on a busy machine), so the third waits queued while its image goes away.
    const slow = (name: string) =>
      berth.api("POST", "/api/v1/stacks/deploy", {
        name,
        compose: {
          version: "3.9",
          services: { w: { image: "local/httpd:1", deploy: { update_config: { monitor: "45s" } } } },
        },
      });
    const holders = [await slow(`${prefix}-hold1`), await slow(`${prefix}-hold2`)];
    for (const h of holders) expect(h.status, JSON.stringify(h.body)).toBe(202);
    await until("both slow deployments to run", async () => {
      const jobs = await Promise.all(holders.map((h) => berth.api("GET", `/api/v1/jobs/${h.body.jobId}`)));
      return jobs.every((j) => j.body.job.status === "running") || undefined;
    });
    await tagGone();
    const name = `${prefix}-late`;
    const r = await berth.api("POST", "/api/v1/deployments", { name, image: gone, port: 8080 });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect((await berth.api("GET", `/api/v1/jobs/${r.body.jobId}`)).body.job.status).toBe("queued");
    await untagGone();

    const failed = await until(
      "the late deployment to fail",
      async () => {
        const got = (await berth.api("GET", `/api/v1/deployments/${r.body.deployment.id}`)).body.deployment;
        return got.status === "pending" ? undefined : got;
      },
      90_000,
    );
    expect(failed.status).toBe("failed");
    expect(failed.reason).toMatch(
      new RegExp(`^services\\.${name}\\.image: ${gone} is not on the node and cannot be pulled \\(.+\\)$`),
    );
    const job = (await berth.api("GET", `/api/v1/jobs/${r.body.jobId}`)).body.job;
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(await servicesOfStacks(d, name)).toEqual([]);
  }, 240_000);

  it("reports a missing service it could not recreate as blocked drift", async () => {
    const name = `${prefix}-drift`;
    await tagGone();
    const r = await berth.cli(["deploy", "--image", gone, "--name", name, "--port", "8080", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    await untagGone();
    const [svc] = await servicesOfStacks(d, name);
    await d.getService(svc.ID).remove();
    const drift = await berth.api("GET", "/api/v1/drift");
    expect(drift.status).toBe(200);
    expect(drift.body.drift.filter((x: { stack: string }) => x.stack === name)).toEqual([
      {
        kind: "blocked",
        org: "default",
        stack: name,
        reason: expect.stringMatching(
          new RegExp(
            `^services\\.${name}\\.image: ${gone} is not on the node and cannot be pulled \\(.+\\)$`,
          ),
        ),
      },
    ]);
  });

  it("refuses scaling a running stack beyond the node, and leaves it as it was", async () => {
    const name = `${prefix}-scale`;
    const first = await deployHttpd(berth, name, { message: "one" });
    expect(first.code, first.stderr).toBe(0);
    const [before] = await servicesOfStacks(d, name);
    const r = await deployHttpd(berth, name, { message: "one", replicas: 3 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`services.${name}.replicas: 3 replicas cannot each publish host port`);
    const [after] = await servicesOfStacks(d, name);
    expect(after.Version.Index).toBe(before.Version.Index);
    const history = await berth.api("GET", `/api/v1/stacks/${name}/history`);
    expect(history.body.revisions).toHaveLength(1);
  });
});
