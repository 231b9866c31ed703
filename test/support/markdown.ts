/**
 * Just enough of Markdown, as GitHub renders this repository's documents, for the tests that
 * keep the docs true: fenced blocks, headings and their anchors, links, inline code, and the
 * shell words of a command line. The documents are plain (ATX headings, ``` fences, inline
 * links), so a few regular expressions read them; a full parser would add a dependency for that.
 */

const FENCE = /^ *```/;

/** The contents of every ``` block, one string per block. */
export function fencedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^ *```[^\n]*\n([\s\S]*?)^ *```/gm)].map((m) => m[1]!);
}

/** The text outside ``` blocks, with every line inside one blanked (line numbers kept). */
export function prose(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (FENCE.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

/** Headings outside ``` blocks, as written after the #s. */
export function headings(markdown: string): string[] {
  return [...prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)].map((m) => m[1]!);
}

/**
 * GitHub's anchor for a heading (the rule of github-slugger): the text as rendered (links and
 * code marks dropped), lower case, every character that is not a letter, mark, number,
 * connector, space or hyphen removed, spaces turned into hyphens.
 */
export function githubSlug(heading: string): string {
  const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Each heading's anchor in order, a repeated one with GitHub's `-1`, `-2` suffixes. */
export function anchors(markdown: string): string[] {
  const seen = new Map<string, number>();
  return headings(markdown).map((h) => {
    const slug = githubSlug(h);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    return n === 0 ? slug : `${slug}-${n}`;
  });
}

/** Inline code spans outside ``` blocks (single backticks; the docs use no double ones). */
export function inlineCode(markdown: string): string[] {
  return [...prose(markdown).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

/** Targets of inline links and images outside code, as written (`docs/x.md#y`, `#y`, `https://…`). */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?: +"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** Shell words of one command line: plain, '…' and "…" quoting, as bash reads these examples. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /(?:[^\s'"]+|'[^']*'|"[^"]*")+/g;
  for (const m of line.matchAll(re)) words.push(m[0].replace(/'([^']*)'|"([^"]*)"/g, (_q, a, b) => a ?? b));
  return words;
}

/**
 * The command lines of the ``` blocks: continuations joined, a `$ ` prompt and a trailing
 * `# comment` dropped, blanks squeezed.
 */
export function commandLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of fencedBlocks(markdown)) {
    for (const raw of block.replace(/\\\n\s*/g, ' ').split('\n')) {
      const line = raw
        .replace(/^\s*\$ /, '')
        .replace(/\s+#.*$/, '')
        .replace(/\s+/g, ' ')
        .trim();
      if (line !== '') lines.push(line);
    }
  }
  return lines;
}
