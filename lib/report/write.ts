// The one place the report touches the disk: specs, SVGs, PNGs and report.md into a run folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { chartSpecs, runThroughputSpec } from './charts.ts';
import { renderMarkdown } from './markdown.ts';
import type { CellCharts } from './markdown.ts';
import type { RunReport } from './model.ts';
import { writeHtmlReport } from './html.ts';
import { renderSvg, slideSpec, svgToSlidePng } from './render-svg.ts';

const CHARTS_DIR = 'charts';

export interface WriteOptions {
  /** Also a self-contained report.html with interactive charts (lib/report/html.ts). */
  html?: boolean;
}

/** Writes the report into `dir` and returns the paths written (joined with `dir`). */
export async function writeReport(dir: string, run: RunReport, options: WriteOptions = {}): Promise<string[]> {
  await mkdir(join(dir, CHARTS_DIR), { recursive: true });
  const written: string[] = [];
  const slugs = uniqueSlugs(run.cells.map((c) => c.name));
  const charts: CellCharts[] = [];
  for (const [i, specs] of chartSpecs(run).entries()) {
    const base = `${CHARTS_DIR}/${slugs[i]}`;
    written.push(...(await writeChart(dir, `${base}-throughput`, specs.throughput)));
    written.push(...(await writeChart(dir, `${base}-latency`, specs.latency)));
    written.push(...(await writeChart(dir, `${base}-distribution`, specs.distribution)));
    if (specs.nodes) written.push(...(await writeChart(dir, `${base}-nodes`, specs.nodes)));
    written.push(...(await writeChart(dir, `${base}-mix`, specs.mix)));
    charts.push({
      cell: specs.cell,
      throughput: `${base}-throughput.svg`,
      latency: `${base}-latency.svg`,
      distribution: `${base}-distribution.svg`,
      ...(specs.nodes ? { nodes: `${base}-nodes.svg` } : {}),
      mix: `${base}-mix.svg`,
    });
  }
  const summaryChart = `${CHARTS_DIR}/summary-throughput`;
  written.push(...(await writeChart(dir, summaryChart, runThroughputSpec(run))));
  const report = join(dir, 'report.md');
  await writeFile(report, renderMarkdown(run, charts, { summaryChart: `${summaryChart}.svg` }));
  written.push(report);
  if (options.html) written.push(await writeHtmlReport(dir));
  return written;
}

/** Spec beside its SVG and PNG, so a chart can be re-rendered or edited in the Vega editor. */
export async function writeChart(dir: string, base: string, spec: TopLevelSpec): Promise<string[]> {
  const svg = await renderSvg(spec);
  const files: [string, string | Buffer][] = [
    [`${base}.vl.json`, JSON.stringify(spec, null, 2) + '\n'],
    [`${base}.svg`, svg],
  ];
  const png = await pngOrWarn(spec);
  if (png) files.push([`${base}.png`, png]);
  for (const [rel, body] of files) await writeFile(join(dir, rel), body);
  return files.map(([rel]) => join(dir, rel));
}

let pngWarned = false;

/**
 * The PNG, for slides: a 1080p slide's width, its text larger (render-svg.ts slideSpec); or
 * nothing (said once) when the native renderer is missing: the SVG is what the report uses.
 */
async function pngOrWarn(spec: TopLevelSpec): Promise<Buffer | undefined> {
  try {
    return await svgToSlidePng(await renderSvg(slideSpec(spec)));
  } catch (err) {
    if (!pngWarned) console.warn(`⚠ PNG charts skipped: ${(err as Error).message}`);
    pngWarned = true;
    return undefined;
  }
}

/** File-name-safe, readable, and distinct even when two cells share a name. */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'cell';
}

export function uniqueSlugs(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const s = slug(n);
    const k = (seen.get(s) ?? 0) + 1;
    seen.set(s, k);
    return k === 1 ? s : `${s}-${k}`;
  });
}
