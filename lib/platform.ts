// Where bankrun runs: Linux and macOS, x64 and arm64. Natively on Windows the embedded runtime's
// signals (SIGSTOP, process groups) and the Docker runtime's paths do not exist; WSL2 is Linux.

/** Why a notebook cannot run on this platform and what to do, or undefined where it can. */
export function refusePlatform(platform: string = process.platform): string | undefined {
  if (platform !== 'win32') return undefined;
  return 'bankrun runs on Linux and macOS; on Windows run it inside WSL2 (wsl --install, then clone and ' +
    'npm ci inside the Linux distribution; Docker Desktop can serve WSL2 with its WSL integration)';
}
