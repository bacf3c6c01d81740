// Compose stacks through the CLI on the real swarm: render without touching the swarm, diff, deploy,
// update in place and prune, logs, removal of everything the stack owns (volumes only when asked),
// and bad input refused with exit 2 and nothing created.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, startBerth, type TestBerth, until } from "../helpers/berth.js";

const d = docker();
const dir = mkdtempSync(join(tmpdir(), "berth-stack-"));
const name = `st${Date.now().toString(36).slice(-4)}`;
const ns = `default_${name}`;
let b: TestBerth;

const file = (f: string, text: string) => {
  writeFileSync(join(dir, f), text);
  return join(dir, f);
};

const v1 = `services:
  talker:
    image: local/debian:bookworm
    command: ["bash", "-c", "for i in 1 2 3; do echo line-$$i from \${GREETING:-nobody}; done; sleep 3600"]
    secrets: [token]
    configs:
      - source: settings
        target: /etc/app.conf
    volumes:
      - data:/data
    networks: [back]
  extra:
    image: local/httpd:1
    networks: [back]
networks:
  back: {}
volumes:
  data: {}
secrets:
  token:
    file: ./token.txt
configs:
  settings:
    file: ./app.conf
`;

async function owned(kind: "services" | "networks" | "secrets" | "configs" | "volumes"): Promise<string[]> {
  const filters = { label: [`com.docker.stack.namespace=${ns}`] };
  const list: any[] =
    kind === "services"
      ? await (d.listServices as any)({ filters })
      : kind === "networks"
        ? await d.listNetworks({ filters })
        : kind === "secrets"
          ? await (d.listSecrets as any)({ filters })
          : kind === "configs"
            ? await (d.listConfigs as any)({ filters })
            : (((await d.listVolumes({ filters })) as any).Volumes ?? []);
  return list.map((x) => x.Spec?.Name ?? x.Name).sort();
}

beforeAll(async () => {
  b = await startBerth();
  file("token.txt", "s3cret");
  file("app.conf", "a=1\n");
}, 120_000);

afterAll(async () => {
  await b.cli(["stack", "rm", name, "--volumes"]);
  await b?.stop();
});

