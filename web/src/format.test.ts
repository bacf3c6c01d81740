import { describe, expect, it } from "vitest";
import {
  domainBody,
  formatBytes,
  noticeBody,
  routeNotice,
  routeState,
  routeUrl,
  scheduleBody,
  shortSha,
} from "./format";

const notice = { message: "Back at 14:00", retryAfter: 300 };

describe("routeState", () => {
  it.each([
    [{ status: "pending", maintenance: null, suspension: null }, "pending"],
    [{ status: "failed", maintenance: notice, suspension: null }, "failed"],
    [{ status: "active", maintenance: null, suspension: null }, "active"],
    [{ status: "active", maintenance: notice, suspension: null }, "maintenance"],
    [{ status: "active", maintenance: notice, suspension: notice }, "suspended"],
    [{ status: "active", maintenance: null, suspension: notice }, "suspended"],
  ])("%o is %s", (d, state) => expect(routeState(d)).toBe(state));

  it("gives the suspension's message before the maintenance one, and none for an empty message", () => {
    expect(routeNotice({ maintenance: notice, suspension: { message: "incident", retryAfter: 60 } })).toBe(
      "incident",
    );
    expect(routeNotice({ maintenance: notice, suspension: null })).toBe("Back at 14:00");
    expect(routeNotice({ maintenance: { message: "", retryAfter: 1 }, suspension: null })).toBeUndefined();
    expect(routeNotice({ maintenance: null, suspension: null })).toBeUndefined();
  });
});

describe("formatBytes and shortSha", () => {
  it.each([
    [null, "–"],
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [20 * 1024 * 1024, "20 MiB"],
    [3 * 1024 ** 3, "3.0 GiB"],
  ])("%s bytes read %s", (n, text) => expect(formatBytes(n)).toBe(text));

  it("shortens a sha256 to 12 characters", () => {
    expect(shortSha("a".repeat(64))).toBe("a".repeat(12));
    expect(shortSha(null)).toBe("–");
  });
});

describe("request bodies", () => {
  const form = {
    host: " shop.example.com ",
    service: "web",
    port: "8080",
    path: "",
    tls: "internal",
    httpsRedirect: true,
  };

  it("builds a domain body: trimmed host, numeric port, no empty path", () => {
    expect(domainBody("shop", form)).toEqual({
      host: "shop.example.com",
      stack: "shop",
      service: "web",
      port: 8080,
      tls: "internal",
      httpsRedirect: true,
    });
    expect(domainBody("shop", { ...form, path: " /api " }).path).toBe("/api");
  });

  it("sends a port that is not a number as null, for the API to name the field", () => {
    expect(domainBody("shop", { ...form, port: "" }).port).toBeNull();
    expect(domainBody("shop", { ...form, port: "http" }).port).toBeNull();
  });

  it("addresses one route of a host by its path prefix, encoded", () => {
    expect(routeUrl({ host: "shop.example.com", path: "" })).toBe("/domains/shop.example.com?path=");
    expect(routeUrl({ host: "xn--bcher-kva.example", path: "/api" }, "/maintenance")).toBe(
      "/domains/xn--bcher-kva.example/maintenance?path=%2Fapi",
    );
    expect(routeUrl({ host: "a/b", path: "/x&y" })).toBe("/domains/a%2Fb?path=%2Fx%26y");
  });

  it("builds a schedule body, leaving an empty time zone to the API", () => {
    expect(scheduleBody({ cron: " 0 3 * * * ", keepLast: "7", timezone: "" })).toEqual({
      cron: "0 3 * * *",
      keepLast: 7,
    });
    expect(scheduleBody({ cron: "@daily", keepLast: "", timezone: "Europe/Paris" })).toEqual({
      cron: "@daily",
      keepLast: null,
      timezone: "Europe/Paris",
    });
  });

  it("builds a notice body from what was filled in", () => {
    expect(noticeBody({ message: "  " })).toEqual({});
    expect(noticeBody({ message: "Back soon", retryAfter: "60" })).toEqual({
      message: "Back soon",
      retryAfter: 60,
    });
    expect(noticeBody({ message: "", retryAfter: "soon" })).toEqual({ retryAfter: null });
  });
});
