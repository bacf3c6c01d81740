// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose text with ${var} references is the subject here
import { describe, expect, it } from "vitest";
import { parseTemplate, renderTemplate, resolveValues } from "./template.js";

const BASE = `
x-berth-template:
  variables:
    domain: {type: domain, required: true}
    plan: {default: basic, pattern: "basic|pro"}
    replicas: {type: int, default: 2}
    debug: {type: bool, default: false}
    admin_password: {generate: password}
services:
  web:
    image: local/httpd:1
    environment: {PLAN: "\${plan}", DEBUG: "\${debug}", LITERAL: "$$HOME"}
    deploy: {replicas: "\${replicas}"}
    secrets: [admin_password]
    x-berth-domains: [{host: "\${domain}", port: 8080, tls: off}]
secrets:
  admin_password: {environment: admin_password}
`;

const withVars = (vars: string, service = '    environment: {A: "${a}"}') =>
  `x-berth-template:\n  variables:\n${vars}\nservices:\n  web:\n    image: local/httpd:1\n${service}\n`;

describe("parseTemplate", () => {
  it("reads the declarations, with defaults and the default backup schedule", () => {
    const spec = parseTemplate("t.yml", BASE);
    expect(spec.variables.plan).toEqual({
      type: "string",
      required: false,
      pattern: "basic|pro",
      default: "basic",
    });
    expect(spec.variables.admin_password).toEqual({ type: "string", required: false, generate: "password" });
    expect(spec.variables.debug?.default).toBe("false");
    expect(spec.backup).toEqual({ cron: "0 3 * * *", keepLast: 7 });
    expect(spec.databases).toBeUndefined();
  });

  it("reads the backup schedule's retention by day and week", () => {
    const text = BASE.replace(
      "x-berth-template:\n",
      'x-berth-template:\n  backup: {cron: "0 2 * * *", keep_last: 3, keep_daily: 7, keep_weekly: 4}\n',
    );
    expect(parseTemplate("t.yml", text).backup).toEqual({
      cron: "0 2 * * *",
      keepLast: 3,
      keepDaily: 7,
      keepWeekly: 4,
    });
  });

  it.each([
    ["keep_daily: -1", "x-berth-template.backup.keep_daily", "must be a whole number from 0 to 1000"],
    ["keep_weekly: 1.5", "x-berth-template.backup.keep_weekly", "must be a whole number from 0 to 1000"],
    ["keep_last: 0", "x-berth-template.backup.keep_last", "must be a whole number from 1 to 1000"],
    [
      "keep_monthly: 2",
      "x-berth-template.backup.keep_monthly",
      "unknown field (cron, keep_last, keep_daily, keep_weekly)",
    ],
  ])("refuses backup %s naming the field", (field, path, message) => {
    const text = BASE.replace("x-berth-template:\n", `x-berth-template:\n  backup: {${field}}\n`);
    expect(() => parseTemplate("t.yml", text)).toThrow(`${path}: ${message}`);
  });

  it("reads the databases each instance gets, named by services", () => {
    const text = withVars("    a: {}", "    x-berth-databases: [main]").replace(
      "  variables:",
      "  databases: [main, audit]\n  variables:",
    );
    expect(parseTemplate("t.yml", text).databases).toEqual(["main", "audit"]);
  });

  it.each([
    [withVars("    b: {}"), "t.yml services.web.environment.A: uses ${a}, which is not declared"],
    [
      withVars('    a: {pattern: "(["}'),
      "x-berth-template.variables.a.pattern: is not a valid regular expression",
    ],
    [
      withVars("    a: {type: float}"),
      "x-berth-template.variables.a.type: must be one of string, int, bool, domain",
    ],
    [
      withVars("    a: {type: int, default: x}"),
      "x-berth-template.variables.a.default: must be a whole number",
    ],
    [
      withVars('    a: {default: gold, pattern: "basic|pro"}'),
      "variables.a.default: 'gold' does not match the pattern basic|pro",
    ],
    [
      withVars("    a: {generate: password}"),
      "uses generated variable a; a generated value reaches a service only as a secret",
    ],
    [
      withVars("    a: {generate: password, required: true}"),
      "variables.a.generate: a generated variable takes no default",
    ],
    [withVars("    a: {colour: red}"), "variables.a.colour: unknown field"],
    [withVars("    a: {}", '    deploy: {replicas: "${a}"}'), "replicas"],
    [withVars("    a: {}", "    env_file: x.env"), "services.web.env_file: a template cannot read files"],
    [
      withVars("    a: {}", "    x-berth-databases: [main]"),
      "t.yml services.web.x-berth-databases.0: names database 'main', which is not declared under x-berth-template.databases",
    ],
    [
      withVars("    a: {}", "").replace("  variables:", "  databases: [Main_DB]\n  variables:"),
      "x-berth-template.databases.0: a database key is 1 to 8 lowercase letters",
    ],
    [
      withVars("    a: {}", "").replace("  variables:", "  databases: [main, main]\n  variables:"),
      "x-berth-template.databases: lists a database twice",
    ],
    [
      withVars("    a: {}", "").replace("  variables:", "  databases: main\n  variables:"),
      "x-berth-template.databases: must be a list of database keys",
    ],
  ])("refuses %#", (text, message) => {
    expect(() => parseTemplate("t.yml", text)).toThrow(message);
  });
});

describe("resolveValues", () => {
  const spec = parseTemplate("t.yml", BASE);
  const generate = () => "generated";

  it("takes given values, defaults, and generates secrets (kept ones stay)", () => {
    expect(resolveValues(spec, { given: { domain: "Acme.Example.COM", debug: "TRUE" }, generate })).toEqual({
      values: { domain: "acme.example.com", plan: "basic", replicas: "2", debug: "true" },
      secrets: { admin_password: "generated" },
    });
    expect(
      resolveValues(spec, { given: { domain: "a.example.com" }, kept: { admin_password: "old" }, generate })
        .secrets,
    ).toEqual({ admin_password: "old" });
  });

  it.each([
    [{ domain: "a.example.com", colour: "red" }, "set.colour: is not a variable of this template"],
    [{}, "set.domain: is required"],
    [{ domain: "a.example.com", plan: "gold" }, "set.plan: 'gold' does not match the pattern basic|pro"],
    [{ domain: "a.example.com", replicas: "two" }, "set.replicas: must be a whole number"],
    [{ domain: "not a host" }, "set.domain"],
    [{ domain: "a.example.com", admin_password: "mine" }, "set.admin_password: is generated by Berth"],
  ])("refuses %j", (given, message) => {
    expect(() => resolveValues(spec, { given, generate })).toThrow(message);
  });
});

describe("renderTemplate", () => {
  it("puts the values in; generated ones arrive only as secrets", () => {
    const { model } = renderTemplate({
      file: "t",
      text: BASE,
      values: { domain: "a.example.com", plan: "pro", replicas: "3", debug: "false", admin_password: "pw" },
      org: "default",
      stack: "acme",
    });
    const web = model.services[0]!;
    expect(web.env).toEqual({ PLAN: "pro", DEBUG: "false", LITERAL: "$HOME" });
    expect(web.replicas).toBe(3);
    expect(web.domains?.[0]?.host).toBe("a.example.com");
    expect(model.secrets?.admin_password?.data).toBe(Buffer.from("pw").toString("base64"));
  });
});
