/**
 * Who did something, from where: a Slack user (team + user id) or the CLI (local OS user). A leaf
 * of its own, so the records that name actors (remediation requests, elevations, eligibilities)
 * can be read by rules without importing remediation planning.
 */
export interface Actor {
  kind: 'slack' | 'cli' | 'system';
  id: string;
  teamId?: string;
  name?: string;
}
