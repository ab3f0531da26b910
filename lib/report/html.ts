// report.md as one self-contained HTML page for the browser: the same text and tables, and each
// chart drawn live from its Vega-Lite spec through vega-embed (tooltips, export to PNG or SVG).
// Vega, Vega-Lite and vega-embed are inlined, so the file works offline and can be mailed or put
// on a USB stick for a meetup.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { githubAnchor } from './markdown.ts';

/** The browser builds to inline, in load order (vega-embed needs the other two). */
const LIBRARIES = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
] as const;

/** Reads report.md and the charts' Vega-Lite specs in `dir`, writes report.html beside them; returns its path. */
export async function writeHtmlReport(dir: string): Promise<string> {
  const markdown = await readFile(join(dir, 'report.md'), 'utf8');
  const specs = new Map<string, unknown>();
  for (const src of imageSources(markdown)) {
    const specPath = join(dir, src.replace(/\.(svg|png)$/, '.vl.json'));
    if (existsSync(specPath)) specs.set(src, JSON.parse(await readFile(specPath, 'utf8')));
  }
  const path = join(dir, 'report.html');
  await writeFile(path, renderHtml(markdown, specs, await browserLibraries()));
  return path;
}

/** The inlined libraries' source, read from node_modules (their packages do not export the builds). */
export async function browserLibraries(): Promise<string[]> {
  return Promise.all(LIBRARIES.map(async ([pkg, file]) => readFile(findInNodeModules(pkg, file), 'utf8')));
}

function findInNodeModules(pkg: string, file: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', pkg, file);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`the HTML report inlines ${pkg}/${file}, which is not in node_modules: run \`npm ci\``);
  }
}

/**
 * Renders the Markdown bankrun's reports are written in (headings, paragraphs, lists, tables,
 * code blocks, images, links, bold, italics, code spans) to a whole HTML page. An image whose spec
 * is in `specs` (keyed by its path in the Markdown) becomes an interactive chart.
 */
export function renderHtml(markdown: string, specs: ReadonlyMap<string, unknown>, libraries: readonly string[]): string {
  const title = /^# (.+)$/m.exec(markdown)?.[1] ?? 'bankrun report';
  const charts: unknown[] = [];
  const body = markdownToHtml(markdown, (alt, src) => {
    const spec = specs.get(src);
    if (spec === undefined) return `<p><img src="${attr(src)}" alt="${attr(alt)}"></p>`;
    charts.push(spec);
    return `<figure><div class="chart" id="chart-${charts.length - 1}" role="img" aria-label="${attr(alt)}"></div></figure>`;
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${text(inlineText(title))}</title>`,
    `<style>${STYLE}</style>`,
    ...libraries.map((source) => `<script>${scriptSafe(source)}</script>`),
    '</head>',
    '<body>',
    '<main>',
    body,
    '</main>',
    `<script type="application/json" id="chart-specs">${scriptSafe(JSON.stringify(charts))}</script>`,
    `<script>${EMBED_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const STYLE = [
  'body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;margin:0;background:#fff}',
  'main{max-width:1100px;margin:0 auto;padding:1.5rem 2rem 4rem;line-height:1.5}',
  'h1,h2,h3{line-height:1.25}h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2.2rem}',
  'table{border-collapse:collapse;margin:1rem 0;display:block;overflow-x:auto}th,td{border:1px solid #ddd;padding:.3rem .6rem}',
  'th{background:#f6f8fa}td.r,th.r{text-align:right}',
  'pre{background:#f6f8fa;padding:.8rem;overflow-x:auto}code{font-size:.9em}figure{margin:1rem 0}',
  'img{max-width:100%}',
].join('');

/** Draws every chart from its spec; a chart that cannot be drawn says so in its place. */
const EMBED_SCRIPT = `
const specs = JSON.parse(document.getElementById('chart-specs').textContent);
specs.forEach((spec, i) => {
  const el = document.getElementById('chart-' + i);
  vegaEmbed(el, spec, { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
    .catch((err) => { el.textContent = 'chart could not be drawn: ' + err.message; });
});`;

/** Inline <script> content must not contain "</script" (or "<!--"); both are escaped the JS/JSON way. */
function scriptSafe(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function imageSources(markdown: string): string[] {
  return [...markdown.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

type ImageRenderer = (alt: string, src: string) => string;

function markdownToHtml(markdown: string, image: ImageRenderer): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join('\n')}</p>`);
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^```(\w*)/.exec(line);
    if (fence) {
      endParagraph();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) code.push(lines[i]!);
      out.push(`<pre><code${fence[1] ? ` class="language-${attr(fence[1])}"` : ''}>${text(code.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6}) (.+)$/.exec(line);
    if (heading) {
      endParagraph();
      const level = heading[1]!.length;
      out.push(`<h${level} id="${attr(githubAnchor(heading[2]!))}">${inline(heading[2]!)}</h${level}>`);
      continue;
    }
    const alone = /^!\[([^\]]*)\]\(([^)\s]+)\)$/.exec(line.trim());
    if (alone) {
      endParagraph();
      out.push(image(alone[1]!, alone[2]!));
      continue;
    }
    if (line.startsWith('|') && /^\|(\s*:?-+:?\s*\|)+\s*$/.test(lines[i + 1] ?? '')) {
      endParagraph();
      const rows: string[] = [];
      for (; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!);
      i--;
      out.push(tableHtml(rows));
      continue;
    }
    if (/^[-*] /.test(line)) {
      endParagraph();
      const items: string[] = [];
      for (; i < lines.length && /^[-*] /.test(lines[i]!); i++) items.push(`<li>${inline(lines[i]!.slice(2))}</li>`);
      i--;
      out.push(`<ul>\n${items.join('\n')}\n</ul>`);
      continue;
    }
    if (line.trim() === '') endParagraph();
    else paragraph.push(line);
  }
  endParagraph();
  return out.join('\n');
}

function tableHtml(rows: string[]): string {
  const cells = (row: string) => splitRow(row);
  const align = cells(rows[1]!).map((c) => (c.trim().endsWith(':') ? ' class="r"' : ''));
  const head = cells(rows[0]!).map((c, j) => `<th${align[j] ?? ''}>${inline(c.trim())}</th>`).join('');
  const body = rows.slice(2).map((r) => `<tr>${cells(r).map((c, j) => `<td${align[j] ?? ''}>${inline(c.trim())}</td>`).join('')}</tr>`);
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>`;
}

/** A table row's cells; `\|` is a pipe inside a cell (lib/report/format.ts escapes them so). */
function splitRow(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.replace(/\\\|/g, '|'));
}

/** Code spans first (nothing inside them is Markdown), then images, links, bold and italics. */
function inline(source: string): string {
  const codes: string[] = [];
  let s = source.replace(/`([^`]+)`/g, (_, code: string) => `\u0000${codes.push(`<code>${text(code)}</code>`) - 1}\u0000`);
  s = text(s)
    .replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (_, alt: string, src: string) => `<img src="${src}" alt="${alt}">`)
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label: string, href: string) => `<a href="${href.replace(/"/g, '&quot;')}">${label}</a>`)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[\s(])_(\S(?:.*?\S)?)_(?=$|[\s.,;:!?)])/g, '$1<em>$2</em>')
    .replace(/(^|[\s(])\*(\S(?:.*?\S)?)\*(?=$|[\s.,;:!?)])/g, '$1<em>$2</em>');
  return s.replace(/\u0000(\d+)\u0000/g, (_, k: string) => codes[Number(k)]!);
}

/** The text of a heading without its Markdown. */
function inlineText(source: string): string {
  return source.replace(/[*_`]/g, '');
}

function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;');
}
