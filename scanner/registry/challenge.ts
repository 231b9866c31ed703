/** Parses a `WWW-Authenticate` header (RFC 9110 challenge syntax) into scheme and parameters. */

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Returns the first challenge; registries send one (Bearer or Basic). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*([A-Za-z][A-Za-z0-9._-]*)\s*(.*)$/.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const params: Record<string, string> = {};
  const paramRe = /([A-Za-z][A-Za-z0-9._-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = match[2]!;
  paramRe.lastIndex = 0;
  let param: RegExpExecArray | null;
  while (paramRe.lastIndex < rest.length && (param = paramRe.exec(rest)) !== null) {
    params[param[1]!.toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3]!;
  }
  return { scheme, params };
}
