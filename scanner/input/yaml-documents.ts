/**
 * YAML (and JSON, which YAML 1.2 contains) read as plain data, a document at a
 * time, with the line of any value on request. Alias expansion is bounded by
 * the parser (a "billion laughs" document is refused, not expanded), and a
 * malformed document is an error of its own: the others are still read.
 */
import { Document, LineCounter, isNode, parseAllDocuments } from 'yaml';
import { jsonValueLines, pathKey } from './json-lines';
import { Mention } from './mentions';

/** Aliases a document may expand; Kubernetes manifests use none, compose files a few dozen. */
const MAX_ALIAS_COUNT = 200;
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

/** The documents of a YAML or JSON text. */
export function parseYamlDocuments(text: string, lineKeys: ReadonlySet<string> = JSON_LINE_KEYS): ParsedYaml {
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
    return { documents, errors: [{ index: 1, line: 1, message: firstLine((err as Error).message) }] };
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
    if (doc.errors.length > 0) {
      errors.push({ index, line: startLine, message: firstLine(doc.errors[0]!.message) });
      continue;
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const bomb = err instanceof ReferenceError && /alias/i.test(err.message);
      errors.push({
        index,
        line: startLine,
        message: bomb ? `its aliases expand beyond ${MAX_ALIAS_COUNT} nodes (a YAML bomb?); not read` : firstLine((err as Error).message),
      });
      continue;
    }
    const lineOf = (path: YamlPath): number => {
      for (let n = path.length; n >= 0; n--) {
        const node: unknown = doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return startLine;
    };
    documents.push({ index, line: startLine, data, lineOf });
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
    error: e.whole ? e.message : `malformed YAML in document ${e.index}: ${e.message}`,
    origin: { file, line: e.whole ? 0 : e.line },
  }));
}
