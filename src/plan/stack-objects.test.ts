import { describe, expect, it } from "vitest";
import type { NetworkRefModel, ServiceModel, StackModel } from "../domain/stack.js";
import { planStackObjects, type StackObjectsContext } from "./stack-objects.js";

const ctx: StackObjectsContext = { instance: "i1", namespace: "acme_shop", orgNetwork: "org-net-id" };

/** The labels of every object the stack owns, sorted by key. */
const OWNED = {
  "berth.instance": "i1",
  "berth.managed": "true",
  "berth.org": "acme",
  "berth.stack": "shop",
  "com.docker.stack.namespace": "acme_shop",
};

const svc = (name: string, networks?: NetworkRefModel[]): ServiceModel => ({
  name,
  image: "nginx:1",
  env: {},
  ports: [],
  replicas: 1,
  resources: { cpus: 0.5, memoryBytes: 268435456 },
  ...(networks ? { networks } : {}),
});

const stack = (rest: Partial<StackModel>): StackModel => ({
  org: "acme",
  name: "shop",
  services: [svc("web")],
  ...rest,
});

const net = (name: string, ...aliases: string[]): NetworkRefModel => ({ name, aliases });

const overlay = (name: string) => ({
  Name: name,
  Driver: "overlay",
  Attachable: false,
  CheckDuplicate: true,
  Labels: OWNED,
});

describe("planStackObjects: networks", () => {
  it.each<[string, StackModel, string[]]>([
    ["short form (networks unset): none", stack({}), []],
    [
      "compose, a service without networks: the default network",
      stack({ networks: {} }),
      ["acme_shop_default"],
    ],
    [
      "compose, every service names its networks: no default network",
      stack({ networks: { front: {} }, services: [svc("web", [net("front")])] }),
      ["acme_shop_front"],
    ],
    [
      "compose, one service without networks: the default network too, after the defined ones",
      stack({ networks: { front: {} }, services: [svc("web", [net("front")]), svc("db")] }),
      ["acme_shop_front", "acme_shop_default"],
    ],
    [
      "unused networks are not created",
      stack({ networks: { front: {}, unused: {} }, services: [svc("web", [net("front")])] }),
      ["acme_shop_front"],
    ],
    [
      "external networks are not created",
      stack({ networks: { ext: { external: "shared" } }, services: [svc("web", [net("ext")])] }),
      [],
    ],
    [
      "short form with several services: none",
      stack({ networks: undefined, services: [svc("web"), svc("db")] }),
      [],
    ],
  ])("%s", (_name, model, names) => {
    expect(planStackObjects(model, ctx).networks.map((n) => n.Name)).toEqual(names);
  });

  it("creates the default network as a plain overlay with the stack's labels", () => {
    expect(planStackObjects(stack({ networks: {} }), ctx).networks).toEqual([overlay("acme_shop_default")]);
  });

  it("keeps a user-defined default network", () => {
    const model = stack({ networks: { default: { driver: "bridge", attachable: true } } });
    expect(planStackObjects(model, ctx).networks).toEqual([
      { ...overlay("acme_shop_default"), Driver: "bridge", Attachable: true },
    ]);
  });

  it("builds a network spec from every option, keeping the owner labels over the user's", () => {
    const model = stack({
      networks: {
        front: {
          driver: "overlay",
          driverOpts: { encrypted: "" },
          labels: { team: "web", "berth.org": "evil" },
          attachable: true,
          internal: true,
          ipam: { config: [{ subnet: "10.9.0.0/24", gateway: "10.9.0.1", ipRange: "10.9.0.128/25" }, {}] },
        },
      },
      services: [svc("web", [net("front")])],
    });
    const [spec] = planStackObjects(model, ctx).networks;
    expect(spec).toEqual({
      Name: "acme_shop_front",
      Driver: "overlay",
      Attachable: true,
      Internal: true,
      CheckDuplicate: true,
      Labels: { ...OWNED, team: "web" },
      Options: { encrypted: "" },
      IPAM: {
        Driver: "default",
        Config: [{ Subnet: "10.9.0.0/24", Gateway: "10.9.0.1", IPRange: "10.9.0.128/25" }, {}],
      },
    });
    expect(Object.keys(spec!.Labels)).toEqual(Object.keys(spec!.Labels).sort());
  });

  it("leaves Internal unset for internal: false and keeps an IPAM driver", () => {
    const model = stack({
      networks: { front: { internal: false, ipam: { driver: "custom", config: [] } } },
      services: [svc("web", [net("front")])],
    });
    const [spec] = planStackObjects(model, ctx).networks;
    expect(spec).not.toHaveProperty("Internal");
    expect(spec!.IPAM).toEqual({ Driver: "custom", Config: [] });
  });

  // BUG: to-model accepts an explicit `networks: [default]` without a top-level definition, but the
  // default network is only created when some service names no networks, so the service joins a
  // network that is never created.
  it("creates the default network when a service names it explicitly", () => {
    const model = stack({ networks: {}, services: [svc("web", [net("default")])] });
    const objects = planStackObjects(model, ctx);
    expect(objects.serviceNetworks.web).toEqual([
      { Target: "org-net-id" },
      { Target: "acme_shop_default", Aliases: ["web"] },
    ]);
    expect(objects.networks.map((n) => n.Name)).toEqual(["acme_shop_default"]);
  });
});

