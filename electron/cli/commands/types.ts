/** One `station <name>` subcommand. `run` returns the process exit code. */
export type CliCommand = {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
};
