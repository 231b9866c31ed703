#!/usr/bin/env bash
# The Scan stage's whole job, kept out of the buildspec so that it runs the same
# way outside CodeBuild (tests, a laptop) given the same variables:
#
#   OUTPUT_BUCKET          required; the report bucket
#   REPORT_PREFIX          key prefix of the reports (default: reports)
#   INPUT_FILE             input file, relative to CODEBUILD_SRC_DIR unless absolute
#                          (default: input.txt)
#   CODEBUILD_SRC_DIR      checkout of the input source (default: the current directory)
#   PIPELINE_EXECUTION_ID  names the run's report folder and is recorded in report.json
#                          (default: build-$CODEBUILD_BUILD_NUMBER, else local)
#   SOURCE_REVISION        commit or object version of the input, recorded in report.json
#                          (default: $CODEBUILD_RESOLVED_SOURCE_VERSION, else none)
#   SCANNER_BUNDLE         the bundled scanner (default: cli.js next to this script)
#   SCAN_CONCURRENCY       --concurrency for the scanner (default: the scanner's)
#   DIGEST_CACHE_URI       --cache for the scanner: ECR manifest summaries kept between runs
#                          (default: s3://$OUTPUT_BUCKET/$REPORT_PREFIX/cache/digest-cache.json;
#                          "off" runs without a cache)
#   REPORT_DIR             local report directory (default: a new one under $TMPDIR or /tmp,
#                          the only writable place on CodeBuild's Lambda compute)
#   SCAN_TIMESTAMP         UTC timestamp of the run folder (default: now, 20260122T101500Z form)
#
# AWS_REGION, credentials and AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_S3 reach the
# scanner unchanged. The exit status is the scanner's (0, 1 or 2), so a report with
# errored sources fails the build after it has been uploaded; 2 also when this
# script's own settings are wrong.
set -euo pipefail

fail() {
  echo "scan.sh: $*" >&2
  exit 2
}

[[ -n "${OUTPUT_BUCKET:-}" ]] || fail "OUTPUT_BUCKET is not set"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bundle=${SCANNER_BUNDLE:-$here/cli.js}
[[ -f "$bundle" ]] || fail "scanner bundle $bundle not found (set SCANNER_BUNDLE)"

prefix=${REPORT_PREFIX:-reports}
prefix=${prefix#/}
prefix=${prefix%/}
[[ -n "$prefix" ]] || fail "REPORT_PREFIX must not be empty"

input=${INPUT_FILE:-input.txt}
[[ "$input" == /* ]] || input="${CODEBUILD_SRC_DIR:-$PWD}/$input"

execution_id=${PIPELINE_EXECUTION_ID:-}
if [[ -z "$execution_id" ]]; then
  if [[ -n "${CODEBUILD_BUILD_NUMBER:-}" ]]; then execution_id="build-$CODEBUILD_BUILD_NUMBER"; else execution_id=local; fi
fi
# The id becomes part of an S3 key: keep it to characters that need no escaping anywhere.
run_id=$(printf '%s' "$execution_id" | tr -c 'A-Za-z0-9._-' '-')
revision=${SOURCE_REVISION:-${CODEBUILD_RESOLVED_SOURCE_VERSION:-}}
stamp=${SCAN_TIMESTAMP:-$(date -u +%Y%m%dT%H%M%SZ)}
out=${REPORT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/ecr-scan.XXXXXX")}

run_uri="s3://$OUTPUT_BUCKET/$prefix/$stamp-$run_id/"
latest_uri="s3://$OUTPUT_BUCKET/$prefix/latest/"
cache=${DIGEST_CACHE_URI:-s3://$OUTPUT_BUCKET/$prefix/cache/digest-cache.json}

args=(--input "$input" --out "$out" --s3-uri "$run_uri" --s3-uri "$latest_uri" --execution-id "$execution_id")
[[ -z "$revision" ]] || args+=(--source-revision "$revision")
[[ -z "${SCAN_CONCURRENCY:-}" ]] || args+=(--concurrency "$SCAN_CONCURRENCY")
[[ "$cache" == off ]] || args+=(--cache "$cache")

echo "scan.sh: scanning $input into $run_uri and $latest_uri"
status=0
node --enable-source-maps "$bundle" "${args[@]}" || status=$?
echo "scan.sh: scanner exited with $status (0 all compared, 1 some sources are errors, 2 nothing scanned or upload failed)"
exit "$status"
