// Boots the control plane: lock the data directory, open the database, reach Docker and the swarm,
// resume unfinished work, then serve the API. Each failure is one line that says what to do.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { fireSchedule } from "../apply/backup-schedules.js";
import { runBackup, runVerify, sweepHelpers } from "../apply/backups.js";
import { BUILD_JOB, dropBuildContext, runBuild } from "../apply/build.js";
import { certificateExpiries, createCertificateBook, startCertificateWatch } from "../apply/certificates.js";
import { runDatabaseBackup, runDatabaseRestore } from "../apply/database-backups.js";
import { runCreateDatabase, runRemoveDatabase } from "../apply/databases.js";
import { DEPLOY_JOB, runDeploy } from "../apply/deploy.js";
import { settleEndedDeployment } from "../apply/deploy-queue.js";
import { runInstance } from "../apply/instance-jobs.js";
import { ISOLATION_JOB, runVerifyIsolation } from "../apply/isolation.js";
import { createObserver } from "../apply/observer.js";
import type { Platform } from "../apply/platform.js";
import { PROXY_SYNC_JOB, runProxySync, startProxyWatch } from "../apply/proxy.js";
import { RECONCILE_JOB, runReconcile, startDriftWatch } from "../apply/reconcile.js";
import { RESTART_JOB, runRestart } from "../apply/restart.js";
import { runRestore } from "../apply/restore.js";
import { REMOVE_JOB, runRemoveStack } from "../apply/stack-remove.js";
import { MAX_BUILD_CONTEXT_BYTES } from "../config/build.js";
import { dataDirPaths, type ServerInfo } from "../config/data-dir.js";
import type { ServerConfig } from "../config/server-config.js";
import { BACKUP_JOB, BACKUP_SCHEDULE_TRIGGER, RESTORE_JOB, VERIFY_JOB } from "../domain/backup.js";
import { DB_BACKUP_JOB, DB_CREATE_JOB, DB_REMOVE_JOB, DB_RESTORE_JOB } from "../domain/databases.js";
import { ConfigError, Unavailable } from "../domain/errors.js";
import { INSTANCE_JOB } from "../domain/template.js";
import { createImageBuilder } from "../engine/builder.js";
import { createPostgresExec } from "../engine/postgres-exec.js";
import { createCaddyAdmin } from "../engine/proxy-admin.js";
import { createImageRegistry } from "../engine/registry.js";
import { createSwarmEngine } from "../engine/swarm.js";
import { createVolumeArchiver } from "../engine/volume-archiver.js";
import { createJobQueue } from "../jobs/queue.js";
import { createChangeFeed } from "../observability/changes.js";
import { createMetrics } from "../observability/metrics.js";
import { MIGRATE_REQ_SYSCTL_PATH } from "../plan/proxy-stack.js";
import { backupKey } from "../security/backup-key.js";
import { createSealer, loadMasterKey } from "../security/sealer.js";
import { openDatabase, redactUrl } from "../store/db.js";
import { instanceId } from "../store/settings.js";
import { failOrphanedDeployments } from "../store/stacks.js";
import { buildApp } from "./app.js";
import { ensureAdminToken } from "./auth.js";
import { bootstrapIdentity } from "./bootstrap.js";
import { acquireLock } from "./lock.js";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ConfigError(
      "--data-dir (BERTH_DATA_DIR)",
      `cannot create ${config.dataDir}: ${(err as Error).message}`,
    );
  }
  const release = acquireLock(config.dataDir);
  const cleanup: (() => Promise<void> | void)[] = [release];
  const closeAll = async () => {
    for (const fn of cleanup.reverse()) await fn();
  };
  try {
    const log = pino({ level: config.logLevel, base: { service: "berth" } });
    const engine = createSwarmEngine({ routingMesh: config.routingMesh });
    await engine.ping();

    const paths = dataDirPaths(config.dataDir);
    if (!config.databaseUrl && existsSync(paths.adminToken) && !existsSync(paths.pgdata)) {
      throw new Unavailable(
        `${config.dataDir} was used before but its database (pgdata) is missing; restore it from a backup, or remove the directory to start empty`,
      );
    }
    const database = await openDatabase(
      config.databaseUrl
        ? { kind: "postgres", url: config.databaseUrl }
        : { kind: "pglite", dir: paths.pgdata },
    );
    cleanup.push(() => database.close());
    log.info({ database: config.databaseUrl ? redactUrl(config.databaseUrl) : "embedded" }, "database ready");

    const cluster = await engine.ensureCluster(
      config.advertiseAddr ? { advertiseAddr: config.advertiseAddr } : {},
    );
    log.info(cluster, cluster.initialized ? "swarm initialized" : "swarm ready");

    const metrics = createMetrics();
    const changes = createChangeFeed();
    const jobs = createJobQueue({ database, log, metrics, changes });
    const platform: Platform = {
      db: database.db,
      instanceId: await instanceId(database.db),
      dataDir: config.dataDir,
      engine,
      jobs,
      cluster,
      log,
      hostPortRange: config.hostPorts,
      updateMonitor: config.updateMonitorMs * 1_000_000,
      rolloutTimeoutMs: config.rolloutTimeoutMs,
      revisionHistory: config.revisionHistory,
      sealer: createSealer(loadMasterKey(config.dataDir)),
      refreshServices: async () => {},
      onServiceEvent: () => () => {},
      proxy: {
        image: config.proxyImage,
        httpPort: config.httpPort,
        httpsPort: config.httpsPort,
        socketDir: paths.proxySocketDir,
        acme: {
          ...(config.acmeEmail ? { email: config.acmeEmail } : {}),
          ...(config.acmeDirectory ? { directory: config.acmeDirectory } : {}),
          ...(config.acmeCaRoot ? { caRootFile: config.acmeCaRoot } : {}),
        },
        syncIntervalMs: config.proxySyncIntervalMs,
        adminWaitMs: config.proxyAdminTimeoutMs,
        ...(config.proxyNodeLabel ? { nodeLabel: config.proxyNodeLabel } : {}),
        migrateRequests: existsSync(MIGRATE_REQ_SYSCTL_PATH),
      },
      certificates: createCertificateBook({
        refreshMs: config.certCheckIntervalMs,
        // Nothing good served yet (an ACME order in flight): checked again soon.
        retryMs: Math.max(2000, 2 * config.proxySyncIntervalMs),
      }),
      proxyAdmin: createCaddyAdmin(join(paths.proxySocketDir, "admin.sock"), {
        host: "127.0.0.1",
        port: config.httpsPort,
      }),
      backups: {
        dir: config.backupDir,
        stagingDir: join(config.dataDir, "backup-staging"),
        encrypt: config.backupEncrypt,
        helperImage: config.backupHelperImage,
        key: Buffer.alloc(0),
      },
      archiver: createVolumeArchiver(),
      builder: createImageBuilder(),
      builds: {
        dir: join(config.dataDir, "builds"),
        keep: config.buildKeep,
        maxContextBytes: MAX_BUILD_CONTEXT_BYTES,
      },
      registry: {
        mode: config.registry,
        image: config.registryImage,
        hostPort: config.registryPort,
        ...(config.registryAddress ? { address: config.registryAddress } : {}),
        ...(config.registryNodeLabel ? { nodeLabel: config.registryNodeLabel } : {}),
      },
      imageRegistry: createImageRegistry(),
      postgres: {
        image: config.postgresImage,
        hostPort: config.postgresPort,
        host: config.postgresHost,
        ...(config.postgresNodeLabel ? { nodeLabel: config.postgresNodeLabel } : {}),
      },
      pgExec: createPostgresExec(),
    };
    platform.backups.key = await backupKey(database.db, platform.sealer);
    const observer = createObserver(platform, {
      metrics,
      eventDelayMs: config.observerEventDelayMs,
      changes,
    });
    platform.refreshServices = observer.refresh;
    platform.onServiceEvent = observer.onServiceEvent;
    // Deploys of different stacks run side by side; those of one stack one at a time, in order.
    jobs.register(DEPLOY_JOB, (ctx) => runDeploy(platform, ctx), {
      concurrency: config.deployConcurrency,
      perOrg: Math.min(config.deployConcurrencyPerOrg, config.deployConcurrency),
      retryLimit: 5,
      serialPerTarget: true,
      onEnded: (job, end) => settleEndedDeployment(platform, job, end),
    });
    jobs.register(BUILD_JOB, (ctx) => runBuild(platform, ctx), {
      concurrency: 1,
      perOrg: 1,
      retryLimit: 0,
      onEnded: dropBuildContext,
    });
    jobs.register(PROXY_SYNC_JOB, (ctx) => runProxySync(platform, ctx), { concurrency: 1, retryLimit: 2 });
    jobs.register(RECONCILE_JOB, (ctx) => runReconcile(platform, ctx), { concurrency: 1, perOrg: 1 });
    jobs.register(REMOVE_JOB, (ctx) => runRemoveStack(platform, ctx), { concurrency: 2, retryLimit: 3 });
    jobs.register(ISOLATION_JOB, (ctx) => runVerifyIsolation(platform, ctx), {
      concurrency: 1,
      retryLimit: 1,
    });
    jobs.register(RESTART_JOB, (ctx) => runRestart(platform, ctx), {
      concurrency: 4,
      perOrg: 2,
      retryLimit: 5,
    });
    // Backups and restores of different stacks: two at a time per organization (a SaaS operator's
    // instances all live in one), four in all.
    jobs.register(BACKUP_JOB, (ctx) => runBackup(platform, ctx), {
      concurrency: 4,
      perOrg: 2,
      retryLimit: 2,
    });
    jobs.register(VERIFY_JOB, (ctx) => runVerify(platform, ctx), {
      concurrency: 2,
      perOrg: 1,
      retryLimit: 2,
    });
    jobs.register(RESTORE_JOB, (ctx) => runRestore(platform, ctx), {
      concurrency: 4,
      perOrg: 2,
      retryLimit: 3,
    });
    // One instance's steps run one at a time, in order; each waits for the deploy or backup it queues,
    // so instances of one organization go as many at a time as its deploys do.
    jobs.register(INSTANCE_JOB, (ctx) => runInstance(platform, ctx), {
      concurrency: Math.max(4, config.deployConcurrency),
      perOrg: Math.min(config.deployConcurrencyPerOrg, config.deployConcurrency),
      retryLimit: 1,
      serialPerTarget: true,
    });
    jobs.register(DB_CREATE_JOB, (ctx) => runCreateDatabase(platform, ctx), {
      concurrency: 2,
      retryLimit: 2,
    });
    jobs.register(DB_REMOVE_JOB, (ctx) => runRemoveDatabase(platform, ctx), {
      concurrency: 2,
      retryLimit: 2,
    });
    jobs.register(DB_BACKUP_JOB, (ctx) => runDatabaseBackup(platform, ctx), {
      concurrency: 2,
      perOrg: 1,
      retryLimit: 1,
    });
    jobs.register(DB_RESTORE_JOB, (ctx) => runDatabaseRestore(platform, ctx), {
      concurrency: 4,
      perOrg: 2,
      retryLimit: 1,
    });
    jobs.onTrigger(BACKUP_SCHEDULE_TRIGGER, (data) => fireSchedule(platform, data));
    const orphaned = await failOrphanedDeployments(database.db);
    if (orphaned) log.warn({ orphaned }, "deployments recorded without a job were marked failed");
    await observer.start();
    cleanup.push(() => observer.stop());
    // Before the queue starts: a job that was running when the last process died shows `running` only
    // until it is retried, and its helpers are those that process left.
    const swept = await sweepHelpers(platform).catch(() => 0);
    if (swept) log.warn({ swept }, "removed backup helper containers a stopped control plane left");
    await jobs.start();
    cleanup.push(() => jobs.stop());
    const drift = startDriftWatch(platform, {
      intervalMs: config.driftIntervalMs,
      autoRepair: config.autoRepair,
      metrics,
    });
    cleanup.push(() => drift.stop());
    mkdirSync(paths.proxySocketDir, { recursive: true, mode: 0o700 });
    const proxyWatch = startProxyWatch(platform);
    cleanup.push(() => proxyWatch.stop());
    const certWatch = startCertificateWatch(platform, config.proxySyncIntervalMs);
    cleanup.push(() => certWatch.stop());
    metrics.certificates.source = () => certificateExpiries(platform.certificates);

    await bootstrapIdentity(database.db, config.dataDir);
    const token = ensureAdminToken(config.dataDir);
    const app = buildApp({
      platform,
      token,
      logger: log,
      metrics,
      changes,
      ping: { db: database.ping, docker: engine.ping },
      trustedProxies: config.trustedProxies,
    });
    try {
      await app.listen({ host: config.host, port: config.port });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new ConfigError(
          "--port (BERTH_PORT)",
          `${config.host}:${config.port} is already in use; choose another port`,
        );
      }
      throw err;
    }
    cleanup.push(() => app.close());

    const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;
    const info: ServerInfo = {
      url,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      instance: platform.instanceId,
      proxy: { httpPort: config.httpPort, httpsPort: config.httpsPort },
    };
    const infoPath = dataDirPaths(config.dataDir).serverInfo;
    writeFileSync(infoPath, `${JSON.stringify(info)}\n`);
    cleanup.push(() => rmSync(infoPath, { force: true }));
    return { url, close: closeAll };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}