describe("planStackObjects: service networks", () => {
  it.each<[string, StackModel, StackObjectsContext, Record<string, unknown>]>([
    ["short form: only the org network", stack({}), ctx, { web: [{ Target: "org-net-id" }] }],
    [
      "compose default: the org network, then the default network aliased by service name",
      stack({ networks: {}, services: [svc("web"), svc("db")] }),
      ctx,
      {
        web: [{ Target: "org-net-id" }, { Target: "acme_shop_default", Aliases: ["web"] }],
        db: [{ Target: "org-net-id" }, { Target: "acme_shop_default", Aliases: ["db"] }],
      },
    ],
    [
      "user aliases then the service name, networks sorted by name",
      stack({
        networks: { zeta: {}, alpha: {} },
        services: [svc("web", [net("zeta", "z", "www"), net("alpha")])],
      }),
      ctx,
      {
        web: [
          { Target: "org-net-id" },
          { Target: "acme_shop_alpha", Aliases: ["web"] },
          { Target: "acme_shop_zeta", Aliases: ["z", "www", "web"] },
        ],
      },
    ],
    [
      "networks sort by their Swarm names, external ones by their own name",
      stack({
        networks: { a: { external: "zz-shared" }, b: {} },
        services: [svc("web", [net("a"), net("b")])],
      }),
      ctx,
      {
        web: [
          { Target: "org-net-id" },
          { Target: "acme_shop_b", Aliases: ["web"] },
          { Target: "zz-shared", Aliases: ["web"] },
        ],
      },
    ],
    [
      "existing networks are referenced by id",
      stack({
        networks: { front: {}, back: {}, ext: { external: "shared" } },
        services: [svc("web", [net("front", "www"), net("back"), net("ext")])],
      }),
      {
        ...ctx,
        networkIds: new Map([
          ["acme_shop_front", "id-front"],
          ["shared", "id-shared"],
        ]),
      },
      {
        web: [
          { Target: "org-net-id" },
          { Target: "acme_shop_back", Aliases: ["web"] },
          { Target: "id-front", Aliases: ["www", "web"] },
          { Target: "id-shared", Aliases: ["web"] },
        ],
      },
    ],
    [
      "an external network without an id is referenced by name",
      stack({ networks: { ext: { external: "shared" } }, services: [svc("web", [net("ext")])] }),
      { ...ctx, networkIds: new Map() },
      { web: [{ Target: "org-net-id" }, { Target: "shared", Aliases: ["web"] }] },
    ],
  ])("%s", (_name, model, context, expected) => {
    expect(planStackObjects(model, context).serviceNetworks).toEqual(expected);
  });

  it("does not change the model's aliases", () => {
    const ref = net("front", "www");
    planStackObjects(stack({ networks: { front: {} }, services: [svc("web", [ref])] }), ctx);
    expect(ref.aliases).toEqual(["www"]);
  });
});

describe("planStackObjects: volumes", () => {
  it("scopes stack volumes and passes external ones through", () => {
    const model = stack({
      volumes: {
        data: { driver: "local", driverOpts: { type: "nfs" }, labels: { backup: "yes" } },
        plain: {},
        ext: { external: "shared-vol" },
      },
    });
    expect(planStackObjects(model, ctx).volumes).toEqual({
      data: {
        name: "acme_shop_data",
        labels: { ...OWNED, backup: "yes" },
        driver: "local",
        driverOpts: { type: "nfs" },
      },
      plain: { name: "acme_shop_plain", labels: OWNED },
      ext: { external: "shared-vol" },
    });
  });

  it("has no volumes when the model has none", () => {
    expect(planStackObjects(stack({}), ctx).volumes).toEqual({});
  });
});

describe("planStackObjects: secrets and configs", () => {
  it("names secrets <org>-<stack>_<key>-<digest> with the stack's labels", () => {
    const model = stack({
      secrets: {
        db: { data: "c2VhbGVk", digest: "abc123def456", labels: { purpose: "db" } },
        ext: { external: "shared-secret" },
      },
    });
    const objects = planStackObjects(model, ctx);
    expect(objects.secrets).toEqual([
      { Name: "acme_shop_db-abc123def456", Labels: { ...OWNED, purpose: "db" }, Data: "c2VhbGVk" },
    ]);
    expect(Object.keys(objects.secrets[0]!.Labels)).toEqual([
      "berth.instance",
      "berth.managed",
      "berth.org",
      "berth.stack",
      "com.docker.stack.namespace",
      "purpose",
    ]);
    expect(objects.secretNames).toEqual({ db: "acme_shop_db-abc123def456", ext: "shared-secret" });
    expect(objects.configs).toEqual([]);
    expect(objects.configNames).toEqual({});
  });

  it.each<[string, StackModel["configs"], unknown[], Record<string, string>]>([
    [
      "a templated config",
      { conf: { data: "eA==", digest: "d1", templateDriver: "golang" } },
      [{ Name: "acme_shop_conf-d1", Labels: OWNED, Data: "eA==", Templating: { Name: "golang" } }],
      { conf: "acme_shop_conf-d1" },
    ],
    [
      "a config without data",
      { conf: { digest: "d2" } },
      [{ Name: "acme_shop_conf-d2", Labels: OWNED, Data: "" }],
      { conf: "acme_shop_conf-d2" },
    ],
    ["an external config", { conf: { external: "shared-conf" } }, [], { conf: "shared-conf" }],
    ["no configs", undefined, [], {}],
  ])("plans %s", (_name, configs, specs, names) => {
    const objects = planStackObjects(stack({ configs }), ctx);
    expect(objects.configs).toEqual(specs);
    expect(objects.configNames).toEqual(names);
  });
});