describe("compose stacks", () => {
  it("renders every create body without touching the swarm", async () => {
    const r = await b.cli(["stack", "render", "-c", file("v1.yml", v1), "--name", name, "--format", "json"], {
      GREETING: "render",
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.services.map((s: any) => s.Name).sort()).toEqual([`${ns}_extra`, `${ns}_talker`]);
    expect(out.networks.map((n: any) => n.Name)).toEqual([
      expect.stringMatching(/^berth-org-default/),
      `${ns}_back`,
    ]);
    expect(out.volumes.map((v: any) => v.Name)).toEqual([`${ns}_data`]);
    expect(out.secrets[0]).toMatchObject({ Data: "(sealed)", Labels: { "berth.stack": name } });
    expect(out.secrets[0].Name).toMatch(new RegExp(`^${ns}_token-[0-9a-f]{12}$`));
    expect(out.configs[0].Data).toBe(Buffer.from("a=1\n").toString("base64"));
    expect(
      out.services.find((s: any) => s.Name.endsWith("talker")).TaskTemplate.ContainerSpec.Args[2],
    ).toContain("from render");
    expect(await owned("services")).toEqual([]);
    expect(await owned("networks")).toEqual([]);
  });

  it("diffs, deploys, and shows its logs", async () => {
    const diff = await b.cli(["stack", "diff", "-c", join(dir, "v1.yml"), "--name", name]);
    expect(diff.stdout.trim().split("\n").sort()).toEqual([`+ ${name}/extra`, `+ ${name}/talker`]);
    const r = await b.cli(["stack", "deploy", "-c", join(dir, "v1.yml"), "--name", name], {
      GREETING: "berth",
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await owned("services")).toEqual([`${ns}_extra`, `${ns}_talker`]);
    expect(await owned("networks")).toEqual([`${ns}_back`]);
    expect((await owned("secrets")).length).toBe(1);
    expect((await owned("configs")).length).toBe(1);
    const logs = await until("the log lines", async () => {
      const l = await b.cli(["stack", "logs", name, "-s", "talker"]);
      return l.stdout.includes("line-3") ? l.stdout : undefined;
    });
    expect(logs).toContain(`${name}_talker | line-1 from berth`);
    const tail = await b.cli(["stack", "logs", name, "-s", "talker", "-n", "1", "--json"]);
    expect(
      tail.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).line),
    ).toEqual(["line-3 from berth"]);
    const unknown = await b.cli(["stack", "logs", name, "-s", "nope"]);
    expect(unknown.code).toBe(3);
    const ps = await b.cli(["stack", "ps", name, "--json"]);
    expect(JSON.parse(ps.stdout).stack.services.map((s: any) => s.name)).toEqual(["extra", "talker"]);
  }, 180_000);

  it("sees no drift in the stack it deployed, and sets a change by hand back, secret and config kept", async () => {
    const drift = async () =>
      JSON.parse((await b.cli(["drift", "--json"])).stdout).drift.filter((x: any) => x.stack === name);
    // Its own network, secret and config are named by id in Swarm, as the plan names them.
    expect(await drift()).toEqual([]);
    const talker = d.getService(`${ns}_talker`);
    const spec = (await talker.inspect()).Spec;
    const c = spec.TaskTemplate.ContainerSpec;
    await talker.update({
      ...spec,
      version: (await talker.inspect()).Version.Index,
      TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...c, Env: [...(c.Env ?? []), "HAND=1"] } },
    });
    expect(await drift()).toEqual([
      { kind: "changed", org: "default", stack: name, service: "talker", fields: ["env"] },
    ]);
    const r = await b.cli(["drift", "--repair"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await drift()).toEqual([]);
    const back = (await talker.inspect()).Spec.TaskTemplate.ContainerSpec;
    expect(back.Env ?? []).not.toContain("HAND=1");
    expect(back.Secrets?.map((x: any) => x.SecretName)).toEqual(c.Secrets?.map((x: any) => x.SecretName));
  }, 120_000);

  it("updates in place, replaces a changed secret, and prunes a removed service", async () => {
    file("token.txt", "s3cret-2");
    const v2 = v1.replace(/ {2}extra:\n {4}image: local\/httpd:1\n {4}networks: \[back\]\n/, "");
    const diff = await b.cli(["stack", "diff", "-c", file("v2.yml", v2), "--name", name, "--json"]);
    const byService = Object.fromEntries(
      JSON.parse(diff.stdout).services.map((s: any) => [s.service, s.action]),
    );
    expect(byService).toEqual({ talker: "update", extra: "remove" });
    const before = await owned("secrets");
    const r = await b.cli(["stack", "deploy", "-c", join(dir, "v2.yml"), "--name", name], {
      GREETING: "berth",
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await owned("services")).toEqual([`${ns}_talker`]);
    // The old secret goes once the old task has stopped.
    const after = await until("the old secret to go", async () => {
      const now = await owned("secrets");
      return now.length === 1 ? now : undefined;
    });
    expect(after).not.toEqual(before);
  }, 180_000);

  it("removes services, networks, secrets and configs, and volumes only when asked", async () => {
    const r = await b.cli(["stack", "rm", name, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await owned("services")).toEqual([]);
    expect(await owned("networks")).toEqual([]);
    expect(await owned("secrets")).toEqual([]);
    expect(await owned("configs")).toEqual([]);
    expect(await owned("volumes")).toEqual([`${ns}_data`]);
    // Deploy again and remove with --volumes.
    expect((await b.cli(["stack", "deploy", "-c", join(dir, "v2.yml"), "--name", name])).code).toBe(0);
    const all = await b.cli(["stack", "rm", name, "--volumes", "--json"]);
    expect(JSON.parse(all.stdout)).toMatchObject({ volumes: 1, left: [] });
    expect(await owned("volumes")).toEqual([]);
  }, 240_000);

  it.each([
    ["invalid YAML", "services:\n  web:\n    image: [unclosed\n", [], /v\.yml:\d+: invalid YAML/],
    [
      "a schema violation",
      "services:\n  web:\n    image: local/httpd:1\n    deploy:\n      replicas: many\n",
      [],
      /services\.web\.deploy\.replicas/,
    ],
    [
      "an undefined required variable",
      `services:\n  web:\n    image: $\{IMAGE:?set IMAGE to the image to run}\n`,
      [],
      /set IMAGE to the image to run/,
    ],
    [
      "a file over 1 MiB",
      `services:\n  web:\n    image: local/httpd:1\n#${"x".repeat(1024 * 1024)}\n`,
      [],
      /limit is 1 MiB/,
    ],
    [
      "a stack name docker would reject",
      "services:\n  web:\n    image: local/httpd:1\n",
      ["--name", "Bad_Name"],
      /--name: 'Bad_Name' must be lowercase/,
    ],
    [
      "an undefined volume",
      "services:\n  web:\n    image: local/httpd:1\n    volumes: [nope:/data]\n",
      [],
      /services\.web\.volumes\.0: volume 'nope' is not defined/,
    ],
  ])("refuses %s with exit 2 and creates nothing", async (_what, text, args, message) => {
    // Only this installation's objects: other test files create and remove theirs meanwhile.
    const mine = async () => {
      const filters = { label: [`berth.instance=${b.instance}`] };
      const [services, networks, secrets, configs] = await Promise.all([
        (d.listServices as any)({ filters }),
        d.listNetworks({ filters }),
        (d.listSecrets as any)({ filters }),
        (d.listConfigs as any)({ filters }),
      ]);
      return [services, networks, secrets, configs].map((l: any[]) => l.map((x) => x.ID).sort());
    };
    const before = await mine();
    const r = await b.cli(["stack", "deploy", "-c", file("v.yml", text), "--name", "bad", ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(await mine()).toEqual(before);
  });
});
