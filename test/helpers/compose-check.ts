// Docker Compose itself as the judge of a compose file bankrun writes: `config` (parse, validate,
// resolve) on the installed Compose, v2 or v1. Where neither is installed the tests skip.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** ['docker', 'compose'] or ['docker-compose'], or null when neither answers. */
export const composeCmd: string[] | null = await run('docker', ['compose', 'version']).then(() => ['docker', 'compose'], () =>
  run('docker-compose', ['version']).then(() => ['docker-compose'], () => null));

export const NO_COMPOSE = 'neither `docker compose` nor `docker-compose` is installed';

/** `compose -f FILE config [-q]`: its exit code, its output (the resolved file) and its complaints. */
export async function composeConfig(file: string, quiet = true): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [...composeCmd!.slice(1), '-f', file, '-p', 'bankrun', 'config', ...(quiet ? ['-q'] : [])];
  return run(composeCmd![0]!, args).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e) => ({ code: e.code as number, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') }),
  );
}

/** A service of a compose file bankrun writes, as the tests read it back. */
export interface ComposeService {
  image: string;
  build?: { context: string };
  hostname?: string;
  entrypoint?: string[];
  command: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  networks?: Record<string, { ipv4_address?: string }>;
  mem_limit?: string;
  depends_on?: string[];
  labels: Record<string, string>;
}

export interface ComposeDoc {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean; labels: Record<string, string> }>;
  volumes: Record<string, { labels: Record<string, string> }>;
}
