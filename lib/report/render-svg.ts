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

/** Rasterises an SVG; `scale` 2 gives a sharp image on slides and high-density screens. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await loadResvg();
  const fontFiles = [DEJAVU_SANS, DEJAVU_SANS_BOLD].filter((f) => existsSync(f));
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
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
