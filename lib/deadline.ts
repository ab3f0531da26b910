// A call with a deadline: settles with the call's outcome, or rejects with `timedOut()` when the
// deadline passes first. The late outcome is swallowed, so it can never surface as unhandled.

export function withDeadline<T>(call: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), Math.max(0, ms));
  });
  call.catch(() => undefined);
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
}
