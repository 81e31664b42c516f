/**
 * The one place a CLI failure becomes text and an exit code. AppError: its message on stderr and the
 * catalogue exit code. Anything unexpected: PB_ERR_INTERNAL, exit 70. Stack traces only with --debug,
 * because an operator needs the cause, not the call path.
 */
import { CommanderError } from 'commander';
import { AppError, errorCatalogue, isAppError } from '../errors.js';
import { redactUrlsInText } from '../observability/index.js';

export interface MappedError {
  exitCode: number;
  text: string;
}

export function mapCliError(err: unknown, options: { debug: boolean }): MappedError {
  if (err instanceof CommanderError) {
    // commander already printed its message (usage errors) or the help/version text.
    const quiet =
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help';
    return { exitCode: quiet ? 0 : errorCatalogue.PB_ERR_USAGE.exit, text: '' };
  }
  const appError: AppError = isAppError(err)
    ? err
    : new AppError(
        'PB_ERR_INTERNAL',
        `unexpected error: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
  let text = `patchbay: ${appError.code}: ${redactUrlsInText(appError.message)}\n`;
  if (options.debug) {
    const original = isAppError(err) ? err : err instanceof Error ? err : undefined;
    if (original?.stack) text += `${redactUrlsInText(original.stack)}\n`;
    const cause = appError.cause;
    if (cause instanceof Error && cause !== original && cause.stack)
      text += `caused by: ${redactUrlsInText(cause.stack)}\n`;
  } else if (!isAppError(err)) {
    text += 'run again with --debug for the stack trace\n';
  }
  return { exitCode: appError.exitCode, text };
}
