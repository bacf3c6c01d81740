import { describe, expect, it } from "vitest";
import { absoluteBindSources } from "./binds.js";

describe("absoluteBindSources", () => {
  it("makes relative and home paths absolute beside the file, as docker stack deploy does", () => {
    const doc = {
      services: {
        web: {
          volumes: [
            "./data:/data:ro",
            "../conf:/conf",
            ".:/app",
            "~/cache:/cache",
            "/etc/localtime:/etc/localtime:ro",
            "named:/named",
            "/anonymous",
            { type: "bind", source: "./media", target: "/media", read_only: true },
            { type: "volume", source: "named", target: "/v" },
          ],
        },
        empty: null,
      },
    };
    expect(absoluteBindSources(doc, "/srv/app/compose.yml", "/home/me").services.web.volumes).toEqual([
      "/srv/app/data:/data:ro",
      "/srv/conf:/conf",
      "/srv/app:/app",
      "/home/me/cache:/cache",
      "/etc/localtime:/etc/localtime:ro",
      "named:/named",
      "/anonymous",
      { type: "bind", source: "/srv/app/media", target: "/media", read_only: true },
      { type: "volume", source: "named", target: "/v" },
    ]);
  });
});
