// The layout of a Berth data directory, shared by the server and the CLI.
import { join } from "node:path";

export const dataDirPaths = (dataDir: string) => ({
  /** Embedded PGlite database. */
  pgdata: join(dataDir, "pgdata"),
  /** The bootstrap admin API token, mode 0600. */
  adminToken: join(dataDir, "admin.token"),
  /** Written by a running control plane: its URL and pid. */
  serverInfo: join(dataDir, "server.json"),
  /** The generated first admin password, until `berth up` prints it once. */
  initialAdmin: join(dataDir, "initial-admin-password"),
  /** Held while a control plane uses this directory. */
  lock: join(dataDir, "berth.pid"),
  /** Output of a detached control plane. */
  log: join(dataDir, "berth.log"),
  /**
   * Bind-mounted into the routing proxy's container (mode 0700): Caddy's admin API listens on a unix
   * socket here, reachable by Berth (and root) on this host only.
   */
  proxySocketDir: join(dataDir, "proxy"),
});

export interface ServerInfo {
  url: string;
  pid: number;
  startedAt: string;
  /** The installation's id, the value of the `berth.instance` label on what it creates. */
  instance: string;
  /** The routing proxy's host ports (what `--http-port` and `--https-port` set). */
  proxy?: { httpPort: number; httpsPort: number };
}
