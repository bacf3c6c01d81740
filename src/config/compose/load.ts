// Reading one compose file: size limit, YAML parse, and validation against the compose
// specification's JSON schema. Every error names the file, the path of the bad value and its line.
import type { ErrorObject, ValidateFunction } from "ajv";
import { isNode, LineCounter, parseDocument, type ScalarTag } from "yaml";
import { ConfigError } from "../../domain/errors.js";
import { MAX_BODY_BYTES } from "../limits.js";
import { validate as generatedValidate } from "./schema-validator.generated.js";

/** A compose file is at most as large as the API body that carries it. */
export const MAX_COMPOSE_BYTES = MAX_BODY_BYTES;

/**
 * docker's loader reads `mode: 0440` as octal (YAML 1.1); YAML 1.2 would read 440. Only this rule of
 * YAML 1.1 is taken: its other ones (`off` as false, `.` as a number) would change service names.
 */
const LEGACY_OCTAL: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  format: "OCT",
  default: true,
  test: /^0[0-7]+$/,
  resolve: (text: string) => Number.parseInt(text, 8),
  identify: (value: unknown) => typeof value === "number",
};

export interface ComposeFile {
  /** The file name, for messages. */
  name: string;
  /** The parsed document (plain data). */
  data: Record<string, unknown>;
  /** The line (1-based) of the value at a path, when known. */
  lineOf(path: (string | number)[]): number | undefined;
}

// The compose specification's schema (draft 2019-09), compiled ahead of time into a standalone
// validator (scripts/gen-compose-validator.mjs) so that nothing pays Ajv's compile at start. Formats
// (durations, port specs) are checked where each value is converted, with a precise message.
const validate = generatedValidate as unknown as ValidateFunction;

/** Parses and validates one compose file's text. */
export function loadComposeFile(name: string, text: string): ComposeFile {
  const file = parseComposeFile(name, text);
  validateCompose(file);
  return file;
}

/** Validates (an interpolated copy of) a parsed file against the compose specification. */
export function validateCompose(file: ComposeFile): void {
  if (!validate(file.data)) throw schemaError(file.name, validate.errors?.[0], file.lineOf);
}

/** Parses one compose file's text, without validating it. */
export function parseComposeFile(name: string, text: string): ComposeFile {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_COMPOSE_BYTES) {
    throw new ConfigError(name, `file is ${(bytes / 1024 / 1024).toFixed(1)} MiB; the limit is 1 MiB`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    merge: true,
    prettyErrors: true,
    customTags: (tags) => [LEGACY_OCTAL, ...tags],
  });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const at = yamlError.linePos?.[0];
    throw new ConfigError(
      at ? `${name}:${at.line}` : name,
      `invalid YAML: ${yamlError.message.split("\n")[0]}`,
    );
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(name, "must be a YAML mapping with a 'services' key");
  }
  const lineOf = (path: (string | number)[]) => {
    const node = doc.getIn(path, true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
  return { name, data: data as Record<string, unknown>, lineOf };
}

function schemaError(name: string, err: ErrorObject | undefined, lineOf: ComposeFile["lineOf"]): ConfigError {
  if (!err) return new ConfigError(name, "does not match the compose specification");
  const path = err.instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let problem = err.message ?? "is invalid";
  if (err.keyword === "additionalProperties") {
    const key = (err.params as { additionalProperty: string }).additionalProperty;
    path.push(key);
    problem = "is not a compose key here";
  } else if (err.keyword === "enum") {
    problem = `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  const line = lineOf(path);
  const where = `${name}${line ? `:${line}` : ""}`;
  return new ConfigError(path.length ? `${where} ${path.join(".")}` : where, problem);
}
