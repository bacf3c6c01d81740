// Reading and replacing a volume's contents as a tar stream, without shelling out: a short-lived
// helper container on Berth's own node mounts the volume and a private directory of Berth's, and runs
// `tar` (plan/volume-transfer.ts exportCommand / importCommand). Exporting mounts the volume
// read-only and has tar write a file in that directory, which Berth reads as it grows (hashing and
// sealing it as it comes). Replacing empties the volume, then extracts a checked plain tar file
// Berth left in that directory, which it mounts read-only. Every helper carries the owner's labels and
// `berth.role=backup-helper`, and is removed when the call ends, whether it succeeded or not;
// `removeHelpers` sweeps what a crashed control plane left. A volume on another node goes through a
// one-task service there instead (apply/volume-transfer.ts).
import { basename } from "node:path";
import Docker from "dockerode";
import { withContext } from "../domain/errors.js";
import { exportCommand, importCommand, TRANSFER_MOUNT } from "../plan/volume-transfer.js";

export const HELPER_ROLE_LABEL = "berth.role";
export const HELPER_ROLE = "backup-helper";
/** Where the helper mounts Berth's directory that holds the tar file. */
const IO_MOUNT = "/berth-io";

export interface HelperOptions {
  volume: string;
  /** Labels the helper carries (owner, job). */
  labels: Record<string, string>;
  /** An image on the node with a POSIX `tar`, `find` and `rm`. */
  image: string;
  /** A private directory of Berth's (on the node, made owner-only) for the tar file; the caller removes it. */
  scratch: string;
}

export interface VolumeArchiver {
  /**
   * Starts writing the volume's files as a tar (entries under `data/`) into `file`, which must exist
   * (made owner-only by the caller; tar keeps its mode) in `scratch`. `ended` settles when tar has
   * written all of it, or rejects with why not; call `close` when done, always.
   */
  export(o: HelperOptions & { file: string }): Promise<{ ended: Promise<void>; close(): Promise<void> }>;
  /** Empties the volume and extracts the tar `file` (in `scratch`; entries under `data/`) into it. */
  replace(o: HelperOptions & { file: string }): Promise<void>;
  /** Bytes the volume holds on this node, when the Engine knows (for progress). */
  usage(volume: string): Promise<number | undefined>;
  /**
   * Removes helper containers carrying all of `labels` (`key=value`), except those `keep` spares
   * (given each helper's labels); returns how many.
   */
  removeHelpers(labels: string[], keep?: (labels: Record<string, string>) => boolean): Promise<number>;
}

export function createVolumeArchiver(docker: Docker = new Docker()): VolumeArchiver {
  const create = async (o: HelperOptions, exporting: boolean, cmd: string[]): Promise<Docker.Container> => {
    try {
      return await createOnce(o, exporting, cmd);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      // The helper image is not on the node yet: pull it once (a fixed image from Berth's settings).
      await pull(o.image);
      return createOnce(o, exporting, cmd);
    }
  };
  const pull = async (image: string) => {
    const stream = await docker.pull(image);
    await new Promise<void>((done, fail) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? fail(err) : done())),
    );
  };
  const createOnce = (o: HelperOptions, exporting: boolean, cmd: string[]): Promise<Docker.Container> =>
    docker.createContainer({
      Image: o.image,
      Cmd: cmd,
      Entrypoint: [],
      Labels: { ...o.labels, [HELPER_ROLE_LABEL]: HELPER_ROLE },
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: "none",
        Mounts: [
          {
            Type: "volume",
            Source: o.volume,
            Target: TRANSFER_MOUNT,
            ReadOnly: exporting,
            VolumeOptions: { NoCopy: true },
          },
          // An export's tar writes its file there; a replace's only reads the one it extracts.
          { Type: "bind", Source: o.scratch, Target: IO_MOUNT, ReadOnly: !exporting },
        ],
      },
    } as unknown as Docker.ContainerCreateOptions);
  const remove = (c: Docker.Container) => c.remove({ force: true, v: false }).catch(() => {});
  /** Starts the helper; `exited` settles with its exit code once it ended (or its error). */
  const run = async (o: HelperOptions, exporting: boolean, cmd: string[]) => {
    const c = await create(o, exporting, cmd);
    try {
      await c.start();
    } catch (err) {
      await remove(c);
      throw err;
    }
    const exited = (c.wait() as Promise<{ StatusCode: number }>).then(
      (r) => r.StatusCode,
      (err: Error) => err,
    );
    return { c, exited };
  };

  return {
    async export(o) {
      let helper: Awaited<ReturnType<typeof run>>;
      try {
        helper = await run(o, true, exportCommand(`${IO_MOUNT}/${basename(o.file)}`));
      } catch (err) {
        throw withContext(`backup helper for volume ${o.volume}`, err);
      }
      const ended = helper.exited.then((code) => {
        // The end of the file is only the end of the volume when tar succeeded.
        if (code === 0) return;
        const why = code instanceof Error ? code.message : `tar exited with ${code}`;
        throw new Error(`read volume ${o.volume}: ${why}`);
      });
      // A caller that stopped reading (its write failed) no longer waits for it.
      ended.catch(() => {});
      return { ended, close: () => remove(helper.c) };
    },

    async replace(o) {
      try {
        const { c, exited } = await run(o, false, importCommand(`${IO_MOUNT}/${basename(o.file)}`));
        try {
          const code = await exited;
          if (code instanceof Error) throw code;
          if (code !== 0) throw new Error(`emptying and extracting into the volume exited with ${code}`);
        } finally {
          await remove(c);
        }
      } catch (err) {
        throw withContext(`replace contents of volume ${o.volume}`, err);
      }
    },

    async usage(volume) {
      try {
        const df = (await docker.df()) as { Volumes?: { Name: string; UsageData?: { Size?: number } }[] };
        const size = df.Volumes?.find((v) => v.Name === volume)?.UsageData?.Size;
        return size !== undefined && size >= 0 ? size : undefined;
      } catch {
        return undefined;
      }
    },

    async removeHelpers(labels, keep) {
      const found = await docker.listContainers({
        all: true,
        filters: { label: [...labels, `${HELPER_ROLE_LABEL}=${HELPER_ROLE}`] },
      });
      const gone = found.filter((c) => !keep?.(c.Labels ?? {}));
      await Promise.all(gone.map((c) => remove(docker.getContainer(c.Id))));
      return gone.length;
    },
  };
}
