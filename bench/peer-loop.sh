#!/usr/bin/env bash
# The loop a user would script by hand to answer the same question: skopeo for
# each source image's ID, then the AWS CLI for every ECR image, one call each
# (describe-images per repository, batch-get-image per image), comparing
# config digests. Prints "repository@digest imageId" for every match.
# Usage: peer-loop.sh <ecr endpoint> <file of source references>
set -euo pipefail
endpoint=$1
sources=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ecr() { /usr/bin/aws --endpoint-url "$endpoint" --no-cli-pager --output text ecr "$@"; }
config_digest() { grep -o '"config":{[^}]*}' | grep -o 'sha256:[0-9a-f]\{64\}' || true; }

while read -r ref; do
  [ -n "$ref" ] || continue
  skopeo inspect --tls-verify=false --raw "docker://$ref" | config_digest
done <"$sources" >"$work/source-ids"

for repo in $(ecr describe-repositories --query 'repositories[].repositoryName'); do
  for digest in $(ecr describe-images --repository-name "$repo" --query 'imageDetails[].imageDigest'); do
    id=$(ecr batch-get-image --repository-name "$repo" --image-ids imageDigest="$digest" --query 'images[0].imageManifest' | config_digest)
    if [ -n "$id" ] && grep -qxF "$id" "$work/source-ids"; then echo "$repo@$digest $id"; fi
  done
done
