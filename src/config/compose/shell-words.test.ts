import { describe, expect, it } from "vitest";
import { shellWords } from "./shell-words.js";

describe("shellWords", () => {
  it.each<[string, string[]]>([
    ["", []],
    ["   ", []],
    ["echo", ["echo"]],
    ["echo hello world", ["echo", "hello", "world"]],
    ["  echo \t hello\n world  ", ["echo", "hello", "world"]],
    // single quotes group and keep everything literal
    ["echo 'hello world'", ["echo", "hello world"]],
    ["echo 'a \\ b \" $x'", ["echo", 'a \\ b " $x']],
    // double quotes group; a backslash escapes only " \ $ `
    ['echo "hello world"', ["echo", "hello world"]],
    ['echo "say \\"hi\\""', ["echo", 'say "hi"']],
    ['echo "a\\\\b"', ["echo", "a\\b"]],
    ['echo "\\$HOME \\`x\\`"', ["echo", "$HOME `x`"]],
    ['echo "a\\nb"', ["echo", "a\\nb"]],
    ['echo "$HOME"', ["echo", "$HOME"]],
    // quotes join with adjacent text, and empty quotes make an empty word
    ["a'b c'd", ["ab cd"]],
    ['x"y"z', ["xyz"]],
    ["echo ''", ["echo", ""]],
    ['echo "" x', ["echo", "", "x"]],
    // a backslash outside quotes escapes the next character
    ["echo a\\ b", ["echo", "a b"]],
    ["echo \\'x\\'", ["echo", "'x'"]],
    ['echo \\"', ["echo", '"']],
    ["echo \\\\", ["echo", "\\"]],
    // a trailing lone backslash stays literal
    ["echo a\\", ["echo", "a\\"]],
    ["sh -c 'echo $1' --", ["sh", "-c", "echo $1", "--"]],
  ])("splits %j", (input, expected) => {
    expect(shellWords(input)).toEqual(expected);
  });

  it.each([["echo 'unterminated"], ['echo "unterminated'], ["'"], ['"'], ['echo "a\\"'], ["echo 'it\\'s'"]])(
    "returns undefined for the unterminated quote in %j",
    (input) => {
      expect(shellWords(input)).toBeUndefined();
    },
  );
});
