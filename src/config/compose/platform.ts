// A service's `platform:` (`os[/arch[/variant]]`, docker's names). Swarm has no per-service platform:
// it places by the nodes' reported platform, so the value becomes placement constraints in the names
// Swarm reports (`uname -m` style: x86_64, aarch64), and the warning says so.
import { ConfigError } from "../../domain/errors.js";

/** docker's architecture names -> what Swarm reports as a node's `node.platform.arch`. */
const ARCH: Record<string, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  "arm/v8": "aarch64",
  arm: "armv7l",
  "arm/v7": "armv7l",
  "arm/v6": "armv6l",
  "386": "i686",
};

export function platformConstraints(platform: string, path: string): string[] {
  const m = /^([a-z0-9]+)(?:\/([a-z0-9_]+)(?:\/([a-z0-9]+))?)?$/i.exec(platform.trim());
  if (!m) throw new ConfigError(path, `'${platform}' is not a platform (like linux/amd64 or linux/arm64)`);
  const [, os, arch, variant] = m as unknown as [string, string, string?, string?];
  const out = [`node.platform.os==${os.toLowerCase()}`];
  if (arch) {
    const a = arch.toLowerCase();
    const v = variant?.toLowerCase();
    out.push(`node.platform.arch==${ARCH[v ? `${a}/${v}` : a] ?? ARCH[a] ?? a}`);
  }
  return out;
}

/** The line printed with the stack's warnings. */
export function platformWarning(service: string, platform: string, constraints: string[]): string {
  return `Service ${service}: platform ${platform} is deployed as placement constraints ${constraints.join(", ")} (Swarm has no per-service platform)`;
}
