// Number and Markdown formatting for the report: fixed locale, so reports do not depend on the
// machine that wrote them.

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12,345 */
export function count(n: number): string {
  return INT.format(n);
}

/** Microseconds as ms with three significant digits: 0.412, 4.12, 41.2, 412, 4,120. */
export function ms(us: number): string {
  const v = us / 1000;
  if (v === 0) return '0';
  const abs = Math.abs(v);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(v);
}

/** A rate per second: one decimal below 100, whole numbers above. */
export function rate(perS: number): string {
  const decimals = Math.abs(perS) < 100 ? 1 : 0;
  return new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(perS);
}

/** Milliseconds as seconds, "10.04 s"; trailing zeros dropped but one decimal kept. */
export function seconds(msValue: number): string {
  const s = (msValue / 1000).toFixed(2).replace(/0$/, '');
  return `${s} s`;
}

/** Text safe inside a Markdown table cell: no pipes, no line breaks. */
export function cell(text: string | number): string {
  return String(text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function table(header: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  const line = (cells: (string | number)[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `| ${sep.join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** "1 lost transfer", "3 lost transfers". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count(n)} ${n === 1 ? singular : pluralForm}`;
}
