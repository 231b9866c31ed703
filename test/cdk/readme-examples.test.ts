/**
 * Every concrete `npx cdk` command in README.md's code blocks synthesizes as written:
 * its `-c key=value` context through readConfig and the app's stacks, and any stack it
 * names is one the app makes. A newcomer copies what the README shows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, synth } from './synth';

interface CdkExample {
  readonly command: string;
  readonly stacks: string[];
  readonly context: Record<string, string>;
}

/** Shell words of one command line: plain, '…' and "…" quoting, as bash reads these examples. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /(?:[^\s'"]+|'[^']*'|"[^"]*")+/g;
  for (const m of line.matchAll(re)) words.push(m[0].replace(/'([^']*)'|"([^"]*)"/g, (_q, a, b) => a ?? b));
  return words;
}

export function readmeCdkExamples(markdown: string): CdkExample[] {
  const blocks = [...markdown.matchAll(/^ *```[^\n]*\n([\s\S]*?)^ *```/gm)].map((m) => m[1]!);
  const examples: CdkExample[] = [];
  for (const block of blocks) {
    const joined = block.replace(/\\\n\s*/g, ' ');
    for (const raw of joined.split('\n')) {
      const line = raw
        .replace(/\s+#.*$/, '')
        .replace(/\s+/g, ' ')
        .trim();
      if (!/^npx cdk (deploy|synth|diff|destroy)\b/.test(line)) continue;
      const words = shellWords(line).slice(3);
      const context: Record<string, string> = {};
      const stacks: string[] = [];
      for (let i = 0; i < words.length; i++) {
        if (words[i] === '-c' || words[i] === '--context') {
          const [key, ...value] = words[++i]!.split('=');
          context[key!] = value.join('=');
        } else if (!words[i]!.startsWith('-')) stacks.push(words[i]!);
      }
      examples.push({ command: line, stacks, context });
    }
  }
  return examples;
}

const examples = readmeCdkExamples(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));

test('the README has deploy examples to check, none with a placeholder', () => {
  expect(examples.length).toBeGreaterThanOrEqual(8);
  for (const e of examples) expect([e.command, /[…<>]/.test(e.command)]).toEqual([e.command, false]);
});

test.each(examples.map((e) => [e.command, e] as const))('%s', (_command, example) => {
  const s = synth(example.context);
  const management = s.management ? [s.management.readRole, ...s.management.pullTimeExclusions] : [];
  const names = [s.stack, ...(s.members ? [s.members] : []), ...management, ...s.pullTimeExclusions].map((x) => x.stackName);
  for (const stack of example.stacks) expect(names).toContain(stack);
});

test('the extraction reads continuations, quotes and comments', () => {
  expect(readmeCdkExamples("```\nnpx cdk deploy -c a='rate(1 day)' \\\n  -c b=x,y   # note\n```\n")).toEqual([
    { command: "npx cdk deploy -c a='rate(1 day)' -c b=x,y", stacks: [], context: { a: 'rate(1 day)', b: 'x,y' } },
  ]);
});
