// Test-only: serve's runtime code never imports export or train (module boundary, boundary.test.ts);
// its tests build a real exported model through export's test helper, the way the pipeline does.
import { exportTestModel } from '@wgan/export/testing';

/** An export artifact of a freshly initialised seed-001 generator (d_z = 100; K classes: a conditional one) in a temp folder. */
export async function exportedFixture(latentDim = 100, classes?: number): Promise<{ root: string; modelDir: string }> {
  return exportTestModel({ latentDim, ...(classes ? { classes } : {}) });
}
