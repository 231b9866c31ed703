/**
 * Lines of chosen string values in a JSON text, by their path: JSON.parse
 * gives the data fast and small but no positions, and a YAML parser that
 * gives positions takes seconds and a gigabyte for a cluster's 25 MB
 * `kubectl get pods -A -o json`. One pass over the characters, keeping only
 * the values whose key is wanted (`image`), gives both.
 */

type Frame = { kind: 'object'; key: string | undefined } | { kind: 'array'; index: number };

/** A path as a map key: `items\0 3\0spec…` (numbers and strings cannot collide: indexes are written with a leading space). */
export function pathKey(path: ReadonlyArray<string | number>): string {
  return path.map((p) => (typeof p === 'number' ? ` ${p}` : p)).join('\u0000');
}

/**
 * The line of every string value whose member name is one of `keys`, by path.
 * The text must be valid JSON (it is, once JSON.parse accepted it); nothing
 * else is kept, so memory is the size of the answer.
 */
export function jsonValueLines(text: string, keys: ReadonlySet<string>): Map<string, number> {
  const lines = new Map<string, number>();
  const stack: Frame[] = [];
  let line = 1;
  let expectingKey = false;
  const path = (): Array<string | number> => stack.map((f) => (f.kind === 'object' ? (f.key ?? '') : f.index));
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
    } else if (c === 0x7b /* { */) {
      stack.push({ kind: 'object', key: undefined });
      expectingKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push({ kind: 'array', index: 0 });
      expectingKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectingKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.kind === 'array') top.index++;
      else expectingKey = true;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectingKey && top?.kind === 'object') {
        top.key = JSON.parse(text.slice(i, j + 1)) as string;
        expectingKey = false;
      } else if (top?.kind === 'object' && top.key !== undefined && keys.has(top.key)) {
        lines.set(pathKey(path()), line);
      }
      i = j;
    }
  }
  return lines;
}
