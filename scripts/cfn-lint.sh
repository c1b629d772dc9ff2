#!/usr/bin/env bash
# Synthesizes the stack with the real esbuild bundling (cdk-nag runs during synthesis and fails it
# on any unacknowledged finding), then lints every synthesized template with cfn-lint.
# cfn-lint's exit code is a bitmask: 2 = error, 4 = warning, 8 = informational. Errors fail;
# warnings and informational matches are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint is not installed (pip install cfn-lint)" >&2
  exit 1
fi

outdir="cdk.out"
npx cdk synth --quiet --output "$outdir"

shopt -s nullglob
templates=("$outdir"/*.template.json)
if [ ${#templates[@]} -eq 0 ]; then
  echo "no templates found in $outdir" >&2
  exit 1
fi

status=0
cfn-lint --format parseable -- "${templates[@]}" || status=$?
if (( status & 1 || status & 2 )); then
  echo "cfn-lint: errors in ${templates[*]}" >&2
  exit 1
fi
echo "cfn-lint: no errors in ${#templates[@]} template(s)"
