// The FoundationDB adapter's config and the loading of its optional native client, without a
// server: bad config is named as such before anything loads, and a missing libfdb_c (as on a
// machine without the FoundationDB client package) says what to install.
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { create, parseConfig } from '../adapters/foundationdb.ts';
import { missingClientMessage } from '../adapters/foundationdb/client.ts';
import { DefiniteError } from '../lib/store.ts';

t.test('no server: config is validated before the client is loaded', async (t) => {
  const o = parseConfig({});
  t.same([o.apiVersion, o.timeoutMs, o.run, o.clusterFile, o.clusterFileContents], [720, 4000, '', undefined, undefined], 'defaults');
  t.equal(parseConfig({ clusterFileContents: ' docker:docker@10.77.0.11:4500,10.77.0.12:4500 \n' }).clusterFileContents, 'docker:docker@10.77.0.11:4500,10.77.0.12:4500');
  t.ok(parseConfig({ clusterFileContents: 'db_1:Ab3@[::1]:4500:tls,fdb-2:4500' }), 'IPv6, TLS and host names');
  const bad: Record<string, string>[] = [
    { clusterFile: '/etc/foundationdb/fdb.cluster', clusterFileContents: 'docker:docker@10.77.0.11:4500' },
    { clusterFile: ' ' },
    { clusterFileContents: '10.77.0.11:4500' },
    { clusterFileContents: 'docker:docker@10.77.0.11' },
    { clusterFileContents: 'docker:docker@10.77.0.11:4500 10.77.0.12:4500' },
    { apiVersion: '730' },
    { apiVersion: '600' },
    { apiVersion: 'latest' },
    { timeoutMs: 'soon' },
    { timeoutMs: '1.5' },
    { timeoutMs: '0' },
    { run: 'a/b' },
  ];
  for (const config of bad) {
    const err = await create(config).catch((e) => e);
    t.type(err, DefiniteError, JSON.stringify(config));
    t.match(err.message, /config/, 'named as a config error, not a missing library');
  }
});

t.test('no server: each way loading the client can fail gets a plain explanation', async (t) => {
  const notFound = Object.assign(new Error("Cannot find package 'foundationdb' imported from /x/adapters/foundationdb.ts"), { code: 'ERR_MODULE_NOT_FOUND' });
  t.match(missingClientMessage(notFound), /npm package "foundationdb" is not installed/);
  const noLib = Object.assign(new Error('libfdb_c.so: cannot open shared object file: No such file or directory'), { code: 'ERR_DLOPEN_FAILED' });
  t.match(missingClientMessage(noLib), /libfdb_c\.so is missing/);
  t.match(missingClientMessage(new Error('No native build was found for platform=linux arch=arm64 runtime=node abi=115')), /no prebuilt binding/);
  t.match(missingClientMessage(new Error('something else\n    at x (y.js:1:1)')), /could not load the client \(something else\)/);
  for (const err of [notFound, noLib]) {
    const m = missingClientMessage(err);
    t.match(m, /7\.3/, 'names the client version');
    t.match(m, /foundationdb-clients/, 'names the package');
    t.match(m, /\/usr\/lib\/libfdb_c\.so/, 'and the file the API node image copies');
    t.notMatch(m, /\n/, 'one line, no stack');
  }
});

const LIB_DIRS = ['/usr/lib', '/usr/lib64', '/usr/local/lib', ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)];
const libfdbPresent = LIB_DIRS.some((d) => existsSync(path.join(d, 'libfdb_c.so')));

t.test('no server: create() says what to install when libfdb_c is missing', { skip: libfdbPresent ? 'libfdb_c.so is installed here' : false }, async (t) => {
  const temps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('bankrun-fdb-')).length;
  const before = temps();
  for (let i = 0; i < 2; i++) {
    const err = await create({ clusterFileContents: 'docker:docker@127.0.0.1:4500' }).catch((e) => e);
    t.type(err, DefiniteError, `attempt ${i + 1}: a definite error, not a crash`);
    t.match(err.message, /libfdb_c\.so is missing/);
    t.match(err.message, /FoundationDB client package 7\.3\.x/);
    t.match(err.message, /copy \/usr\/lib\/libfdb_c\.so from the foundationdb\/foundationdb:7\.3\.x server image/);
    t.notMatch(err.message, /\n\s+at /, 'no stack trace in the message');
  }
  t.equal(temps(), before, 'no cluster file was left behind');
});
