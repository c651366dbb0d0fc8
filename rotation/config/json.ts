/**
 * JSON parsing with errors an operator can find: line and column, and never a snippet of the text
 * (V8's messages quote the input, and an inline config may hold secret values).
 */

export interface JsonSyntaxProblem {
  line: number;
  column: number;
  message: string;
}

/** Parses JSON text; on failure returns where and what, located by a small scanner. */
export function parseJsonText(
  text: string,
): { ok: true; value: unknown } | { ok: false; problem: JsonSyntaxProblem } {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(source) };
  } catch {
    const { offset, message } = locateJsonError(source);
    const before = source.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return { ok: false, problem: { line, column, message } };
  }
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Finds the first syntax error the way JSON.parse would, reporting an offset and plain words. */
export function locateJsonError(text: string): { offset: number; message: string } {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new ScanError(at, message);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const describeHere = (): string => {
    if (i >= text.length) return 'the file ends too early';
    const c = text[i]!;
    if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) return 'comments are not allowed in JSON';
    if (c === "'") return 'strings must use double quotes';
    return `unexpected character ${JSON.stringify(c)}`;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(describeHere());
  };
  const string = () => {
    const start = i;
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape in a string');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('invalid escape in a string');
      } else if (c < ' ')
        fail(
          c === '\n' ? 'a string is not closed before the end of the line' : 'control character in a string',
        );
      else i++;
    }
    fail('a string is never closed', start);
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '-') fail('invalid number');
    i += match![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"')
          fail(
            text[i] === '}'
              ? 'trailing comma before "}"'
              : `expected a property name in double quotes; ${describeHere()}`,
          );
        string();
        ws();
        if (text[i] !== ':') fail(`expected ":" after the property name; ${describeHere()}`);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected "," or "}"; ${describeHere()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ']') fail('trailing comma before "]"');
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected "," or "]"; ${describeHere()}`);
      }
    }
    if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail(`expected a value; ${describeHere()}`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected content after the end of the JSON value; ${describeHere()}`);
  } catch (error) {
    if (error instanceof ScanError) return { offset: error.offset, message: error.message };
    if (error instanceof RangeError) return { offset: i, message: 'values are nested too deeply' };
    throw error;
  }
  // JSON.parse failed but the scanner did not: should not happen; point at the start.
  return { offset: 0, message: 'invalid JSON' };
}
