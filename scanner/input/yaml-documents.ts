/**
 * YAML (and JSON, which YAML 1.2 contains) read as plain data, a document at a
 * time, with the line of any value on request. Alias expansion is bounded by
 * the parser (a "billion laughs" document is refused, not expanded), and a
 * malformed document is an error of its own: the others are still read.
 */
import { Document, LineCounter, isNode, parseAllDocuments } from 'yaml';

/** Aliases a document may expand; Kubernetes manifests use none, compose files a few dozen. */
const MAX_ALIAS_COUNT = 200;
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
}

export interface ParsedYaml {
  documents: YamlDocument[];
  errors: YamlDocumentError[];
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

export function parseYamlDocuments(text: string): ParsedYaml {
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
