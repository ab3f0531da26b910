// The Docker engine and the compose command: found once, with a message that says what to do
// when either is missing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);

/** A dockerode client that answered a ping, or an error saying how to get an engine. */
export async function connectDocker(): Promise<Docker> {
  const docker = new Docker(); // DOCKER_HOST, else /var/run/docker.sock
  try {
    await docker.ping();
    return docker;
  } catch (err) {
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
    throw new Error(
      `no Docker engine answers at ${where} (${(err as Error).message}). Start Docker Desktop or the ` +
        `Docker service (on Linux without systemd: scripts/docker/engine.sh start), then run the notebook again.`,
    );
  }
}

export interface ComposeCommand {
  /** e.g. ['docker', 'compose'] or ['docker-compose'] */
  argv: string[];
  version: string;
}

/** Compose v2 (`docker compose`) when present, else v1 (`docker-compose`). */
export async function findCompose(): Promise<ComposeCommand> {
  for (const argv of [['docker', 'compose'], ['docker-compose']]) {
    try {
      const { stdout } = await run(argv[0]!, [...argv.slice(1), 'version', '--short'], { timeout: 15_000 });
      return { argv, version: stdout.trim() };
    } catch {
      // try the next one
    }
  }
  throw new Error('neither `docker compose` (Compose v2) nor `docker-compose` (v1) was found: install Docker Compose v2 (it comes with Docker Desktop), or docker-compose');
}

/** Runs compose on a file; on failure the error carries compose's own output. */
export async function compose(cmd: ComposeCommand, file: string, project: string, args: string[], timeoutMs = 600_000): Promise<string> {
  const argv = [...cmd.argv.slice(1), '-f', file, '-p', project, ...args];
  try {
    const { stdout, stderr } = await run(cmd.argv[0]!, argv, {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      // The legacy builder works with every engine; BuildKit needs buildx, which some clients lack.
      env: { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? '0', COMPOSE_DOCKER_CLI_BUILD: process.env.COMPOSE_DOCKER_CLI_BUILD ?? '0' },
    });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd.argv.join(' ')} ${args.join(' ')} failed: ${e.message.split('\n')[0]}\n${output}`);
  }
}
