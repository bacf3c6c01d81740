// Templates of an organization: each `add` checks the file (config/template.ts parseTemplate) and
// stores it as the template's next version; earlier versions stay, so instances can keep running
// them and upgrade later.
import { parseTemplate } from "../config/template.js";
import { ConfigError } from "../domain/errors.js";
import { nameProblem } from "../domain/names.js";
import { orgIdOf } from "../store/stacks.js";
import {
  addTemplateVersion,
  getTemplate,
  listTemplates,
  type TemplateRow,
  templateVersions,
} from "../store/templates.js";
import { nextRuns } from "./backup-schedules.js";
import type { Platform } from "./platform.js";

export async function addTemplate(
  p: Platform,
  o: { org: string; name: string; file: string; source: string; requestedBy: string },
): Promise<TemplateRow> {
  const problem = nameProblem("stack", o.name);
  if (problem) throw new ConfigError("name", `template name ${problem}`);
  const spec = parseTemplate(o.file, o.source);
  // Checked as the schedule will read it, so that a bad expression is refused here and not by
  // every instance's creation, after its services were deployed.
  nextRuns(p, spec.backup.cron, { path: "x-berth-template.backup.cron" });
  return addTemplateVersion(p.db, {
    orgId: await orgIdOf(p.db, o.org),
    name: o.name,
    source: o.source,
    spec,
    createdBy: o.requestedBy,
  });
}

export async function viewTemplates(p: Platform, org: string) {
  return listTemplates(p.db, await orgIdOf(p.db, org));
}

export async function showTemplate(p: Platform, org: string, name: string, version?: number) {
  const orgId = await orgIdOf(p.db, org);
  const row = await getTemplate(p.db, orgId, name, version);
  return { template: row, versions: await templateVersions(p.db, orgId, name) };
}
