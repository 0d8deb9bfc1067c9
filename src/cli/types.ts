/** A CLI subcommand (`gatehouse <name> …`). Commands live in src/cli/commands/, one file each. */
export interface CliCommand {
  readonly name: string;
  /** One line for `gatehouse --help`. */
  readonly summary: string;
  /** Full usage text for `gatehouse <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Reads all of standard input (for --password-stdin and the like). */
  readonly readStdin: () => Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
}
