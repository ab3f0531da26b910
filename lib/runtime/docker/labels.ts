// Every container, volume and network bankrun creates carries these labels; cleanup selects by
// them and by nothing else, so nothing of anyone else's is ever touched.

export const LABEL = {
  project: 'bankrun.project',
  run: 'bankrun.run',
  /** 'db' | 'api' | 'init' | 'nettools' */
  role: 'bankrun.role',
  /** n1, n2, … (the database node an API node is paired with, for API nodes) */
  node: 'bankrun.node',
} as const;

export const PROJECT = 'bankrun';

export type Role = 'db' | 'api' | 'init' | 'nettools';

export function labels(run: string, role?: Role, node?: string): Record<string, string> {
  return {
    [LABEL.project]: PROJECT,
    [LABEL.run]: run,
    ...(role ? { [LABEL.role]: role } : {}),
    ...(node ? { [LABEL.node]: node } : {}),
  };
}
