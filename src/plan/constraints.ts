// Swarm's placement constraints, read and matched as swarmkit does (manager/constraint): `key==value`
// or `key!=value`; values compare without regard to case, label names with it; a node without the
// attribute or label has the empty value (so `!=` matches it); an unknown key matches no node.
import { BlockList, isIP } from "node:net";
import type { ObservedNode } from "./observed.js";

export interface Constraint {
  key: string;
  op: "==" | "!=";
  value: string;
}

const KEY = /^[a-z_][a-z0-9\-_.]+$/i;
// No operators beyond == and != (swarmkit keeps <, >, ~ free for later).
const VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;
const NODE_LABEL = "node.labels.";
const ENGINE_LABEL = "engine.labels.";

/** Reads one constraint as Swarm does; a problem string when Swarm would refuse it. */
export function parseConstraint(text: string): Constraint | string {
  // Swarm tries `==` before `!=`.
  const op = text.includes("==") ? "==" : text.includes("!=") ? "!=" : undefined;
  if (!op) return `'${text}' has no operator (== or !=)`;
  const at = text.indexOf(op);
  const key = text.slice(0, at).trim();
  const value = text.slice(at + op.length).trim();
  if (!KEY.test(key)) return `'${text}': the key '${key}' is not valid`;
  if (!VALUE.test(value)) return `'${text}': the value '${value}' is not valid`;
  return { key, op, value };
}

/** Whether the node satisfies every constraint. */
export function nodeMatches(constraints: readonly Constraint[], node: ObservedNode): boolean {
  return constraints.every((c) => matchesOne(c, node));
}

function matchesOne(c: Constraint, n: ObservedNode): boolean {
  const key = c.key.toLowerCase();
  if (key === "node.ip") return ipMatches(c, n.address);
  const actual =
    key === "node.id"
      ? n.id
      : key === "node.hostname"
        ? n.hostname
        : key === "node.role"
          ? n.role
          : key === "node.platform.os"
            ? n.platform.os
            : key === "node.platform.arch"
              ? n.platform.arch
              : key.startsWith(NODE_LABEL) && key.length > NODE_LABEL.length
                ? (n.labels[c.key.slice(NODE_LABEL.length)] ?? "")
                : key.startsWith(ENGINE_LABEL) && key.length > ENGINE_LABEL.length
                  ? (n.engineLabels[c.key.slice(ENGINE_LABEL.length)] ?? "")
                  : undefined;
  if (actual === undefined) return false;
  const equal = actual.toLowerCase() === c.value.toLowerCase();
  return c.op === "==" ? equal : !equal;
}

/** `node.ip` takes an address or a CIDR subnet; a malformed one matches no node. */
function ipMatches(c: Constraint, address: string | undefined): boolean {
  const [ip = "", bits] = c.value.split("/");
  const family = isIP(ip);
  const max = family === 4 ? 32 : 128;
  if (!family || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  const list = new BlockList();
  if (bits === undefined) list.addAddress(ip, type);
  else list.addSubnet(ip, Number(bits), type);
  const within = !!address && isIP(address) === family && list.check(address, type);
  return c.op === "==" ? within : !within;
}
