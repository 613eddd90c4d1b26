// Builds the fused optimiser addon (fused_optimizer.c) with node-gyp; @wgan/train's install script, so
// `npm ci` runs it. A failed build does not fail the install: it leaves build/status.txt saying why, and
// the onnx-cpu trainer then keeps the optimiser update in its ONNX graph (and logs that reason).
//   node packages/train/native/build.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const built = join(here, 'build/Release/fused_optimizer.node');
const note = join(here, 'build/status.txt');
// npm passes its bundled node-gyp to install scripts; otherwise look beside this node
const nodeGyp =
  process.env.npm_config_node_gyp ??
  [
    resolve(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    resolve(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ].find((p) => existsSync(p));
// the headers of this node where they are installed beside it (distribution packages, official tarballs):
// no download
const headers = resolve(dirname(process.execPath), '../include/node');
const nodedir = existsSync(join(headers, 'node_api.h')) && existsSync(join(headers, 'common.gypi'));

function fail(why) {
  rmSync(built, { force: true });
  mkdirSync(dirname(note), { recursive: true });
  writeFileSync(note, `build failed: ${why}\n`);
  console.log(`@wgan/train: the fused optimiser addon did not build (${why}); onnx-cpu keeps its in-graph optimiser`);
}

if (!nodeGyp) fail('node-gyp not found');
else {
  const args = [nodeGyp, 'rebuild', ...(nodedir ? [`--nodedir=${resolve(headers, '../..')}`] : [])];
  const r = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(built)) {
    const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}${r.error ? `\n${String(r.error)}` : ''}`.split('\n');
    // the compiler's first error, else node-gyp's own reason
    const why =
      lines.find((l) => /\berror:/.test(l)) ??
      lines.find((l) => /gyp ERR! stack Error|not found|No such file/i.test(l)) ??
      lines.filter((l) => l.trim()).slice(-1)[0];
    fail(why || `node-gyp exited with ${r.status}`);
  } else {
    rmSync(note, { force: true });
    console.log(`@wgan/train: built the fused optimiser addon (${built})`);
  }
}
