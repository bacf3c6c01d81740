import { describe, expect, it } from "vitest";
import type { ServiceModel, StackModel } from "../domain/stack.js";
import {
  decideHealthchecks,
  healthcheckText,
  PORT_CHECK_TIMING,
  portCheckImages,
  portCheckScript,
  resolveHealthcheck,
} from "./healthcheck.js";
import type { ObservedImage } from "./observed.js";

const svc = (over: Partial<ServiceModel>): ServiceModel => ({
  name: "web",
  image: "app:1",
  env: {},
  ports: [{ target: 8080, protocol: "tcp" }],
  replicas: 1,
  resources: { cpus: 0.5, memoryBytes: 1 << 28 },
  ...over,
});
const stack = (...services: ServiceModel[]): StackModel => ({ org: "acme", name: "shop", services });

describe("portCheckScript", () => {
  it.each([
    [8080, "*:1F90)"],
    [80, "*:0050)"],
    [65535, "*:FFFF)"],
    [1, "*:0001)"],
  ])("matches port %i as the kernel prints it (%s)", (port, pattern) => {
    expect(portCheckScript(port)).toContain(pattern);
    expect(portCheckScript(port)).toContain(`nothing listens on port ${port}`);
  });

  it("uses shell keywords and builtins only, no tool an image may lack", () => {
    // Every word in command position: after a separator, `do`, `then` or `while`.
    const words = portCheckScript(8080).match(/(?<=^|;|&&|\|\||do |then |while )\s*[a-z][\w-]*=?/g) ?? [];
    const commands = new Set(words.map((w) => w.trim()).filter((w) => !w.endsWith("=")));
    expect([...commands].sort()).toEqual(
      ["case", "continue", "do", "done", "echo", "esac", "exit", "for", "read", "while"].sort(),
    );
  });
});

describe("resolveHealthcheck", () => {
  it("turns the port check into a command with Berth's timings", () => {
    expect(resolveHealthcheck({ port: 8080 })).toEqual({
      test: ["CMD-SHELL", portCheckScript(8080)],
      ...PORT_CHECK_TIMING,
    });
  });

  it("keeps the user's timings", () => {
    expect(resolveHealthcheck({ port: 8080, interval: 1e9, retries: 9 })).toMatchObject({
      interval: 1e9,
      retries: 9,
      timeout: PORT_CHECK_TIMING.timeout,
    });
  });

  it("leaves a command of the user's alone", () => {
    expect(resolveHealthcheck({ test: ["CMD", "x"], interval: 1e9 })).toEqual({
      test: ["CMD", "x"],
      interval: 1e9,
    });
  });
});

describe("decideHealthchecks", () => {
  const own: ObservedImage = { state: "present", healthcheck: true };
  it.each<[string, ServiceModel, ObservedImage | undefined, ServiceModel["healthcheck"], number]>([
    [
      "an image without a check of its own gets the port check",
      svc({ healthcheck: { port: 8080 } }),
      { state: "present" },
      resolveHealthcheck({ port: 8080 }),
      0,
    ],
    [
      "an image Berth cannot see (only its registry has it) gets the port check",
      svc({ healthcheck: { port: 8080 } }),
      { state: "pullable" },
      resolveHealthcheck({ port: 8080 }),
      0,
    ],
    ["an image with its own HEALTHCHECK keeps it", svc({ healthcheck: { port: 8080 } }), own, undefined, 1],
    [
      "an image with its own HEALTHCHECK keeps it, with the user's timings",
      svc({ healthcheck: { port: 8080, interval: 2e9 } }),
      own,
      { interval: 2e9 },
      1,
    ],
    [
      "a command of the user's is theirs",
      svc({ healthcheck: { test: ["CMD", "x"] } }),
      own,
      { test: ["CMD", "x"] },
      0,
    ],
    ["no check is no check", svc({ healthcheck: { disable: true } }), undefined, { disable: true }, 0],
    ["a service without one keeps none", svc({}), undefined, undefined, 0],
  ])("%s", (_n, service, image, expected, notes) => {
    const images = new Map(image ? [["app:1", image]] : []);
    const out = decideHealthchecks(stack(service), images);
    expect(out.model.services[0]!.healthcheck).toEqual(expected);
    expect(out.notes).toHaveLength(notes);
    if (notes)
      expect(out.notes[0]).toBe("web: the image's own HEALTHCHECK runs (not Berth's check of port 8080)");
  });

  it("looks only at the images of services left with the port check", () => {
    const m = stack(
      svc({ name: "a", image: "b:1", healthcheck: { port: 1 } }),
      svc({ name: "b", image: "a:1", healthcheck: { port: 2 } }),
      svc({ name: "c", image: "c:1", healthcheck: { test: ["CMD", "x"] } }),
      svc({ name: "d", image: "a:1", healthcheck: { port: 3 } }),
    );
    expect(portCheckImages(m)).toEqual(["a:1", "b:1"]);
  });
});

describe("healthcheckText", () => {
  it.each<[ServiceModel["healthcheck"], string]>([
    [undefined, "image's"],
    [{ disable: true }, "none"],
    [{ port: 8080 }, "port 8080"],
    [{ port: 8080, interval: 2e9, startPeriod: 1.5e9 }, "port 8080 (interval 2s, start period 1.5s)"],
    [{ test: ["CMD-SHELL", "curl -H 'Authorization: secret'"], retries: 2 }, "command (retries 2)"],
    [{ timeout: 1e9 }, "image's (timeout 1s)"],
  ])("%j reads %s", (h, text) => {
    expect(healthcheckText(h)).toBe(text);
  });
});
