import { defineConfig } from "vitest/config";

// Integration files share one Docker engine and swarm. Most run two at a time: each control plane
// is a separate installation (its own data directory, ports, host-port range and labels) and each
// file names its stacks with a prefix of its own (test/helpers/berth.ts). These run alone, after:
const ALONE = [
  // kills and restarts dockerd and the test PostgreSQL server under everything else
  "test/integration/crash.test.ts",
  // checks that nothing at all appeared in the swarm (docker stack deploy's objects carry no owner)
  "test/integration/fuzz.test.ts",
  // a load test: 200 req/s through the proxy with zero lost requests, measured on a quiet machine
  "test/integration/traffic.test.ts",
];

// Two files share two cores: a step that takes 25 s alone can take 80 s beside a heavy neighbour.
const integration = {
  environment: "node",
  testTimeout: 240_000,
  hookTimeout: 240_000,
} as const;

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: { name: "unit", include: ["src/**/*.test.ts", "web/src/**/*.test.ts"], environment: "node" },
      },
      {
        test: {
          ...integration,
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...integration,
          name: "integration-alone",
          include: ALONE,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
