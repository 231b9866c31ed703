// Loaded with `node --require` into the scanner under test: on exit, write the
// process's peak RSS and CPU time where the benchmark can read them.
const { writeFileSync } = require('node:fs');
const target = process.env.BENCH_RUSAGE_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(
      target,
      JSON.stringify({ maxRssKb: usage.maxRSS, userMs: usage.userCPUTime / 1000, systemMs: usage.systemCPUTime / 1000 }),
    );
  });
}
