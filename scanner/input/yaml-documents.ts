/**
 * YAML (and JSON, which YAML 1.2 contains) read as plain data, a document at a
 * time, with the line of any value on request. Alias expansion is bounded (a
 * "billion laughs" document, or one anchor merged into a thousand maps of a
 * thousand keys, is refused, not expanded) while ordinary anchors and merge
 * keys are read; so is nesting. A malformed document is an error of its own:
 * the others are still read.
 */
import { Document, LineCounter, Node, isAlias, isCollection, isNode, isPair, parseAllDocuments } from 'yaml';
import { jsonValueLines, pathKey } from './json-lines';
import { Mention } from './mentions';

/**
 * The parser's own alias bound (`maxAliasCount`: uses of an anchor, weighted by
 * the aliases inside it): a compose file of 250 services merging `<<: *common`
 * uses it 250 times, a billion-laughs document 9^k times.
 */
const MAX_ALIAS_COUNT = 10_000;
/**
 * Nodes that aliases may add to a document once expanded. The parser counts an
 * anchor of a thousand keys as one, and copies every key on each merge (about
 * 5 µs a key): a thousand merges of it would take minutes. Real files add a few
 * thousand (250 services x a dozen common keys).
 */
const MAX_ALIAS_EXPANSION = 500_000;
/**
 * Collections one inside another a document may have; no manifest comes near
 * it. The parser recurses once a level and runs out of stack somewhere near 800
 * (where exactly depends on the engine's state), so the bound is checked, not
 * left to the stack. Flow collections (`[`, `{`, and so JSON) are counted before
 * parsing, brackets in strings included: lexing a 4 MiB file of them, or
 * JSON.parse of 32 MiB, takes seconds.
 */
const MAX_NESTING = 200;
/**
 * YAML larger than this is refused: a YAML parser keeps every node with its
 * position, about 50 bytes of memory and a microsecond a byte of input (16 MB
 * take 20 s and 800 MB). JSON has no such bound below the input's 32 MiB.
 */
export const MAX_YAML_BYTES = 4 * 1024 * 1024;
/** Documents a file may hold; `kubectl get … -o yaml` of a large cluster is one List, not many documents. */
export const MAX_DOCUMENTS = 20_000;

export type YamlPath = ReadonlyArray<string | number>;

export interface YamlDocument {
  /** 1-based, in file order. */
  index: number;
  /** The line the document starts on. */
  line: number;
  data: unknown;
  /** The line of the value at `path`, else of its nearest ancestor that the file spells out (a merge key hides the rest). */
  lineOf(path: YamlPath): number;
}

export interface YamlDocumentError {
  index: number;
  line: number;
  message: string;
  /** The whole file was refused, not one document. */
  whole?: boolean;
  /** Well-formed, but over a bound (aliases, nesting). */
  refused?: boolean;
}

