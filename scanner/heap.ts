/**
 * How far V8 lets the JS heap grow between full collections, set for the
 * scan's kind of work.
 *
 * Reading a million ECR images allocates some 3 GB of short-lived objects
 * (responses, manifests parsed once) while what stays is small: about 25 MB
 * of JS heap after a full collection, the rest in typed arrays outside it.
 * V8's own heuristic lets the old generation grow up to four times past the
 * live size before the next full collection, so the peak RSS depended on
 * timing: 382 to 605 MB cold and 401 to 476 MB re-scan for the same run.
 *
 * `--heap-growing-percent` fixes that factor; V8 reads it at every full
 * collection, so setting it at run time works (unlike --max-old-space-size,
 * which only counts at start-up and would need every launcher, CodeBuild's
 * included, to pass it).
 *
 * What the factor trades: about 1 GB of a million-image scan's allocations
 * outlive the young generation, nearly all of it parsed BatchGetImage answers
 * (a sampling allocation profile that leaves out what minor collections free;
 * the floor's plain loop shows the same 1 GB). Only full collections free it.
 * Each costs in proportion to the live heap, and a factor of 1 + p/100
 * allows one per p% of it grown, so their CPU falls as p rises and the peak grows.
 * Measured at a million images (A/B of the bundled CLI against
 * the bench's world, alternating runs, 2-3 each; the floor took 11.1-14.5 s):
 *
 *   percent  cold CPU      cold RSS
 *   50       23.8-27.2 s   382-391 MB
 *   100      20.2-24.1 s   419-426 MB
 *   150      21.4-22.2 s   429-434 MB
 *   200      22.4-26.9 s   479-484 MB
 *
 * 100 takes the CPU of the larger factors for 35 MB over 50 (and V8's
 * default, without the setting, ranged 382-605 MB cold).
 * Forcing collections instead (gc() every 256 calls) held 330 MB but cost a
 * third more CPU.
 */
import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING_PERCENT = 100;

/** Process-wide (the command calls it once, at start); a runtime without V8's flag ignores it. */
export function limitHeapGrowth(): void {
  try {
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  } catch {
    // Not V8, or the flag is gone: only the peak becomes less predictable.
  }
}
