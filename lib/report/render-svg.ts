// Vega-Lite spec → SVG (headless: Vega's 'none' renderer, no browser, no canvas) → PNG (resvg).
// The report embeds the SVG; the PNG is for people looking at the charts outside GitHub.
import { existsSync } from 'node:fs';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { vegaTextWidth } from './text-width.ts';

/** Debian's fonts-dejavu-core; when present, PNGs use it whatever the system font config says. */
export const DEJAVU_SANS = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const DEJAVU_SANS_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

/** vega-scenegraph's text measurer: exported at run time, missing from vega's typings. */
interface VegaWithMetrics {
  textMetrics: { width: typeof vegaTextWidth };
}

/** Compiles a Vega-Lite spec and renders it to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Without a canvas Vega guesses 0.8 em per character: legends spread out, labels get cut.
  // Setting the width function is how Vega expects headless renderers to measure (vl-convert).
  (vega as unknown as VegaWithMetrics).textMetrics.width = vegaTextWidth;
  const { spec: vgSpec } = compile(spec);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize(); // releases timers and listeners, so a test process can exit
  }
}

type ResvgModule = typeof import('@resvg/resvg-js');
let resvgModule: Promise<ResvgModule> | undefined;

/**
 * resvg is a native module: loaded on first use, so a machine where it cannot load still gets
 * its run, its report and its SVG charts, with one clear message instead of a crash at start.
 */
export function loadResvg(): Promise<ResvgModule> {
  resvgModule ??= import('@resvg/resvg-js').catch((err: Error) => {
    throw new Error(`PNG charts need the native module @resvg/resvg-js, which did not load (${err.message}); run \`npm ci\` on this machine`);
  });
  return resvgModule;
}

/** A slide's width: a chart's PNG fills a 1080p projector's width, so its text scales up with it. */
export const SLIDE_WIDTH_PX = 1920;

/** Rasterises an SVG at `scale` times its size. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return rasterise(svg, { mode: 'zoom', value: scale });
}

/**
 * Axis, legend and title text a third larger than in the report's SVG: at SLIDE_WIDTH_PX their
 * 12 px labels come out at about 36 px (18 pt on a 1080p slide) instead of 30. Only the config's
 * sizes change: Vega lays the chart out around them, so nothing overlaps that did not before.
 */
export const SLIDE_TEXT_SCALE = 4 / 3;

const CONFIG_TEXT_SIZES: Record<string, readonly string[]> = {
  // the subtitle stays: a long one would widen the chart, and so shrink everything else on the slide
  title: ['fontSize'],
  axis: ['labelFontSize', 'titleFontSize'],
  legend: ['labelFontSize', 'titleFontSize'],
};

/** The spec with its configured text sizes scaled for a slide; the data and marks are the same. */
export function slideSpec(spec: TopLevelSpec): TopLevelSpec {
  const config: Record<string, Record<string, unknown>> = { ...(spec.config as Record<string, Record<string, unknown>> | undefined) };
  for (const [part, keys] of Object.entries(CONFIG_TEXT_SIZES)) {
    const scaled: Record<string, unknown> = { ...config[part] };
    for (const key of keys) {
      const size = typeof scaled[key] === 'number' ? (scaled[key] as number) : 11; // Vega-Lite's default
      scaled[key] = Math.round(size * SLIDE_TEXT_SCALE);
    }
    config[part] = scaled;
  }
  return { ...spec, config } as TopLevelSpec;
}

/** Rasterises an SVG to the width of a 1080p slide, whatever the chart's own width. */
export async function svgToSlidePng(svg: string): Promise<Buffer> {
  return rasterise(svg, { mode: 'width', value: SLIDE_WIDTH_PX });
}

async function rasterise(svg: string, fitTo: { mode: 'zoom' | 'width'; value: number }): Promise<Buffer> {
  const { Resvg } = await loadResvg();
  const fontFiles = [DEJAVU_SANS, DEJAVU_SANS_BOLD].filter((f) => existsSync(f));
  const resvg = new Resvg(svg, {
    fitTo,
    background: 'white',
    font: {
      loadSystemFonts: true,
      fontFiles,
      // without these, a family resvg cannot find falls back to a serif font
      defaultFontFamily: fontFiles.length ? 'DejaVu Sans' : 'Arial',
      sansSerifFamily: fontFiles.length ? 'DejaVu Sans' : 'Arial',
    },
  });
  return resvg.render().asPng();
}
