// One part of `npm run bench`: what it measured, as figures and as the Markdown of bench.md.
export interface BenchSection {
  title: string;
  /** The section's body in bench.md: parameters, a table of figures, and what limits them. */
  markdown: string;
  /** The headline figures, by name (also written to bench.json). */
  figures: Record<string, number | string>;
  /** Whether the target for this part was met; absent where there is no target. */
  targetMet?: boolean;
}

/** What every section is given by `npm run bench`. */
export interface BenchOptions {
  /** This run's folder (results/bench/<UTC timestamp>/): a section may write files beside bench.md. */
  outDir: string;
  /** One line of progress for the terminal. */
  log: (line: string) => void;
  /** A smoke run: every section shortened to seconds; its figures are not the targets'. */
  quick: boolean;
}
