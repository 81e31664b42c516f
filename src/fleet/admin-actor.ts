/**
 * Who made an administrative change and how: by hand on the CLI (the OS user), through the REST API (the
 * token's name), by an automatic approval rule, or by the server itself. Every audit row and every approval's
 * approved_by / approved_via come from this one value.
 */
export interface AdminActor {
  readonly via: 'cli' | 'api' | 'rule' | 'system';
  /** OS user, token name, rule id, or a short system reason. */
  readonly name: string;
}

/** The audit log's actor text: `cli:alice`, `api:ci-token`, `rule:3`, `system:sync`. */
export function actorText(actor: AdminActor): string {
  return `${actor.via}:${actor.name}`;
}

/** approved_via as stored: `cli`, `api`, `rule:<id>`, `system`. */
export function approvedVia(actor: AdminActor): string {
  return actor.via === 'rule' ? `rule:${actor.name}` : actor.via;
}
