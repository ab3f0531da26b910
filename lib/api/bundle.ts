// The API node for containers as one file: run.ts and the one adapter an engine needs, bundled by
// esbuild on the host at bring-up. A container then needs Node.js and this file, never the host's
// node_modules, whose native parts (esbuild under tsx, a client's binding) are built for the
// host's OS and CPU, not for the container's Linux.
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Left to Node's resolution at run time, never bundled: the FoundationDB binding (native; the
 * adapter imports it only when used, and its API node image installs one for its own platform:
 * compose/api-fdb) and pg-native (pg's optional native driver, loaded only when asked for).
 */
export const EXTERNAL: readonly string[] = ['foundationdb', 'pg-native'];

// Bundled CommonJS code calls `require` for Node's built-in modules, which an ES module lacks; and
// files read at run time are found beside the bundle (__bankrunDir).
const BANNER = [
  "import { createRequire as __bankrunCreateRequire } from 'node:module';",
  "import { dirname as __bankrunDirname } from 'node:path';",
  "import { fileURLToPath as __bankrunPath } from 'node:url';",
  'const require = __bankrunCreateRequire(import.meta.url);',
  'const __bankrunDir = __bankrunDirname(__bankrunPath(import.meta.url));',
].join('\n');

export interface ApiBundle {
  file: string;
  bytes: number;
  /** Wall time of the build, files beside the bundle included. */
  ms: number;
  /** What the bundle still imports at run time: Node's built-ins and EXTERNAL. */
  imports: string[];
}

/** Bundles the API node with the adapter `adapter` (a name in adapters/) into `file`; files it reads at run time go beside it. */
export async function buildApiBundle(adapter: string, file: string): Promise<ApiBundle> {
  const t0 = performance.now();
  if (!/^[\w-]+$/.test(adapter)) throw new Error(`the API node bundle takes an adapter name from adapters/, not ${JSON.stringify(adapter)}`);
  const source = join(REPO_ROOT, 'adapters', `${adapter}.ts`);
  await stat(source).catch(() => {
    throw new Error(`the API node bundle: no adapter ${JSON.stringify(adapter)} (${source})`);
  });
  const outDir = dirname(file);
  await mkdir(outDir, { recursive: true });
  const result = await build({
    stdin: {
      contents: [
        `import * as adapter from ${JSON.stringify(`./adapters/${adapter}.ts`)};`,
        "import { oneAdapter, runApiNode } from './lib/api/run.ts';",
        `runApiNode('node api.mjs', process.argv.slice(2), oneAdapter(${JSON.stringify(adapter)}, adapter));`,
      ].join('\n'),
      resolveDir: REPO_ROOT,
      sourcefile: 'api-node.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: file,
    external: [...EXTERNAL],
    banner: { js: BANNER },
    plugins: [etcd3Protos(outDir)],
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  return {
    file,
    bytes: output.bytes,
    ms: performance.now() - t0,
    imports: [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort(),
  };
}

const ETCD3_PROTO_DIR = '`${__dirname}/../proto/';

/**
 * etcd3 reads its gRPC service definitions when loaded, from `${__dirname}/../proto/` beside its
 * own code: they are copied into etcd3-proto/ beside the bundle and the path is pointed there.
 */
function etcd3Protos(outDir: string): Plugin {
  return {
    name: 'etcd3-protos',
    setup(b) {
      b.onLoad({ filter: /[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/ }, async (args) => {
        const code = await readFile(args.path, 'utf8');
        // A newer etcd3 that loads them otherwise fails the build here, not the API node at run time.
        if (!code.includes(ETCD3_PROTO_DIR)) throw new Error(`${args.path} does not load ${ETCD3_PROTO_DIR}…\`: the API node bundle does not know this etcd3`);
        const from = join(dirname(args.path), '..', 'proto');
        const to = join(outDir, 'etcd3-proto');
        await mkdir(to, { recursive: true });
        for (const f of (await readdir(from)).filter((f) => f.endsWith('.proto'))) await copyFile(join(from, f), join(to, f));
        return { contents: code.replaceAll(ETCD3_PROTO_DIR, '`${__bankrunDir}/etcd3-proto/'), loader: 'js' };
      });
    },
  };
}
