"""Cross-checks evaluate against the PyTorch anchor (/work/shared/anchors/torch_wgan_gp.py).

Two jobs, run with Debian's python (torch, scipy): /usr/bin/python3 anchor_crosscheck.py <job> ...

  train-run  Trains the anchor's seed-001 WGAN-GP (same code; --seed, default 42; CPU, --threads, default 1) and writes it as a
             run folder in train's format (checkpoints/<8 digits>/ artifacts with generator/critic in the
             tfjs weights layout, checkpoints/latest, snapshots/iter-*.f32 of G(z_fixed)), so that
             `evaluate --run-dir` can score a generator whose quality the anchor has measured.
  score      Scores images [N, 784] in [-1, 1] (a float32 file) with OUR classifier artifact using the
             anchor's exact formulas (softmax, log(p + 1e-12), np.cov, scipy.linalg.sqrtm) and prints
             JSON: IS of the images and of the test set, FD to the test set, FD train[:10000] vs test,
             the class histogram. bench/crosscheck.ts compares that with report.json.
"""
import argparse, gzip, hashlib, json, os, struct, sys, time
from datetime import datetime, timezone
import numpy as np


def idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    nd = struct.unpack('>I', raw[:4])[0] & 0xff
    dims = struct.unpack('>' + 'I' * nd, raw[4:4 + 4 * nd])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)


def dense_spec(role, sizes, last):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append({'type': 'dense', 'inputs': sizes[i], 'units': sizes[i + 1]})
        if i < len(sizes) - 2:
            layers.append({'type': 'leakyRelu', 'alpha': 0.2})
    if last:
        layers.append({'type': last})
    return {'role': role, 'inputSize': sizes[0], 'outputSize': sizes[-1], 'layers': layers, 'init': {'scheme': 'torch-default'}}


def write_network(folder, base, spec, module):
    """writeNetwork's layout: <base>.json (spec + weightsManifest) and <base>.weights.bin, kernels [in, out]."""
    weights, blobs = [], []
    for key, t in module.state_dict().items():
        layer, kind = key.split('.')
        a = t.detach().cpu().numpy().astype('<f4')
        if kind == 'weight':
            a = np.ascontiguousarray(a.T)
            kind = 'kernel'
        weights.append({'name': f'{layer}.{kind}', 'shape': list(a.shape), 'dtype': 'float32'})
        blobs.append(a.tobytes())
    with open(os.path.join(folder, f'{base}.weights.bin'), 'wb') as f:
        f.write(b''.join(blobs))
    doc = {'format': 'wgan-pipeline/network', 'version': 1, 'header': {'spec': spec},
           'weightsManifest': [{'paths': [f'{base}.weights.bin'], 'weights': weights}]}
    with open(os.path.join(folder, f'{base}.json'), 'w') as f:
        f.write(json.dumps(doc, indent=2) + '\n')


def write_checkpoint(run_dir, iteration, G, D, dz, iters, seed):
    import torch  # noqa: F401
    name = f'{iteration:08d}'
    folder = os.path.join(run_dir, 'checkpoints', name)
    os.makedirs(folder, exist_ok=True)
    write_network(folder, 'generator', dense_spec('generator', [dz, 256, 512, 1024, 784], 'tanh'), G)
    write_network(folder, 'critic', dense_spec('critic', [784, 512, 256, 1], None), D)
    files = {}
    for fn in sorted(os.listdir(folder)):
        if fn == 'manifest.json':
            continue
        b = open(os.path.join(folder, fn), 'rb').read()
        files[fn] = {'sha256': hashlib.sha256(b).hexdigest(), 'size': len(b)}
    manifest = {'schemaVersion': 1, 'stage': 'train-checkpoint', 'packageVersion': '0.1.0',
                'createdAt': datetime.now(timezone.utc).isoformat().replace('+00:00', 'Z'),
                'config': {'name': os.path.basename(run_dir), 'data': 'artifacts/data/mnist', 'model': 'mlp', 'loss': 'gp',
                           'latentDim': dz, 'batchSize': 64, 'nCritic': 5, 'lambda': 10, 'iterations': iters, 'seed': seed},
                'parents': [], 'meta': {'iteration': iteration, 'epoch': iteration * 5 * 64 / 60000, 'model': 'mlp', 'loss': 'gp',
                                        'latentDim': dz, 'backend': 'pytorch-cpu (anchor_crosscheck.py)'},
                'files': files}
    with open(os.path.join(folder, 'manifest.json'), 'w') as f:
        f.write(json.dumps(manifest, indent=2) + '\n')
    with open(os.path.join(run_dir, 'checkpoints', 'latest'), 'w') as f:
        f.write(name + '\n')


