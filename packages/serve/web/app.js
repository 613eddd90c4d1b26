// The serve page: plain DOM + fetch. The grid comes from POST /generate as a PNG; the latent slider sets
// one coordinate of every vector (fix: { index, value }); the traversal strip is POST /traverse (E9: one
// latent index swept over 10 values in [−2, 2], the other coordinates fixed, 4 base vectors). A
// class-conditional model (GET /model: classes > 0) gets a digit picker: its class goes to both routes as
// `label`; "each in turn" sends none (the server then draws the classes 0, 1, … in turn).
const $ = (id) => document.getElementById(id);
const state = { latentDim: 0, classes: 0, busy: false, pending: false, gridUrl: null, travUrl: null };

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'image/png' },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    const e = await res.json().catch(() => ({ error: res.statusText, field: '?' }));
    throw new Error(`${e.error} (${e.field})`);
  }
  return res;
}

function show(img, urlKey, blob) {
  if (state[urlKey]) URL.revokeObjectURL(state[urlKey]);
  state[urlKey] = URL.createObjectURL(blob);
  img.src = state[urlKey];
}

function request() {
  const seed = Number($('seed').value);
  const count = Number($('count').value);
  const index = Number($('index').value);
  const value = Number($('value').value);
  const fix = $('fix').checked ? { index, value } : undefined;
  const label = state.classes > 0 && $('label').value !== '' ? Number($('label').value) : undefined;
  return { seed, count, index, value, fix, label };
}

// Renders the grid and the traversal strip; while one render is in flight, further calls collapse into
// one more render with the newest inputs (dragging the slider never queues up stale requests).
async function render() {
  if (state.busy) {
    state.pending = true;
    return;
  }
  state.busy = true;
  try {
    const r = request();
    $('error').textContent = '';
    const cols = Math.ceil(Math.sqrt(r.count));
    const [grid, trav] = await Promise.all([
      post('/generate', {
        seed: r.seed,
        count: r.count,
        cols,
        scale: 2,
        format: 'png',
        ...(r.fix ? { fix: r.fix } : {}),
        ...(r.label !== undefined ? { label: r.label } : {}),
      }),
      post('/traverse', {
        seed: r.seed,
        index: r.index,
        rows: 4,
        scale: 2,
        format: 'png',
        ...(r.label !== undefined ? { label: r.label } : {}),
      }),
    ]);
    show($('grid'), 'gridUrl', await grid.blob());
    show($('traversal'), 'travUrl', await trav.blob());
    $('grid').dataset.seed = String(r.seed);
    $('grid').dataset.label = r.label === undefined ? '' : String(r.label);
    const digit = state.classes > 0 ? (r.label === undefined ? ', digits 0–9 in turn' : `, digit ${r.label}`) : '';
    $('grid-caption').textContent =
      `seed ${r.seed}, ${r.count} samples${digit}${r.fix ? `, z[${r.fix.index}] = ${r.fix.value.toFixed(2)}` : ''}`;
    const e9 = Number(trav.headers.get('x-e9-r'));
    $('traversal-caption').textContent =
      `z[${r.index}] from −2 to 2 (10 steps), 4 vectors of seed ${r.seed}; E9 r = ${Number.isFinite(e9) ? e9.toFixed(3) : 'n/a'}`;
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
  } catch (e) {
    $('error').textContent = e.message;
  } finally {
    state.busy = false;
    if (state.pending) {
      state.pending = false;
      render();
    }
  }
}

async function init() {
  try {
    const m = await (await fetch('/model')).json();
    state.latentDim = m.latentDim;
    state.classes = m.classes ?? 0;
    $('index').max = String(m.latentDim - 1);
    if (state.classes > 0) {
      for (let k = 0; k < state.classes; k++) $('label').append(new Option(String(k), String(k)));
      $('label-picker').hidden = false;
    }
    $('model').textContent =
      `run ${m.run}, iteration ${m.iteration}, d_z = ${m.latentDim}, opset ${m.opset}, parity with tfjs ${m.parity.maxAbsError.toExponential(1)}`;
  } catch (e) {
    $('model').textContent = `cannot read /model: ${e.message}`;
  }
  $('new').addEventListener('click', () => {
    $('seed').value = String(Math.floor(Math.random() * 2 ** 31));
    render();
  });
  $('seed').addEventListener('change', render);
  $('count').addEventListener('change', render);
  $('label').addEventListener('change', render);
  $('index').addEventListener('change', () => {
    $('fix-index').textContent = $('index').value;
    render();
  });
  $('fix').addEventListener('change', render);
  $('value').addEventListener('input', () => {
    $('value-out').textContent = Number($('value').value).toFixed(2);
    if (!$('fix').checked) $('fix').checked = true;
    render();
  });
  render();
}

init();
