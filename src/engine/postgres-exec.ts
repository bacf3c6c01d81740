// pg_dump and pg_restore run inside the database server's own container through the Engine's exec
// API (fixed argument vectors, no shell, nothing a user typed), as the `postgres` OS user over the
// server's local socket. The dump streams out of the exec's stdout; a restore streams into its stdin.
// The service is found by name and must carry the owner's labels before anything runs in its
// container (found by the service's id). Single node for now, like VolumeArchiver: the Engine Berth talks to runs the server.
import { PassThrough, type Readable, Writable } from "node:stream";
import Docker from "dockerode";
import { ownershipProblem } from "../domain/labels.js";

export interface ServerRef {
  /** The server's Swarm service name. */
  service: string;
  /** Who must own its container (labels). */
  owner: { instance: string; org: string; stack: string };
}

export interface PostgresExec {
  /** `pg_dump -Fc` of `database`; read `stream` to the end, then await `done` (throws on failure). */
  dump(s: ServerRef, database: string): Promise<{ stream: Readable; done: Promise<void> }>;
  /** `pg_restore --clean` of a custom-format dump from `input` into `database`, objects owned by `role`. */
  restore(s: ServerRef, o: { database: string; role: string; input: Readable }): Promise<void>;
}

export function createPostgresExec(docker: Docker = new Docker()): PostgresExec {
  const container = async (s: ServerRef): Promise<Docker.Container> => {
    // Task containers do not carry the installation's label: the service does, and owns the task.
    let service: { ID: string; Spec?: { Labels?: Record<string, string> } };
    try {
      service = (await docker.getService(s.service).inspect()) as typeof service;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        throw new Error(`the database server ${s.service} is not deployed`);
      }
      throw err;
    }
    const problem = ownershipProblem(service.Spec?.Labels ?? {}, s.owner);
    if (problem) throw new Error(`service ${s.service} is not the database server: ${problem}`);
    const found = await docker.listContainers({
      filters: { label: [`com.docker.swarm.service.id=${service.ID}`], status: ["running"] },
    });
    if (found.length === 0) throw new Error(`the database server ${s.service} has no running container here`);
    return docker.getContainer(found[0]!.Id);
  };

  /** Runs `cmd`; stdout goes to `out`, stderr is kept (last 4 KiB) for the error. */
  const run = async (s: ServerRef, cmd: string[], o: { out: Writable; input?: Readable }) => {
    const c = await container(s);
    const exec = await c.exec({
      Cmd: cmd,
      User: "postgres",
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: Boolean(o.input),
      Tty: false,
    });
    const stream = (await exec.start({
      hijack: true,
      stdin: Boolean(o.input),
    })) as unknown as NodeJS.ReadWriteStream & Readable & { end(): void };
    let err = "";
    const errSink = new Writable({
      write(chunk: Buffer, _e, done) {
        err = (err + chunk.toString("utf8")).slice(-4096);
        done();
      },
    });
    docker.modem.demuxStream(stream, o.out, errSink);
    const finished = new Promise<void>((done, fail) => {
      stream.on("end", done);
      stream.on("close", done);
      stream.on("error", fail);
    });
    if (o.input) {
      o.input.on("data", (chunk: Buffer) => {
        if (!stream.write(chunk)) {
          o.input!.pause();
          stream.once("drain", () => o.input!.resume());
        }
      });
      o.input.on("end", () => (stream as unknown as { end(): void }).end());
      o.input.on("error", (e) => stream.emit("error", e));
    }
    return finished.then(async () => {
      o.out.end();
      const { ExitCode } = (await exec.inspect()) as { ExitCode: number | null };
      if (ExitCode !== 0) throw new Error(`${cmd[0]} exited with ${ExitCode}: ${err.trim().slice(-1000)}`);
    });
  };

  return {
    async dump(s, database) {
      const out = new PassThrough();
      const done = run(s, ["pg_dump", "-Fc", "--no-password", "-U", "postgres", "-d", database], { out });
      // A failure before any byte: end the stream so its reader finishes, and report through `done`.
      done.catch(() => out.end());
      return { stream: out, done };
    },
    async restore(s, o) {
      const out = new Writable({ write: (_c, _e, done) => done() });
      await run(
        s,
        [
          "pg_restore",
          "--clean",
          "--if-exists",
          "--no-owner",
          "--no-acl",
          "--single-transaction",
          "--exit-on-error",
          `--role=${o.role}`,
          "--no-password",
          "-U",
          "postgres",
          "-d",
          o.database,
        ],
        { out, input: o.input },
      );
    },
  };
}
