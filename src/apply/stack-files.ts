// A stack's secrets and configs: named by a keyed digest of their content and sealed at rest before a
// revision is stored; referred to by id in the specs the Engine gets.
import { ConfigError } from "../domain/errors.js";
import type { StackModel } from "../domain/stack.js";
import type { SwarmServiceSpec } from "../plan/swarm-types.js";
import type { Sealer } from "../security/sealer.js";

/**
 * Names each secret and config by a keyed digest of its content and seals secret values, so that the
 * stored revision never holds a secret in the clear. Values already sealed are left alone.
 */
export function sealFiles(sealer: Sealer, model: StackModel): StackModel {
  const seal = (defs: StackModel["secrets"], secret: boolean) =>
    defs &&
    Object.fromEntries(
      Object.entries(defs).map(([k, f]) => {
        if (f.external || f.digest || f.data === undefined) return [k, f];
        const plain = Buffer.from(f.data, "base64");
        return [k, { ...f, digest: sealer.digest(plain), data: secret ? sealer.seal(plain) : f.data }];
      }),
    );
  return {
    ...model,
    ...(model.secrets ? { secrets: seal(model.secrets, true) } : {}),
    ...(model.configs ? { configs: seal(model.configs, false) } : {}),
  };
}

/** The Engine needs the id of every secret and config a service references. */
export function withFileIds(spec: SwarmServiceSpec, ids: Map<string, string>): SwarmServiceSpec {
  const c = spec.TaskTemplate.ContainerSpec;
  if (!c.Secrets && !c.Configs) return spec;
  const fill = (kind: "secret" | "config", name: string) => {
    const id = ids.get(`${kind}/${name}`);
    if (!id) throw new ConfigError(`${kind}s`, `${kind} '${name}' does not exist`);
    return id;
  };
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...c,
        ...(c.Secrets
          ? { Secrets: c.Secrets.map((r) => ({ ...r, SecretID: fill("secret", r.SecretName!) })) }
          : {}),
        ...(c.Configs
          ? { Configs: c.Configs.map((r) => ({ ...r, ConfigID: fill("config", r.ConfigName!) })) }
          : {}),
      },
    },
  };
}
