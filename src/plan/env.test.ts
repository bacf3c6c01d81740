import { describe, expect, it } from "vitest";
import type { ServiceModel, StackModel } from "../domain/stack.js";
import { envChanges, serviceEnv, withEnvironment } from "./env.js";

const svc = (name: string, env: ServiceModel["env"] = {}): ServiceModel => ({
  name,
  image: "local/httpd:1",
  env,
  ports: [],
  replicas: 2,
  resources: { cpus: 0.5, memoryBytes: 1 << 28 },
});
const stack = (...services: ServiceModel[]): StackModel => ({ org: "acme", name: "shop", services });

describe("serviceEnv", () => {
  it("reads the only service's variables, sorted", () => {
    expect(serviceEnv(stack(svc("web", { B: "2", A: "1", C: null })), {})).toEqual({
      service: "web",
      environment: { A: "1", B: "2", C: null },
    });
  });
  it("needs the service's name in a stack of several, and refuses one it does not have", () => {
    const s = stack(svc("web"), svc("db", { X: "y" }));
    expect(() => serviceEnv(s, {})).toThrow(/has 2 services \(db, web\); name one/);
    expect(() => serviceEnv(s, { service: "cache" })).toThrow(/shop\/cache/);
    expect(serviceEnv(s, { service: "db" }).environment).toEqual({ X: "y" });
  });
});

describe("withEnvironment", () => {
  it("replaces one service's variables, leaves the rest of the model as it was", () => {
    const before = stack(svc("web", { A: "1", B: "2" }), svc("db", { X: "y" }));
    const r = withEnvironment(before, { service: "web", environment: { B: "3", C: "4" } });
    expect(r.service).toBe("web");
    expect(r.model.services).toEqual([svc("web", { B: "3", C: "4" }), svc("db", { X: "y" })]);
    expect(r.changes).toEqual({ added: ["C"], removed: ["A"], changed: ["B"] });
    expect(before.services[0]!.env).toEqual({ A: "1", B: "2" });
  });
});

describe("envChanges", () => {
  it.each<[string, ServiceModel["env"], ServiceModel["env"], ReturnType<typeof envChanges>]>([
    ["nothing", { A: "1" }, { A: "1" }, { added: [], removed: [], changed: [] }],
    ["a bare name given a value", { A: null }, { A: "" }, { added: [], removed: [], changed: ["A"] }],
    ["all at once", { A: "1", B: "1" }, { B: "2", C: "1" }, { added: ["C"], removed: ["A"], changed: ["B"] }],
  ])("%s", (_name, before, after, want) => {
    expect(envChanges(before, after)).toEqual(want);
  });
});
