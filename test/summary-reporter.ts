// Prints the closing line CI reads (`N passed, N failed, N skipped`) and names every skipped test,
// since a skip must say why (the reason is part of each skipped test's name).
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const mod of testModules) {
      const tests = [...mod.children.allTests()];
      for (const test of tests) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped.push(`${mod.moduleId.replace(`${process.cwd()}/`, "")} > ${test.fullName}`);
      }
      // A file that failed to load (syntax error, failing beforeAll) counts as a failure.
      if (mod.state() === "failed" && !tests.some((t) => t.result().state === "failed")) {
        failed++;
      }
    }
    failed += unhandledErrors.length;
    for (const name of skipped) console.log(`skipped: ${name}`);
    const summary = `${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ""}`;
    if (process.env.BERTH_SUMMARY_FILE) {
      // scripts/test.sh adds up several runs into one closing line.
      import("node:fs").then((fs) => fs.appendFileSync(process.env.BERTH_SUMMARY_FILE!, `${summary}\n`));
    }
    console.log(summary);
  }
}
