// Request bodies sent as JSON, screened before they are parsed: an empty body is no body (so a route
// that takes none, or a caller not yet authorized, is not refused for it), and nesting is bounded
// before anything walks the value (validation, the NUL check and the compose conversion recurse, and
// 50,000 nested arrays would exhaust the stack). The size is bounded while the body is read.
import { ConfigError } from "../domain/errors.js";
import { MAX_JSON_DEPTH } from "./limits.js";

/** `"empty"`: treat as no body; `"parse"`: parse it. Throws a ConfigError for a body nested too deeply. */
export function screenJsonBody(text: string): "empty" | "parse" {
  if (text.trim() === "") return "empty";
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new ConfigError("body", `nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return "parse";
}

/**
 * How deeply arrays and objects nest in JSON text, counted in one pass without parsing (brackets in
 * strings do not count); stops counting once past `limit`. Malformed text gets a number too: the
 * parser that follows refuses it.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return deepest;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
