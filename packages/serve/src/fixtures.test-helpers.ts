import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Test-only: serve's runtime code never imports export or train (module boundary); its tests build a
// real exported model through export's library, the way the pipeline does.
import { exportCheckpoint, exportSchema } from '@wgan/export';
import { writeTestCheckpoint } from '@wgan/export/testing';
import { seed001Generator } from '@wgan/train';

/**
 * An export artifact of a freshly initialised seed-001 generator (d_z = 100): a train checkpoint in a
 * temp folder, exported with export's own code (parity on 16 samples to keep it quick).
 */
export async function exportedFixture(latentDim = 100): Promise<{ root: string; modelDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'wgan-serve-'));
  const runDir = join(root, 'runs', 'fixture');
  await writeTestCheckpoint(runDir, { iteration: 1234, generator: seed001Generator(latentDim), seed: 5 });
  const out = join(root, 'export', 'fixture', '00001234');
  await exportCheckpoint(exportSchema.parse({ run: 'fixture', runDir, out, paritySamples: 16 }));
  return { root, modelDir: out };
}
