// A call with a deadline: settles with the call's outcome, or rejects with `timedOut()` when the
// deadline passes first. The late outcome is swallowed, so it can never surface as unhandled.
// One promise and one timer per call (no Promise.race, no finally): it wraps every transfer.

export function withDeadline<T>(call: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timedOut()), Math.max(0, ms));
    call.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