export interface ParsedYaml {
  documents: YamlDocument[];
  errors: YamlDocumentError[];
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/**
 * JSON read by JSON.parse, which is many times faster and smaller than a YAML
 * parser on a cluster's `kubectl … -o json`; the lines of the values named in
 * `lineKeys` are found in one more pass. Undefined when the text is not JSON.
 */
function parseJsonDocument(text: string, lineKeys: ReadonlySet<string>): ParsedYaml | undefined {
  if (!/^\s*[[{]/.test(text)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON after all (or broken JSON): the YAML parser says where, and reads flow-style YAML.
    return undefined;
  }
  const lines = jsonValueLines(text, lineKeys);
  return { documents: [{ index: 1, line: 1, data, lineOf: (path) => lines.get(pathKey(path)) ?? 1 }], errors: [] };
}

/** The values whose lines a JSON input keeps (a YAML input keeps every line): the images that origins point at. */
const JSON_LINE_KEYS: ReadonlySet<string> = new Set(['image']);

const [OPEN_SQUARE, OPEN_CURLY, CLOSE_SQUARE, CLOSE_CURLY] = ['[', '{', ']', '}'].map((c) => c.charCodeAt(0));

/** True when `[`/`{` nest deeper than `limit` in the text, counted naively (quotes not followed); one pass, stopping early. */
function flowDepthOver(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      if (++depth > limit) return true;
    } else if ((c === CLOSE_SQUARE || c === CLOSE_CURLY) && depth > 0) depth--;
  }
  return false;
}

/**
 * The nodes a document's aliases add once expanded (a merged or aliased node
 * counts its whole subtree, aliases inside it expanded too), stopping once past
 * `limit`. Anchors are taken in document order, as YAML resolves them.
 */
function aliasExpansionOver(doc: Document.Parsed, limit: number): boolean {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  let added = 0;
  const size = (node: unknown): number => {
    if (added > limit) return 0;
    if (isAlias(node)) {
      const source = anchors.get(node.source);
      const n = source ? (sizes.get(source) ?? 1) : 1;
      added += n;
      return n;
    }
    if (isPair(node)) return size(node.key) + size(node.value);
    let n = 1;
    if (isCollection(node)) for (const item of node.items) n += size(item);
    if (isNode(node) && node.anchor) {
      anchors.set(node.anchor, node);
      sizes.set(node, n);
    }
    return n;
  };
  size(doc.contents);
  return added > limit;
}

/** True when collections nest deeper than `limit` in the parsed document; iterative, so any depth is walked. */
function nestingOver(doc: Document.Parsed, limit: number): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { node, depth } = top;
    if (isPair(node)) stack.push({ node: node.key, depth }, { node: node.value, depth });
    else if (isCollection(node)) {
      if (depth > limit) return true;
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  return false;
}

const isStackOverflow = (message: string): boolean => /Maximum call stack size exceeded/.test(message);
/** Said of a document nested too deep, whether the bound or the parser's stack found it first. */
const TOO_DEEP = `it nests collections more than ${MAX_NESTING} levels deep; not read`;

/** A parser's failure as a document error: running out of stack is the nesting bound found by the engine. */
function parseFailure(index: number, line: number, message: string): YamlDocumentError {
  return isStackOverflow(message) ? { index, line, message: TOO_DEEP, refused: true } : { index, line, message, refused: false };
}

/** One parsed document's data, or why it is not read (a parse error, too deep, an alias bomb). */
function readDocument(doc: Document.Parsed, index: number, startLine: number, lineCounter: LineCounter): YamlDocument | YamlDocumentError {
  if (doc.errors.length > 0) return parseFailure(index, startLine, firstLine(doc.errors[0]!.message));
  if (nestingOver(doc, MAX_NESTING)) return { index, line: startLine, message: TOO_DEEP, refused: true };
  let data: unknown;
  try {
    if (aliasExpansionOver(doc, MAX_ALIAS_EXPANSION)) {
      return {
        index,
        line: startLine,
        message: `its aliases and merge keys expand to more than ${MAX_ALIAS_EXPANSION} nodes (a YAML bomb?); not read`,
        refused: true,
      };
    }
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = firstLine((err as Error).message);
    if (err instanceof ReferenceError && /alias/i.test(message))
      return {
        index,
        line: startLine,
        message: `its aliases expand beyond ${MAX_ALIAS_COUNT} uses (a YAML bomb?); not read`,
        refused: true,
      };
    return parseFailure(index, startLine, message);
  }
  const lineOf = (path: YamlPath): number => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return startLine;
  };
  return { index, line: startLine, data, lineOf };
}

/** The documents of a YAML or JSON text. */
export function parseYamlDocuments(text: string, lineKeys: ReadonlySet<string> = JSON_LINE_KEYS): ParsedYaml {
  // Before JSON too: JSON.parse takes seconds on millions of nested brackets, which 32 MiB can hold.
  if (flowDepthOver(text, MAX_NESTING)) {
    return {
      documents: [],
      errors: [{ index: 1, line: 1, message: `the file nests more than ${MAX_NESTING} levels of [ ] or { }; not read`, whole: true }],
    };
  }
  const json = parseJsonDocument(text, lineKeys);
  if (json) return json;
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) {
    const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
    return {
      documents: [],
      errors: [
        {
          index: 1,
          line: 1,
          message: `the YAML is ${mib(Buffer.byteLength(text))}, over the ${mib(MAX_YAML_BYTES)} a YAML input may be; split it, or give JSON (kubectl get … -o json), which is read up to 32 MiB`,
          whole: true,
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const documents: YamlDocument[] = [];
  const errors: YamlDocumentError[] = [];
  let parsed: Document.Parsed[];
  try {
    parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: true, merge: true }) as Document.Parsed[];
  } catch (err) {
    return { documents, errors: [parseFailure(1, 1, firstLine((err as Error).message))] };
  }
  // parseAllDocuments returns an EmptyStream (an array with no documents) for a blank file.
  const list = Array.isArray(parsed) ? parsed : [];
  for (const [i, doc] of list.entries()) {
    const index = i + 1;
    const startLine = lineCounter.linePos(doc.range[0]).line;
    if (index > MAX_DOCUMENTS) {
      errors.push({ index, line: startLine, message: `more than ${MAX_DOCUMENTS} documents in one file; the rest is not read` });
      break;
    }
    const read = readDocument(doc, index, startLine, lineCounter);
    if ('data' in read) documents.push(read);
    else errors.push(read);
  }
  return { documents, errors };
}

/** A plain object (a YAML mapping), for walking untyped data safely. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Document errors as invalid mentions naming the file and the document (or the file, when it was refused whole). */
export function errorMentions(errors: readonly YamlDocumentError[], file: string): Mention[] {
  return errors.map((e) => ({
    kind: 'invalid',
    input: e.whole ? file : `document ${e.index}`,
    error: e.whole
      ? e.message
      : e.refused
        ? `YAML document ${e.index} of ${file} refused: ${e.message}`
        : `malformed YAML in document ${e.index} of ${file}: ${e.message}`,
    origin: { file, line: e.whole ? 0 : e.line },
  }));
}
