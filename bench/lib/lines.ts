/** Newline framing over Buffers: calls `onLine` with each complete line (without the newline). */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending: Buffer[] = [];
  return (chunk: Buffer) => {
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      if (pending.length) {
        pending.push(piece);
        const line = Buffer.concat(pending).toString('utf8');
        pending = [];
        onLine(line);
      } else {
        onLine(piece.toString('utf8'));
      }
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  };
}
