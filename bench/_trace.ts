import { join } from "node:path";
import { freePort, ROOT } from "../test/helpers/berth.js";
import { benchBerth } from "./lib.js";

const b = await benchBerth({
  BERTH_HTTP_PORT: String(await freePort()),
  BERTH_HTTPS_PORT: String(await freePort()),
  BERTH_PROXY_IMAGE: "local/caddy:2",
  BERTH_POSTGRES_IMAGE: "local/postgres:15",
  BERTH_POSTGRES_PORT: String(await freePort()),
  BERTH_BACKUP_HELPER_IMAGE: "local/httpd:1",
});
await b.cli(["template", "add", "-f", join(ROOT, "examples/customer-app/template.yml"), "--name", "t"]);
await b.cli(["instance", "create", "t", "--name", "warm", "--set", `domain=warm.x.test`]);
const t0 = Date.now();
await Promise.all(
  ["s1", "s2", "s3", "s4"].map((name) =>
    b.cli(["instance", "create", "t", "--name", name, "--set", `domain=${name}.x.test`]),
  ),
);
console.log("4 parallel", Date.now() - t0, "ms");
const jobs = (await b.api("GET", "/api/v1/jobs?limit=50")).body.jobs;
for (const j of jobs.slice(0, 14).reverse()) {
  const full = (await b.api("GET", `/api/v1/jobs/${j.id}`)).body;
  console.log(
    "JOB",
    j.type,
    j.target,
    j.createdAt.slice(11),
    j.startedAt?.slice(11),
    j.finishedAt?.slice(11),
  );
  for (const l of full.logs ?? full.job?.logs ?? [])
    console.log("   ", (l.at ?? l.time).slice(11), l.message);
}
for (const name of ["warm", "s1", "s2", "s3", "s4"])
  await b.api("DELETE", `/api/v1/instances/${name}?finalBackup=false`);
await new Promise((r) => setTimeout(r, 15000));
await b.stop();
