// Text widths for Vega's layout when no canvas is present. Vega then guesses 0.8 em per character,
// which spreads legends and truncates axis labels; these are DejaVu Sans advances (in em), the
// widest of the chart's font families, so the layout also fits Helvetica or Arial on GitHub.

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
// prettier-ignore
const LOWER_EM = [0.613, 0.635, 0.55, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974,
  0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525];
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
// prettier-ignore
const UPPER_EM = [0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863,
  0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685];
const OTHER_EM: Record<string, number> = {
  ' ': 0.318, '.': 0.318, ',': 0.318, ':': 0.337, ';': 0.337, '-': 0.361, '(': 0.39, ')': 0.39,
  '/': 0.337, '·': 0.318, '…': 1, '+': 0.838, '%': 0.95, "'": 0.275, '|': 0.337, '_': 0.5,
};
const DIGIT_EM = 0.636;
const DEFAULT_EM = 0.65;
const BOLD_FACTOR = 1.13;

const EM = new Map<string, number>([
  ...[...LOWER].map((c, i) => [c, LOWER_EM[i]!] as const),
  ...[...UPPER].map((c, i) => [c, UPPER_EM[i]!] as const),
  ...Object.entries(OTHER_EM),
]);

export function textWidthPx(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const c of text) em += c >= '0' && c <= '9' ? DIGIT_EM : (EM.get(c) ?? DEFAULT_EM);
  return em * fontSize * (bold ? BOLD_FACTOR : 1);
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

/** A drop-in for Vega's `textMetrics.width(item, text)`. */
export function vegaTextWidth(item: TextItem, text: unknown): number {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  const w = item.fontWeight;
  const bold = w === 'bold' || (typeof w === 'number' && w >= 600);
  return textWidthPx(text == null ? '' : String(text).trim(), size, bold);
}
