/** `patchbay tokens create|list|revoke`: REST API tokens. The secret is printed once, at creation. */
import type { Command } from 'commander';
import { roles } from '../admin/index.js';
import type { CliIo } from './cli-io.js';
import {
  emit,
  formatTime,
  parseIntOption,
  renderTable,
  withAdmin,
  type JsonOption,
} from './admin-cli-support.js';

export function registerTokensCommands(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const tokens = program.command('tokens').description('REST API tokens');

  tokens
    .command('create')
    .description('create a token; the secret is shown once (only its SHA-256 is stored)')
    .requiredOption('--name <name>', 'token name (who or what uses it)')
    .requiredOption('--role <role>', `one of ${roles.join(', ')}`)
    .option('--expires-days <n>', 'expire after this many days')
    .option('--json', 'print JSON')
    .action(async (opts: JsonOption & { name: string; role: string; expiresDays?: string }, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const expiresInDays = parseIntOption(opts.expiresDays, '--expires-days', 1, 3650);
        const r = await s.tokens.create(
          { name: opts.name, role: opts.role, ...(expiresInDays !== undefined ? { expiresInDays } : {}) },
          actor,
        );
        emit(io, opts, r, () => `${r.token}\n`);
        if (opts.json !== true)
          io.stderr(
            `token ${r.record.tokenId} (${r.record.name}, ${opts.role}) created; store it now, it is not shown again\n`,
          );
      }),
    );

  tokens
    .command('list')
    .description('list tokens (never the secrets)')
    .option('--json', 'print JSON')
    .action(async (opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s) => {
        const items = await s.tokens.list();
        emit(io, opts, { items }, () =>
          renderTable(
            ['ID', 'NAME', 'ROLES', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'],
            items.map((t) => [
              t.tokenId,
              t.name,
              t.roles.join(','),
              formatTime(t.createdAt),
              formatTime(t.expiresAt),
              formatTime(t.lastUsedAt),
              formatTime(t.revokedAt),
            ]),
          ),
        );
      }),
    );

  tokens
    .command('revoke')
    .description('revoke a token by id or name')
    .argument('<token>', 'token id or name')
    .option('--json', 'print JSON')
    .action(async (token: string, opts: JsonOption, cmd: Command) =>
      withAdmin(cmd, io, async (s, actor) => {
        const r = await s.tokens.revoke(token, actor);
        emit(io, opts, r, () => `revoked token ${r.tokenId} (${r.name})\n`);
      }),
    );
}
