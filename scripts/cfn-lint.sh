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

# Three configurations: the default stack (scanning only); the stack with Slack approval,
# remediation, archived reports, entitlement reviews and just-in-time elevation profiles, which adds
# the remediation, notify, interaction, review and JIT functions, the reports bucket and the revoke
# schedule group; and organization mode with remediation, archived reports, entitlement reviews
# and the Security Hub exporter, which adds the organization state machine (its account step
# starting review campaigns), the exporter and the member and StackSet stacks.
lint() {
  local outdir="$1"
  shift
  npx cdk synth --quiet --output "$outdir" "$@"
  shopt -s nullglob
  local templates=("$outdir"/*.template.json)
  if [ ${#templates[@]} -eq 0 ]; then
    echo "no templates found in $outdir" >&2
    exit 1
  fi
  local status=0
  cfn-lint --format parseable -- "${templates[@]}" || status=$?
  if (( status & 1 || status & 2 )); then
    echo "cfn-lint: errors in ${templates[*]}" >&2
    exit 1
  fi
  echo "cfn-lint: no errors in ${#templates[@]} template(s) in $outdir"
}

lint cdk.out
lint cdk.out.slack -c slackChannelId=C0123456789 -c 'approvers=[{"teamId":"T0123456789","userId":"U0123456789"}]' \
  -c 'reports={"enabled":true}' -c 'reviews={"enabled":true,"escalationChannel":"C0123456780"}' \
  -c 'jit={"profiles":[{"name":"ops-write","statements":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::ops-*/*"}],"eligible":["arn:aws:iam::123456789012:role/ops/**"],"approvers":[{"teamId":"T0123456789","userId":"U0123456789"}]},{"name":"billing","managedPolicyArn":"arn:aws:iam::aws:policy/job-function/Billing","eligible":["arn:aws:iam::123456789012:user/alice"],"maxDuration":"1h","approvers":[{"teamId":"T0123456789","userId":"U0123456789"}]}]}'
lint cdk.out.org \
  -c 'organization={"enabled":true,"organizationId":"o-abc1234567","includeOus":["ou-ab12-cd34ef56"]}' \
  -c 'securityHub={"enabled":true}' \
  -c slackChannelId=C0123456789 -c 'approvers=[{"teamId":"T0123456789","userId":"U0123456789"}]' \
  -c 'reports={"enabled":true}' -c 'reviews={"enabled":true}'
