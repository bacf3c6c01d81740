// Reading and replacing a volume's contents as a tar stream, without shelling out: a short-lived
// helper container on the volume's node mounts the volume, and the Engine's archive API
// (GET/PUT /containers/{id}/archive) streams the files. Reading never starts the helper (the Engine
// serves archives of created containers), and mounts the volume read-only. Replacing starts it once
// with a fixed command that empties the volume, then extracts the archive into it. Every helper
// carries the owner's labels and `berth.role=backup-helper`, and is removed when the call ends,
// whether it succeeded or not; `removeHelpers` sweeps what a crashed control plane left.
//
// Single node for now: the helper runs on the Engine Berth talks to, which must hold the volume.
// A multi-node swarm needs a per-node agent (or the node's Engine) behind this same interface.
import type { Readable } from "node:stream";
import Docker from "dockerode";
import { withContext } from "../domain/errors.js";

export const HELPER_ROLE_LABEL = "berth.role";
export const HELPER_ROLE = "backup-helper";
/** Where the helper mounts the volume; archives hold its files under `data/`. */
export const MOUNT_POINT = "/data";

export interface HelperOptions {
  volume: string;
  /** Labels the helper carries (owner, job). */
  labels: Record<string, string>;
  /** An image on the node with a POSIX `find` and `rm` (used only to empty a volume). */
  image: string;
}

export interface VolumeArchiver {
  /** The volume's files as a tar stream (entries under `data/`); call `close` when done, always. */
  read(o: HelperOptions): Promise<{ stream: Readable; close(): Promise<void> }>;
  /** Empties the volume and extracts `tar` (entries under `data/`) into it. */
  replace(o: HelperOptions & { tar: Readable }): Promise<void>;
  /** Bytes the volume holds on this node, when the Engine knows (for progress). */
  usage(volume: string): Promise<number | undefined>;
  /**
   * Removes helper containers carrying all of `labels` (`key=value`), except those `keep` spares
   * (given each helper's labels); returns how many.
   */
  removeHelpers(labels: string[], keep?: (labels: Record<string, string>) => boolean): Promise<number>;
}

export function createVolumeArchiver(docker: Docker = new Docker()): VolumeArchiver {
  const create = async (o: HelperOptions, readOnly: boolean, cmd: string[]): Promise<Docker.Container> => {
    try {
      return await createOnce(o, readOnly, cmd);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      // The helper image is not on the node yet: pull it once (a fixed image from Berth's settings).
      await pull(o.image);
      return createOnce(o, readOnly, cmd);
    }
  };
  const pull = async (image: string) => {
    const stream = await docker.pull(image);
    await new Promise<void>((done, fail) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? fail(err) : done())),
    );
  };
  const createOnce = (o: HelperOptions, readOnly: boolean, cmd: string[]): Promise<Docker.Container> =>
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
            Target: MOUNT_POINT,
            ReadOnly: readOnly,
            VolumeOptions: { NoCopy: true },
          },
        ],
      },
    } as unknown as Docker.ContainerCreateOptions);
  const remove = (c: Docker.Container) => c.remove({ force: true, v: false }).catch(() => {});

  return {
    async read(o) {
      let c: Docker.Container;
      try {
        c = await create(o, true, ["true"]);
      } catch (err) {
        throw withContext(`backup helper for volume ${o.volume}`, err);
      }
      try {
        const stream = (await c.getArchive({ path: MOUNT_POINT })) as unknown as Readable;
        // An archive stream left open keeps the Engine busy with the container: end it first.
        return {
          stream,
          close: async () => {
            stream.destroy();
            await remove(c);
          },
        };
      } catch (err) {
        await remove(c);
        throw withContext(`read volume ${o.volume}`, err);
      }
    },

    async replace(o) {
      let c: Docker.Container;
      try {
        c = await create(o, false, [
          "find",
          MOUNT_POINT,
          "-mindepth",
          "1",
          "-maxdepth",
          "1",
          "-exec",
          "rm",
          "-rf",
          "{}",
          "+",
        ]);
      } catch (err) {
        throw withContext(`restore helper for volume ${o.volume}`, err);
      }
      try {
        await c.start();
        const { StatusCode } = (await c.wait()) as { StatusCode: number };
        if (StatusCode !== 0) throw new Error(`emptying the volume exited with ${StatusCode}`);
        await c.putArchive(o.tar as unknown as NodeJS.ReadableStream, { path: "/" });
      } catch (err) {
        throw withContext(`replace contents of volume ${o.volume}`, err);
      } finally {
        await remove(c);
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
