/**
 * Every concrete `npx cdk` command in the code blocks of README.md and docs/*.md synthesizes
 * as written: its `-c key=value` context through readConfig and the app's stacks, and any
 * stack it names is one the app makes. A newcomer copies what the docs show.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, synth } from './synth';
import { commandLines, shellWords } from '../support/markdown';

interface CdkExample {
  readonly command: string;
  readonly stacks: string[];
  readonly context: Record<string, string>;
}

export function readmeCdkExamples(markdown: string): CdkExample[] {
  const examples: CdkExample[] = [];
  for (const line of commandLines(markdown)) {
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
  return examples;
}

const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const examples = DOCUMENTS.flatMap((file) => readmeCdkExamples(readFileSync(join(REPO_ROOT, file), 'utf8')));

test('the README and the docs have deploy examples to check, none with a placeholder', () => {
  expect(examples.length).toBeGreaterThanOrEqual(8);
  expect(readmeCdkExamples(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).length).toBeGreaterThanOrEqual(2);
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
