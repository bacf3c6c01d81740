import type { Command } from "commander";
import { defaultDataDir } from "../config/server-config.js";
import { ApiClient } from "./client.js";

export interface GlobalOptions {
  dataDir: string;
  url?: string;
  token?: string;
  org?: string;
}

export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as { dataDir?: string; url?: string; token?: string; org?: string };
  return {
    dataDir: o.dataDir ?? defaultDataDir(),
    ...(o.url ? { url: o.url } : {}),
    ...(o.token ? { token: o.token } : {}),
    ...(o.org ? { org: o.org } : {}),
  };
}

export function clientFor(cmd: Command): ApiClient {
  return new ApiClient(globalOptions(cmd));
}
