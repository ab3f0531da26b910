// Docker multiplexes a container's stdout and stderr with 8-byte frame headers (no TTY); keep the text.
export function demuxLogs(buf: Buffer): string {
  const out: string[] = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size).toString('utf8'));
    i += 8 + size;
  }
  return out.length ? out.join('') : buf.toString('utf8');
}
