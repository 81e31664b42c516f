/**
 * What a command may touch of the outside world, passed in so tests can run commands in-process and so
 * nothing below the CLI writes to the console.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
};

/** Global options every command sees (`patchbay -c FILE --debug <command>`). */
export interface GlobalOptions {
  config?: string;
  debug?: boolean;
}
