// The thin slice end to end on the real swarm: berth up, deploy, ps, update, rm, restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deployHttpd,
  docker,
  removeStacks,
  servicesOfStacks,
  stackPrefix,
  startBerth,
  type TestBerth,
  until,
} from "../helpers/berth.js";

const d = docker();
const prefix = stackPrefix("d");
let berth: TestBerth;

beforeAll(async () => {
  berth = await startBerth();
});

afterAll(async () => {
  await berth?.stop();
  await removeStacks(d, prefix);
});

describe("berth deploy", () => {
  const name = `${prefix}-web`;

  it("creates a labelled service, waits until it runs, and the app answers over HTTP", async () => {
    const r = await deployHttpd(berth, name, { message: "first" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.deployment).toMatchObject({ stack: name, revision: 1, status: "succeeded" });
    expect(out.urls).toHaveLength(1);

    const body = await until("the app to answer", async () => {
      const res = await fetch(out.urls[0]);
      return res.ok ? (await res.text()).trim() : undefined;
    });
    expect(body).toBe("first");

    const [svc] = await servicesOfStacks(d, name);
    expect(svc.Spec.Name).toBe(`default_${name}_${name}`);
    expect(svc.Spec.Labels).toMatchObject({
      "berth.managed": "true",
      "berth.org": "default",
      "berth.stack": name,
      "berth.service": name,
      "berth.deployment": out.deployment.id,
    });
    expect(svc.Spec.TaskTemplate.ContainerSpec.Labels["berth.managed"]).toBe("true");
    expect(svc.Spec.TaskTemplate.Resources.Limits).toEqual({
      NanoCPUs: 500_000_000,
      MemoryBytes: 268_435_456,
    });
    const net = await d.getNetwork(svc.Spec.TaskTemplate.Networks[0].Target).inspect();
    expect(net.Name).toMatch(/^berth-org-default(-[0-9a-f]{8})?$/);
    expect(net.Labels?.["berth.instance"]).toBe(berth.instance);
    expect(net.Labels?.["berth.managed"]).toBe("true");
    // Room for thousands of tasks, not Docker's default /24.
    expect(net.IPAM?.Config?.[0]?.Subnet).toMatch(/^10\.\d+\.\d+\.0\/20$/);
  });

  it("lists the stack with its task states in ps", async () => {
    const r = await berth.cli(["ps", "--json"]);
    expect(r.code).toBe(0);
    const stack = JSON.parse(r.stdout).stacks.find((s: any) => s.name === name);
    expect(stack.status).toBe("succeeded");
    expect(stack.services[0]).toMatchObject({ replicas: 1, running: 1 });
    expect(stack.services[0].tasks[0].state).toBe("running");

    const human = await berth.cli(["ps"]);
    expect(human.stdout).toMatch(new RegExp(`${name}\\s+${name}\\s+1\\s+succeeded\\s+1/1\\s+local/httpd:1`));
  });

  it("leaves the service alone when nothing changed", async () => {
    const [before] = await servicesOfStacks(d, name);
    const r = await deployHttpd(berth, name, { message: "first" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).deployment).toMatchObject({ revision: 2, status: "succeeded" });
    const [after] = await servicesOfStacks(d, name);
    expect(after.Version.Index).toBe(before.Version.Index);
    expect(after.Spec.Labels["berth.deployment"]).toBe(before.Spec.Labels["berth.deployment"]);
  });

  it("updates in place, keeps the host port, and serves the new version", async () => {
    const [before] = await servicesOfStacks(d, name);
    const r = await deployHttpd(berth, name, { message: "second" });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.deployment).toMatchObject({ revision: 3, status: "succeeded" });
    const [after] = await servicesOfStacks(d, name);
    expect(after.ID).toBe(before.ID);
    expect(after.Endpoint.Ports[0].PublishedPort).toBe(before.Endpoint.Ports[0].PublishedPort);
    const body = await until("the new version", async () => {
      const text = (await (await fetch(out.urls[0])).text()).trim();
      return text === "second" ? text : undefined;
    });
    expect(body).toBe("second");
  });

  it("refuses an image that is neither here nor pullable at once, with exit 2 and Docker's reason", async () => {
    const r = await berth.cli([
      "deploy",
      "--image",
      "local/does-not-exist:1",
      "--name",
      `${prefix}-bad`,
      "--port",
      "80",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: services\..*-bad\.image: local\/does-not-exist:1 is not on the node and cannot be pulled \(.+\)/,
    );
    expect(await servicesOfStacks(d, `${prefix}-bad`)).toEqual([]);
    expect((await berth.api("GET", `/api/v1/stacks/${prefix}-bad`)).status).toBe(404);
  });

  it.each([
    [
      ["--image", "Bad Image!", "--name", "x1", "--port", "80"],
      "image: 'Bad Image!' must not contain whitespace",
    ],
    [["--image", "local/httpd:1", "--name", "my app", "--port", "80"], "name: 'my app' must be lowercase"],
    [["--image", "local/httpd:1", "--name", "x2", "--port", "0"], "port: must be between 1 and 65535"],
    [["--image", "local/httpd:1", "--name", "x3", "--port", "70000"], "port: must be between 1 and 65535"],
    [
      ["--image", "local/httpd:1", "--name", "x4", "--port", "80", "-e", "NOEQUALS"],
      "--env: 'NOEQUALS' must be KEY=VALUE",
    ],
    [["--image", "local/httpd:1", "--name", "x5"], "required option '--port <port>' not specified"],
  ])("refuses bad input %j with exit 2, one line, and creates nothing", async (args, message) => {
    // This control plane's services only: others share the swarm.
    const ours = async () =>
      ((await d.listServices({ filters: { label: [`berth.instance=${berth.instance}`] } })) as unknown[])
        .length;
    const before = await ours();
    const r = await berth.cli(["deploy", ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")[0]).toContain(message);
    expect(await ours()).toBe(before);
  });

  it("refuses bad input at the API too, with 400 and the error shape", async () => {
    const res = await fetch(`${berth.url}/api/v1/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${berth.token}` },
      body: JSON.stringify({ name: "ok", image: "local/httpd:1", port: 80, privileged: true }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual<unknown>({
      error: { code: "invalid_input", message: "unknown field 'privileged'", details: { path: "" } },
    });
  });

  it("rejects API calls without the token", async () => {
    const res = await fetch(`${berth.url}/api/v1/stacks`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe("unauthorized");
  });

  it("keeps its state across a restart", async () => {
    expect((await berth.cli(["down"])).code).toBe(0);
    expect((await berth.cli(["ps"])).code).toBe(5);
    const up = await berth.cli(["up", "--detach"]);
    expect(up.code).toBe(0);
    const r = await berth.cli(["ps", "--json"]);
    const stack = JSON.parse(r.stdout).stacks.find((s: any) => s.name === name);
    expect(stack).toMatchObject({ revision: 3, status: "succeeded" });
  });

  it("removes the stack and its services", async () => {
    const r = await berth.cli(["rm", name, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).removed).toEqual([`default_${name}_${name}`]);
    expect(await servicesOfStacks(d, name)).toHaveLength(0);
    const again = await berth.cli(["rm", name]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`stack '${name}' not found`);
  });
});
