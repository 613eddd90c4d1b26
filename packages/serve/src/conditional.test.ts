import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { exportedFixture } from './fixtures.test-helpers.js';
import { loadGenerator, type GeneratorModel } from './model.js';
import { labelsFor, RequestError } from './requests.js';
import { createServer } from './server.js';

/**
 * A class-conditional export (train --conditional, K = 10): `label` in /generate and /traverse — one class
 * for every image or a list with one per image, validated like z — and the page's digit picker in chromium.
 */
let root: string;
let model: GeneratorModel;
let app: FastifyInstance;

beforeAll(async () => {
  const fx = await exportedFixture(100, 10);
  root = fx.root;
  model = await loadGenerator(fx.modelDir);
  app = await createServer({ model });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await model?.release();
  if (root) await rm(root, { recursive: true, force: true });
});

const post = (url: string, payload: unknown) =>
  app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(payload),
    headers: { 'content-type': 'application/json' },
  });

type Images = { images: number[][][][]; labels: number[] };

describe('label in the API', () => {
  it('GET /model says the model takes K classes', async () => {
    expect(model.classes).toBe(10);
    expect((await app.inject({ url: '/model' })).json()).toMatchObject({ classes: 10, latentDim: 100 });
  });

  it('one label for every image, or one per image; the label changes the image, z stays the same', async () => {
    const seven = (await post('/generate', { seed: 5, count: 3, label: 7 })).json() as Images;
    const three = (await post('/generate', { seed: 5, count: 3, label: 3 })).json() as Images;
    expect(seven.labels).toEqual([7, 7, 7]);
    expect(seven.images).not.toEqual(three.images);
    const mixed = await post('/generate', { seed: 5, count: 3, label: [7, 3, 7] });
    expect(mixed.statusCode).toBe(200);
    const m = mixed.json() as Images;
    expect(m.labels).toEqual([7, 3, 7]);
    expect(m.images[0]).toEqual(seven.images[0]);
    expect(m.images[1]).toEqual(three.images[1]);
    expect(m.images[2]).toEqual(seven.images[2]);
    // without a label: the classes 0, 1, 2, … in turn
    expect(((await post('/generate', { seed: 5, count: 12 })).json() as Images).labels).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,
    ]);
  });

  it('/traverse takes a label too', async () => {
    const r = (await post('/traverse', { seed: 2, index: 0, rows: 2, values: [-1, 1], label: 4 })).json() as Images;
    expect(r.labels).toEqual([4, 4, 4, 4]);
    const other = (await post('/traverse', { seed: 2, index: 0, rows: 2, values: [-1, 1], label: 5 })).json() as Images;
    expect(other.images).not.toEqual(r.images);
  });

  it.each([
    [{ count: 2, label: 10 }, 'label', /label must be an integer from 0 to 9, got 10/],
    [{ count: 2, label: -1 }, 'label', /from 0 to 9/],
    [{ count: 2, label: 1.5 }, 'label', /from 0 to 9/],
    [{ count: 2, label: '3' }, 'label', /from 0 to 9/],
    [{ count: 2, label: [1, 2, 3] }, 'label', /label has 3 classes for 2 images/],
    [{ count: 2, label: [1, 'x'] }, 'label[1]', /label\[1\] must be an integer from 0 to 9/],
    [{ count: 2, label: [1, null] }, 'label[1]', /label\[1\]/],
  ])('/generate %j → 400 naming %s', async (body, field, message) => {
    const res = await post('/generate', body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field, error: expect.stringMatching(message) });
  });

  it('a label list for /traverse has one class per image (rows × values)', async () => {
    const res = await post('/traverse', { index: 0, rows: 2, values: [0, 1], label: [1, 2] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'label', error: 'label has 2 classes for 4 images' });
  });

  it('an unconditional model refuses a label, naming the field', () => {
    const e = (() => {
      try {
        return labelsFor(3, 4, 0, () => 0);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(RequestError);
    expect((e as RequestError).toJSON()).toMatchObject({ field: 'label', error: /not class-conditional/ });
    expect(labelsFor(undefined, 4, 0, () => 0)).toBeNull();
  });
});

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available)
  console.log(`[skip] serve digit-picker test: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM)`);

describe.skipIf(!available)('the digit picker in chromium', () => {
  let browser: Browser;
  let page: Page;
  let base: string;
  const errors: string[] = [];

  beforeAll(async () => {
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  const gridBytes = async () => {
    const src = await page.$eval('#grid', (img) => (img as HTMLImageElement).src);
    return Buffer.from(
      await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())), src),
    );
  };
  const waitRendered = (n: number) =>
    page.waitForFunction(
      (k) =>
        Number(document.body.dataset.rendered ?? 0) >= k &&
        (document.getElementById('grid') as HTMLImageElement).complete,
      n,
      { timeout: 20_000 },
    );

  it('shows digits 0–9 for a conditional model; picking 7 draws the grid of label 7', async () => {
    await page.goto(base);
    await waitRendered(1);
    expect(await page.isVisible('#label-picker')).toBe(true);
    const options = await page.$$eval('#label option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(['', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await expect.poll(() => page.textContent('#grid-caption')).toMatch(/digits 0–9 in turn/);
    const inTurn = await gridBytes();
    await page.selectOption('#label', '7');
    await waitRendered(2);
    await expect.poll(() => page.textContent('#grid-caption')).toMatch(/digit 7/);
    const picked = await gridBytes();
    expect(picked.equals(inTurn)).toBe(false);
    // the page's grid is exactly the API's answer for label 7 with the page's seed and count
    const seed = Number(await page.inputValue('#seed'));
    const count = Number(await page.inputValue('#count'));
    const api = await post('/generate', {
      seed,
      count,
      cols: Math.ceil(Math.sqrt(count)),
      scale: 2,
      format: 'png',
      label: 7,
    });
    expect(Buffer.from(api.rawPayload).equals(picked)).toBe(true);
    expect(await page.textContent('#error')).toBe('');
    expect(errors).toEqual([]);
  }, 60_000);
});