def train_run(a):
    import torch, torch.nn as nn
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    X = torch.tensor(idx(f'{a.data}/train-images-idx3-ubyte.gz'), dtype=torch.float32).view(-1, 784) / 127.5 - 1

    def mlp(sizes, last=None):
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.LeakyReLU(0.2))
        if last is not None:
            layers.append(last)
        return nn.Sequential(*layers)

    dz, B, n = 100, 64, X.shape[0]
    G, D = mlp([dz, 256, 512, 1024, 784], nn.Tanh()), mlp([784, 512, 256, 1])
    oG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.0, 0.9))
    oD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.0, 0.9))
    z_fixed = torch.randn(64, dz)
    os.makedirs(os.path.join(a.run, 'snapshots'), exist_ok=True)
    z_fixed.numpy().astype('<f4').tofile(os.path.join(a.run, 'z_fixed.f32'))
    keep = sorted(set(int(s) for s in a.checkpoints.split(',')) | {a.iters})
    t0 = time.perf_counter()
    for it in range(a.iters + 1):
        if it in keep or it % a.snapshot_every == 0:
            with torch.no_grad():
                G(z_fixed).numpy().astype('<f4').tofile(os.path.join(a.run, 'snapshots', f'iter-{it:08d}.f32'))
        if it in keep:
            write_checkpoint(a.run, it, G, D, dz, a.iters, a.seed)
        if it == a.iters:
            break
        for _ in range(5):
            x = X[torch.randint(0, n, (B,))]
            with torch.no_grad():
                f = G(torch.randn(B, dz))
            e = torch.rand(B, 1)
            xh = (e * x + (1 - e) * f).requires_grad_(True)
            g = torch.autograd.grad(D(xh).sum(), xh, create_graph=True)[0]
            loss = D(f).mean() - D(x).mean() + 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()
            oD.zero_grad(set_to_none=True); loss.backward(); oD.step()
        lg = -D(G(torch.randn(B, dz))).mean()
        oG.zero_grad(set_to_none=True); lg.backward(); oG.step()
        if it % 100 == 0:
            print(f'it {it} L_D {loss.item():.3f} L_G {lg.item():.3f} {time.perf_counter() - t0:.0f}s', flush=True)
    print(json.dumps({'run': a.run, 'iters': a.iters, 'train_s': time.perf_counter() - t0,
                      'python': sys.executable, 'torch': torch.__version__}))


def read_f32(path, count=None):
    a = np.fromfile(path, dtype='<f4')
    return a if count is None else a[:count]


def split_images(data_dir, split):
    meta = json.load(open(os.path.join(data_dir, 'manifest.json')))['meta']['splits'][split]
    return np.concatenate([read_f32(os.path.join(data_dir, s['file'])) for s in meta['shards']]).reshape(-1, 784)


def score(a):
    doc = json.load(open(os.path.join(a.classifier, 'classifier.json')))
    blob = np.fromfile(os.path.join(a.classifier, doc['weightsManifest'][0]['paths'][0]), dtype='<f4')
    w, off = {}, 0
    for e in doc['weightsManifest'][0]['weights']:
        size = int(np.prod(e['shape']))
        w[e['name']] = blob[off:off + size].reshape(e['shape']).astype(np.float64)
        off += size

    def forward(imgs):  # the anchor: (x + 1) / 2, eval mode (no dropout), float64 here
        x = (imgs.astype(np.float64) + 1) / 2
        h = np.maximum(x @ w['0.kernel'] + w['0.bias'], 0)
        h = np.maximum(h @ w['3.kernel'] + w['3.bias'], 0)
        logits = h @ w['6.kernel'] + w['6.bias']
        p = np.exp(logits - logits.max(1, keepdims=True))
        return p / p.sum(1, keepdims=True), h

    def inception(p):
        py = p.mean(0, keepdims=True)
        return float(np.exp((p * (np.log(p + 1e-12) - np.log(py + 1e-12))).sum(1).mean()))

    def frechet(x, y):  # the anchor's function, verbatim
        from scipy import linalg
        mu1, mu2 = x.mean(0), y.mean(0)
        s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
        covmean = np.real(linalg.sqrtm(s1.dot(s2)))
        return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))

    fake = read_f32(a.images).reshape(-1, 784)
    test = split_images(a.data, 'test')
    train = split_images(a.data, 'train')[:10000]
    pf, hf = forward(fake)
    pt, ht = forward(test)
    _, hr = forward(train)
    print(json.dumps({'samples': len(fake), 'IS_fake': inception(pf), 'IS_real_test': inception(pt),
                      'FD_fake_vs_test': frechet(hf, ht), 'FD_train_vs_test': frechet(hr, ht),
                      'class_hist_fake': np.bincount(pf.argmax(1), minlength=10).tolist()}))


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='job', required=True)
    t = sub.add_parser('train-run')
    t.add_argument('--data', default='/work/shared/datasets/mnist')
    t.add_argument('--run', required=True)
    t.add_argument('--iters', type=int, default=500)
    t.add_argument('--checkpoints', default='0,200')
    t.add_argument('--snapshot-every', type=int, default=100)
    t.add_argument('--seed', type=int, default=42, help='torch.manual_seed (the anchor script uses 42)')
    t.add_argument('--threads', type=int, default=1, help='torch.set_num_threads')
    s = sub.add_parser('score')
    s.add_argument('--classifier', required=True)
    s.add_argument('--data', required=True, help='data-prep artifact folder')
    s.add_argument('--images', required=True, help='float32 file of [N, 784] images in [-1, 1]')
    a = ap.parse_args()
    {'train-run': train_run, 'score': score}[a.job](a)
