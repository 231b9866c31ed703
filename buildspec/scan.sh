#!/usr/bin/env bash
# The Scan stage's whole job, kept out of the buildspec so that it runs the same
# way outside CodeBuild (tests, a laptop) given the same settings.
#
# Settings come from settings.env next to this script (SCAN_SETTINGS names another
# file), which the stack writes into the Scanner artifact: NAME=value lines of the closed
# set in scanner/settings/settings-file.ts, never evaluated. The scanner reads the file
# itself (--settings) and refuses a name outside the set; this script takes only the
# names that are CodeBuild's business (a variable already set in the environment wins):
#
#   INPUT_FILE             required; input file, relative to CODEBUILD_SRC_DIR unless absolute
#   RUN_FOLDER             required; key of a run's folder, with {timestamp} and {run}
#   LATEST_FOLDER          required; key of the newest run's folder
#   DIGEST_CACHE_KEY       required; key of the scanner's --cache object ("off": none)
#   REGISTRY_CA_FILE       PEM bundle of private CAs, relative to CODEBUILD_SRC_DIR unless
#                          absolute; becomes NODE_EXTRA_CA_CERTS (verification stays on)
#   SCAN_COMPUTE           lambda or ec2, only printed
#
# From the environment (the CodeBuild project or the pipeline's Scan action):
#
#   OUTPUT_BUCKET          required; the report bucket
#   NOTIFY_TOPIC_ARN       --notify-topic-arn for the scanner (default: none)
#   REGISTRY_CREDENTIALS   a Docker config.json (CodeBuild resolves it from Secrets Manager);
#                          written to a new 0600 file whose directory becomes DOCKER_CONFIG,
#                          then unset, so the scanner's environment does not hold it
#   PIPELINE_EXECUTION_ID  names the run's report folder and is recorded in report.json
#                          (default: build-$CODEBUILD_BUILD_NUMBER, else local)
#   SOURCE_REVISION        commit or object version of the input, recorded in report.json
#                          (default: $CODEBUILD_RESOLVED_SOURCE_VERSION, else none)
#   CODEBUILD_SRC_DIR      checkout of the input source (default: the current directory)
#   SCANNER_BUNDLE         the bundled scanner (default: cli.js next to this script)
#   REPORT_DIR             local report directory (default: a new one under $TMPDIR or /tmp,
#                          the only writable place on CodeBuild's Lambda compute)
#   SCAN_TIMESTAMP         UTC timestamp of the run folder (default: now, 20260122T101500Z form)
#
# AWS_REGION, credentials and AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_S3 /
# AWS_ENDPOINT_URL_SNS reach the scanner unchanged. The exit status is the scanner's (0, 1 or 2), so a report with
# errored sources fails the build after it has been uploaded; 2 also when this
# script's own settings are wrong.
set -euo pipefail

fail() {
  echo "scan.sh: $*" >&2
  exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bundle=${SCANNER_BUNDLE:-$here/cli.js}
[[ -f "$bundle" ]] || fail "scanner bundle $bundle not found (set SCANNER_BUNDLE)"

settings=${SCAN_SETTINGS:-$here/settings.env}
[[ -f "$settings" ]] || fail "settings file $settings not found (the stack writes it into the Scanner artifact; set SCAN_SETTINGS)"
# NAME=value lines, never evaluated; only this script's names, and the environment wins.
# Every other name is the scanner's (--settings), which refuses one it does not know.
while IFS= read -r line || [[ -n "$line" ]]; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  name=${line%%=*}
  case "$name" in
    INPUT_FILE | RUN_FOLDER | LATEST_FOLDER | DIGEST_CACHE_KEY | REGISTRY_CA_FILE | SCAN_COMPUTE)
      [[ -n "${!name+set}" ]] || export "$name=${line#*=}"
      ;;
  esac
done <"$settings"

for setting in OUTPUT_BUCKET INPUT_FILE RUN_FOLDER LATEST_FOLDER DIGEST_CACHE_KEY; do
  [[ -n "${!setting:-}" ]] || fail "$setting is not set (the stack sets it: the settings file, or the project's environment)"
done

input=${INPUT_FILE}
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

run_folder=${RUN_FOLDER//\{timestamp\}/$stamp}
run_folder=${run_folder//\{run\}/$run_id}
run_uri="s3://$OUTPUT_BUCKET/$run_folder"
latest_uri="s3://$OUTPUT_BUCKET/$LATEST_FOLDER"
if [[ "$DIGEST_CACHE_KEY" == off ]]; then cache=off; else cache="s3://$OUTPUT_BUCKET/$DIGEST_CACHE_KEY"; fi

if [[ -n "${REGISTRY_CREDENTIALS:-}" ]]; then
  # mktemp -d makes the directory 0700; umask makes the file 0600 from its first byte.
  # printf is a builtin, so the value is never a process argument others could see.
  docker_dir=$(mktemp -d "${TMPDIR:-/tmp}/docker-config.XXXXXX")
  trap 'rm -rf "$docker_dir"' EXIT
  (
    umask 077
    printf '%s' "$REGISTRY_CREDENTIALS" >"$docker_dir/config.json"
  )
  unset REGISTRY_CREDENTIALS
  export DOCKER_CONFIG=$docker_dir
  echo "scan.sh: registry credentials from Secrets Manager in $DOCKER_CONFIG/config.json (mode 0600)"
fi

args=(--settings "$settings" --input "$input" --out "$out" --s3-uri "$run_uri" --s3-uri "$latest_uri" --execution-id "$execution_id")
[[ -z "$revision" ]] || args+=(--source-revision "$revision")
[[ "$cache" == off ]] || args+=(--cache "$cache")
[[ -z "${NOTIFY_TOPIC_ARN:-}" ]] || args+=(--notify-topic-arn "$NOTIFY_TOPIC_ARN")
if [[ -n "${REGISTRY_CA_FILE:-}" ]]; then
  ca=$REGISTRY_CA_FILE
  [[ "$ca" == /* ]] || ca="${CODEBUILD_SRC_DIR:-$PWD}/$ca"
  [[ -r "$ca" ]] || fail "REGISTRY_CA_FILE $ca is not a readable file (commit it next to the input file)"
  # Node adds these to its built-in CAs for every TLS connection: private CAs are trusted, verification stays on.
  export NODE_EXTRA_CA_CERTS=$ca
  echo "scan.sh: trusting the CAs in $ca for registries (NODE_EXTRA_CA_CERTS)"
fi

echo "scan.sh: scanning $input into $run_uri and $latest_uri${SCAN_COMPUTE:+ on $SCAN_COMPUTE compute}"
status=0
node --enable-source-maps "$bundle" "${args[@]}" || status=$?
echo "scan.sh: scanner exited with $status (0 all compared, 1 some sources are errors, 2 nothing scanned or upload failed)"

# Where to look, as the last lines of the build log.
if [[ "$status" == 2 ]]; then
  echo "scan.sh: no new report was uploaded; $latest_uri still holds the previous run's, if any"
else
  echo "scan.sh: this run's report: $run_uri"
  echo "scan.sh: the newest report: ${latest_uri}report.html (latest/_complete.json names the run it holds)"
fi
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [[ -n "$region" ]]; then
  echo "scan.sh: open it in the S3 console: https://s3.console.aws.amazon.com/s3/object/$OUTPUT_BUCKET?region=$region&prefix=${LATEST_FOLDER}report.html"
fi
exit "$status"
