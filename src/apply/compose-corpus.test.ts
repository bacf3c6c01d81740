// Real compose files from public projects (test/compose-corpus/, see its README), each read the way
// `berth stack deploy -c` reads it (the CLI's loadCompose, with the folder's .env as the shell's
// environment, as a user of docker compose would have it), converted as the server converts it, and
// rendered into the Engine bodies Berth would send. Each file either renders, with its warnings, or
// fails with an error naming the file and field. The outcome, with the tenant policy's verdict, is
// kept beside each file (outcome.json): a change in any of them shows as a snapshot difference.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCompose, parseEnvFile } from "../config/compose/index.js";
import { ConfigError } from "../domain/errors.js";
import { checkPolicy } from "../plan/policy.js";
import { DEFAULT_UPDATE_MONITOR } from "../plan/service-spec.js";
import { planStackDeploy } from "../plan/stack-deploy.js";
import { createSealer } from "../security/sealer.js";
import { parseComposeRequest } from "./compose.js";
import { sealFiles } from "./stack-files.js";

const ROOT = "test/compose-corpus";
const projects = readdirSync(ROOT)
  .filter((d) => existsSync(join(ROOT, d, "compose.yml")))
  .sort();
const sealer = createSealer(Buffer.alloc(32, 7));
const RANGE = { from: 30000, to: 32767 };

function outcome(project: string) {
  const dir = join(ROOT, project);
  const file = join(dir, "compose.yml");
  const envFile = join(dir, ".env");
  const env = {
    HOME: "/home/user",
    ...(existsSync(envFile) ? parseEnvFile(readFileSync(envFile, "utf8"), envFile) : {}),
  };
  try {
    const doc = loadCompose([{ name: file, text: readFileSync(file, "utf8") }], {
      env,
      readFile: (p) => readFileSync(p),
    });
    const { name: _name, ...compose } = doc;
    const { model, warnings } = parseComposeRequest({ name: project.slice(0, 24), compose }, "corpus");
    const { steps, objects } = planStackDeploy(
      sealFiles(sealer, model),
      { live: new Map(), usedHostPorts: new Set() },
      {
        deploymentId: "(corpus)",
        instance: "corpus",
        namespace: `corpus_${model.name}`,
        network: "berth-org-corpus",
        routingMesh: false,
        hostPortRange: RANGE,
        updateMonitor: DEFAULT_UPDATE_MONITOR,
      },
    );
    const policy = checkPolicy(model, {}, RANGE).map((v) => `${v.path}: ${v.rule}`);
    return {
      renders: true,
      warnings,
      policy,
      services: steps.map((s) => s.spec),
      networks: objects.networks,
      volumes: objects.volumes,
      secrets: objects.secrets.map((s) => ({ ...s, Data: "(sealed)" })),
      configs: objects.configs,
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { renders: false, error: err.message };
  }
}

describe("the compose corpus", () => {
  it("holds at least 30 projects", () => expect(projects.length).toBeGreaterThanOrEqual(30));

  it.each(projects)("%s renders, or fails naming the file and field", async (project) => {
    const out = outcome(project);
    if (out.renders) {
      for (const w of out.warnings ?? []) console.log(`${project}: ${w.split("\n")[0]}`);
    } else {
      console.log(`${project}: refused: ${out.error}`);
      // A refusal names where: the file (with its line) or a path into the document.
      expect(out.error).toMatch(
        /^(test\/compose-corpus\/[\w.-]+\/compose\.yml(:\d+)? )?[\w.-]+(\.[\w.-]+)*: /,
      );
    }
    const text = `${JSON.stringify(out, null, 2).replaceAll(process.cwd(), "<repo>")}\n`;
    await expect(text).toMatchFileSnapshot(join("..", "..", ROOT, project, "outcome.json"));
  });
});
