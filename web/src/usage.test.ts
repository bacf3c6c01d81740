import { describe, expect, it } from "vitest";
import { addSamples, chartPoints, cpuScale, formatPercent, memoryShare } from "./usage";

const s = (at: number, cpuPercent = 1, memoryBytes = 1) => ({ at, cpuPercent, memoryBytes });

describe("addSamples", () => {
  it("keeps the newest samples of each listed task and drops tasks that are gone", () => {
    const h = addSamples({ t1: [s(1), s(2), s(3)], gone: [s(1)] }, { t1: s(4), t2: s(4) }, 3);
    expect(h).toEqual({ t1: [s(2), s(3), s(4)], t2: [s(4)] });
  });
});

describe("chartPoints", () => {
  const box = { width: 100, height: 50, max: 100, slots: 5 };
  it("places the newest value at the right edge, 0 at the bottom and max at the top", () => {
    expect(chartPoints([0, 50, 100], box)).toBe("50,50 75,25 100,0");
  });
  it("fills the whole width when every slot has a value", () => {
    expect(chartPoints([10, 20, 30, 40, 50], box)).toBe("0,45 25,40 50,35 75,30 100,25");
  });
  it("clamps values outside 0..max and draws nothing without values or scale", () => {
    expect(chartPoints([-5, 250], box)).toBe("75,50 100,0");
    expect(chartPoints([], box)).toBe("");
    expect(chartPoints([1], { ...box, max: 0 })).toBe("");
  });
});

describe("cpuScale", () => {
  it.each<[number[], number]>([
    [[], 100],
    [[3, 99.9], 100],
    [[100.1], 200],
    [[350], 400],
  ])("%j -> %d", (values, want) => expect(cpuScale(values)).toBe(want));
});

describe("formatting", () => {
  it("shows small percentages with a decimal", () => {
    expect(formatPercent(0.04)).toBe("0.0 %");
    expect(formatPercent(2.345)).toBe("2.3 %");
    expect(formatPercent(57.6)).toBe("58 %");
  });
  it("gives memory as a share of its limit, none without one", () => {
    expect(memoryShare(256, 1024)).toBe(25);
    expect(memoryShare(1, 3)).toBe(33.3);
    expect(memoryShare(5, 0)).toBeUndefined();
  });
});
