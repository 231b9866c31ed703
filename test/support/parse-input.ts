/** input.txt's text as the scan reads it, in one call: the tests' way in to the input layer. */
import { parseTextMentions } from '../../scanner/input/input-file';
import { collectSources, ExpansionMention, SourceEntry } from '../../scanner/input/mentions';

export interface ParsedInput {
  entries: SourceEntry[];
  /** Expansion lines, left for the source layer to list (they are not entries until then). */
  expansions: ExpansionMention[];
  /** Lines that held a reference or an invalid text (not blank, not a comment). */
  contentLines: number;
}

/** input.txt as sources: one per distinct reference, invalid lines kept as errors, expansions set aside. */
export function parseInput(bytes: Buffer, file = 'input.txt'): ParsedInput {
  const { mentions, contentLines } = parseTextMentions(bytes, file);
  return {
    entries: collectSources(mentions),
    expansions: mentions.filter((m): m is ExpansionMention => m.kind === 'expansion'),
    contentLines,
  };
}
