// Human and machine output. `--json` prints exactly one JSON document on stdout; human output
// goes to stdout too, progress and errors to stderr.

/** The spinner library, loaded only where a spinner can show (a terminal): a tenth of the CLI's start. */
const ora = process.stderr.isTTY ? (await import("ora")).default : undefined;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table with left-aligned columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/**
 * Progress of a long operation on stderr, for human output only: a spinner on a terminal, else one
 * line per step.
 */
export function progressReporter(human: boolean) {
  const spinner = human && ora ? ora({ stream: process.stderr }).start() : undefined;
  return {
    show(line: string): void {
      if (spinner) spinner.text = line;
      else if (human) console.error(line);
    },
    end(ok: boolean, text: string): void {
      if (!spinner) return;
      if (ok) spinner.succeed(text);
      else spinner.fail(text);
    },
  };
}
