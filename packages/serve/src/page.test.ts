import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { decodeGray, workspaceRoot } from '@wgan/core';
import { exportedFixture } from './fixtures.test-helpers.js';
import { loadGenerator, type GeneratorModel } from './model.js';
import { createServer } from './server.js';

/**
 * The web page in a real browser: Debian's chromium driven by playwright-core. Skipped, with the reason
 * printed, where /usr/bin/chromium (or $CHROMIUM) is absent. The screenshot is saved under
 * artifacts/serve/ for people to look at.
 */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available)
  console.log(`[skip] serve page test: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM)`);

describe.skipIf(!available)('the web page in chromium', () => {
  let root: string;
  let model: GeneratorModel;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const fx = await exportedFixture();
    root = fx.root;
    model = await loadGenerator(fx.modelDir);
    app = await createServer({ model });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await model?.release();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Waits for the n-th completed render, then returns the grid image's bytes as the page shows them. */
  async function rendered(n: number): Promise<{ src: string; png: Buffer }> {
    await page.waitForFunction(
      (k) =>
        Number(document.body.dataset.rendered ?? 0) >= k &&
        (document.getElementById('grid') as HTMLImageElement).complete,
      n,
      { timeout: 20_000 },
    );
    const src = await page.$eval('#grid', (img) => (img as HTMLImageElement).src);
    const bytes = await page.evaluate(
      async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())),
      src,
    );
    return { src, png: Buffer.from(bytes) };
  }

  it('shows the model, a grid and a traversal strip', async () => {
    await page.goto(base);
    const first = await rendered(1);
    await expect.poll(() => page.textContent('#model')).toMatch(/run fixture, iteration 1234, d_z = 100, opset 17/);
    expect(await page.isHidden('#label-picker')).toBe(true); // an unconditional model: no digit picker
    const grid = await decodeGray(first.png);
    // 64 samples, 8 × 8 tiles of 56 px + 2 px padding: 8·58 + 2 = 466.
    expect([grid.width, grid.height]).toEqual([466, 466]);
    const size = await page.$eval('#traversal', (img) => [
      (img as HTMLImageElement).naturalWidth,
      (img as HTMLImageElement).naturalHeight,
    ]);
    expect(size).toEqual([10 * 58 + 2, 4 * 58 + 2]);
    await expect.poll(() => page.textContent('#traversal-caption')).toMatch(/E9 r = -?\d\.\d{3}/);
  });

  it('"new samples" draws a new seed; the same seed gives the same grid', async () => {
    const before = await rendered(1);
    const seedBefore = await page.inputValue('#seed');
    await page.click('#new');
    const after = await rendered(2);
    const seedAfter = await page.inputValue('#seed');
    expect(seedAfter).not.toBe(seedBefore);
    expect(after.png.equals(before.png)).toBe(false);
    await page.fill('#seed', seedBefore);
    await page.dispatchEvent('#seed', 'change');
    const again = await rendered(3);
    expect(again.png.equals(before.png)).toBe(true);
  });

  it('the latent slider changes the grid (z[index] set in every sample) and the caption says so', async () => {
    const before = await rendered(3);
    await page.fill('#index', '5');
    await page.dispatchEvent('#index', 'change');
    await rendered(4);
    await page.$eval('#value', (el) => {
      (el as HTMLInputElement).value = '2';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(
      () => /z\[5\] = 2\.00/.test(document.getElementById('grid-caption')!.textContent ?? ''),
      undefined,
      { timeout: 20_000 },
    );
    const moved = await rendered(5);
    expect(moved.png.equals(before.png)).toBe(false);
    expect(await page.textContent('#value-out')).toBe('2.00');
    expect(await page.textContent('#error')).toBe('');
  });

  it('shows a server error on the page instead of failing silently, and saves a screenshot', async () => {
    await page.fill('#index', '100'); // out of range for d_z = 100: the server answers 400 naming the field
    await page.dispatchEvent('#index', 'change');
    await expect
      .poll(() => page.textContent('#error'), { timeout: 20_000 })
      .toMatch(/index 100 is out of range: the latent size is 100 \((fix\.)?index\)/);
    await page.fill('#index', '5');
    await page.dispatchEvent('#index', 'change');
    await expect.poll(() => page.textContent('#error'), { timeout: 20_000 }).toBe('');
    const dir = join(workspaceRoot(), 'artifacts', 'serve');
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'page.png');
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path)).toBe(true);
    console.log(`[page] screenshot: ${path}`);
    expect(
      consoleErrors.filter((e) => !/400 \(Bad Request\)/.test(e)),
      consoleErrors.join(' | '),
    ).toEqual([]);
  });
});
