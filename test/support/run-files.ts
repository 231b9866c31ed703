/** The files every run writes to --out and to each --s3-uri (sorted), before the upload's _complete.json marker. */
export const RUN_FILES = ['copy.sh', 'missing.txt', 'plan.json', 'regsync.yml', 'report.html', 'report.json', 'report.md', 'report.txt'];
