import {
  artifactName,
  artifactPath,
  deepMerge,
  formatPath,
  parseConfig,
  PipelineError,
  readJsonObject,
  z,
} from '@wgan/core';
import { GAN_LOSSES } from './losses.js';
import type { OptimizerConfig } from './optimizers.js';

/**
 * train's config: one validated object, echoed into every checkpoint's manifest. Defaults are the
 * seeds' values:
 *  - seed 001 (Assignment 3): G z(100) → 256 → 512 → 1024 → 784, D 784 → 512 → 256 → 1, LeakyReLU 0.2;
 *  - seed 000 (OPPE WGAN): λ = 10, Adam lr 2e-4 β = (0.0, 0.9), n_critic = 5, batch ≥ 64, seed 42,
 *    z_fixed of 64 latents, snapshots at iterations 0, 2,000, 10,000 and final; weight clipping c = 0.01
 *    with RMSprop lr 5e-5 for `loss: clip`.
 *  - seed 002 (course notebook, "What is a GAN?" on): the vanilla / least-squares GAN (`--model gan-mlp`)
 *    and the DCGAN (`--model dcgan`), with their own defaults in MODEL_DEFAULTS.
 * The per-model defaults (MODEL_DEFAULTS) and per-loss defaults (LOSS_DEFAULTS: optimisers, n_critic) are
 * applied beneath the user's values.
 */
const adam = z
  .object({
    type: z.literal('adam'),
    lr: z.number().positive(),
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    eps: z.number().positive(),
  })
  .strict();
const rmsprop = z
  .object({
    type: z.literal('rmsprop'),
    lr: z.number().positive(),
    alpha: z.number().min(0).lt(1),
    eps: z.number().positive(),
  })
  .strict();
const optimizer = z.discriminatedUnion('type', [adam, rmsprop]);

/** The GANs' losses, and `elbo`: the VAE's negative evidence lower bound (model `vae` only). */
export const LOSSES = [...GAN_LOSSES, 'elbo'] as const;
/**
 * Model families (architectures; for the GANs the loss is chosen separately with `loss`):
 *  - `mlp`: seed 001's WGAN MLPs (G z → 256 → 512 → 1024 → 784, D 784 → 512 → 256 → 1, LeakyReLU 0.2);
 *  - `gan-mlp`: seed 002's vanilla-GAN MLPs (G z → 1024 → 1024 → 784 ReLU, D 784 → 256 → 256 → 1
 *    LeakyReLU 0.01), trained with `--loss bce` (the vanilla GAN) or `--loss lsgan` (the LSGAN);
 *  - `dcgan`: seed 002's DCGAN (InfoGAN conv generator with BatchNorm, conv discriminator);
 *  - `vae`: seed 002's variational auto-encoder (vae/), trained on its ELBO.
 */
export const MODELS = ['mlp', 'gan-mlp', 'dcgan', 'vae'] as const;
export type ModelFamily = (typeof MODELS)[number];

export const trainSchema = z
  .object({
    /** Run name: the folder <artifacts root>/runs/<name> (one plain folder name, checked by artifactName). */
    name: z.string().default('default'),
    /**
     * The data-prep artifact to train on, inside the artifacts root: `data/mnist` (relative to the root) or
     * the workspace-relative form `artifacts/data/mnist`; both follow WGAN_ARTIFACTS.
     */
    data: z.string().default('data/mnist'),
    model: z.enum(MODELS).default('mlp'),
    loss: z.enum(LOSSES).default('gp'),
    /**
     * d_z: seed 000 allows 64 / 100 / 128 for the WGAN (100 in seed 001); other families use their own (VAE 20, seed
     * 002's GANs 10).
     */
    latentDim: z.number().int().positive().default(100),
    /** The latent distribution p(z): N(0, I) (seeds 000/001) or U(−1, 1)^d_z (seed 002's sample_noise). */
    noise: z.enum(['normal', 'uniform']).default('normal'),
    /**
     * Hidden layer widths of the MLP generator and critic (`mlp`: seed 001's 256, 512, 1024 and 512, 256; `gan-mlp`:
     * 1024, 1024 and 256, 256); not used by `dcgan`.
     */
    generatorHidden: z.array(z.number().int().positive()).min(1).default([256, 512, 1024]),
    criticHidden: z.array(z.number().int().positive()).min(1).default([512, 256]),
    batchSize: z.number().int().min(1).default(64),
    /**
     * How training batches are drawn: `epoch` (a fresh permutation per epoch, B rows at a time, PyTorch's
     * DataLoader(shuffle=True, drop_last=True)) or `replacement` (B rows uniformly with replacement per
     * batch, as the PyTorch anchor's `torch.randint`).
     */
    sampling: z.enum(['epoch', 'replacement']).default('epoch'),
    nCritic: z.number().int().min(1).default(5),
    /** Gradient-penalty weight λ (gp). */
    lambda: z.number().nonnegative().default(10),
    /** Weight-clipping bound c (clip). */
    clipValue: z.number().positive().default(0.01),
    /**
     * Which implementation of the training step: `onnx-cpu` (the iteration as ONNX graphs on onnxruntime's
     * CPU kernels, the optimiser fused natively or in the graph — see onnxOptimizer: the fast CPU path), `tfjs-manual` (hand-written backward on tfjs, dense
     * chains), `tfjs-autodiff` (tfjs autodiff, any network: the reference), `webgpu-fused` (WGSL kernels,
     * one command buffer per iteration), or `auto` (the fastest one that applies).
     */
    implementation: z.enum(['auto', 'onnx-cpu', 'tfjs-manual', 'tfjs-autodiff', 'webgpu-fused']).default('auto'),
    /**
     * onnx-cpu: onnxruntime's intra-op threads (0 = every core the process may use; the training log names the count).
     */
    threads: z.number().int().min(0).default(0),
    /**
     * onnx-cpu: where the optimiser update runs — `fused` (the native addon packages/train/native builds at
     * `npm ci`: one run per step, one pass per network's weights and slots between runs), `graph` (pointwise
     * nodes inside the one-run iteration graph), `auto` (fused where the addon loads, else graph; the
     * training log names the path and, on a fallback, why). Same float32 results either way.
     */
    onnxOptimizer: z.enum(['auto', 'fused', 'graph']).default('auto'),
    /**
     * With tfjs-autodiff: how the penalty's input gradient is computed (closed form for dense critics, or nested
     * autodiff).
     */
    penalty: z.enum(['closed-form', 'autodiff']).default('closed-form'),
    optimizerG: optimizer,
    optimizerD: optimizer,
    /** Generator iterations to train (each = nCritic critic steps + 1 generator step). */
    iterations: z.number().int().min(0).default(2000),
    seed: z.number().int().nonnegative().default(42),
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
    /** Iterations between metric read-backs (one device→host transfer per logEvery iterations). */
    logEvery: z.number().int().min(1).default(10),
    /** Snapshot G(z_fixed) every this many iterations (0 = only at the milestones). */
    snapshotEvery: z.number().int().min(0).default(500),
    /** Iterations that always get a snapshot and a kept checkpoint (the seed's 0, 2,000, 10,000; final is added). */
    milestones: z.array(z.number().int().min(0)).default([0, 2000, 10000]),
    checkpointEvery: z.number().int().min(1).default(500),
    /** Checkpoints kept besides the milestones. */
    keepCheckpoints: z.number().int().min(1).default(3),
    /** Interpolates for E6 (and samples for E5) at each epoch end. */
    diagnosticsSamples: z.number().int().min(2).default(256),
    /** Size of z_fixed (the seed's 8 × 8 grid). */
    fixedSamples: z.number().int().min(1).default(64),
    /**
     * VAE: coefficient c of Σ log C(λ) in the continuous-Bernoulli reconstruction term BCE − c·Σ log C
     * (seed 002: "you can introduce a coefficient to the log C term"; its own run is c = 0, plain BCE;
     * c = 1 is the exact likelihood).
     */
    logCCoefficient: z.number().min(0).default(0),
    /**
     * Class-conditional generation (conditional.ts): the label's one-hot joins the generator's z and the
     * critic's image; the penalty is taken with respect to the image for the fixed label. Model `mlp` only.
     */
    conditional: z.boolean().default(false),
    /** K, the classes of a conditional run (the data's labels must lie in 0..K − 1). */
    classes: z.number().int().min(2).default(10),
  })
  .strict();

export type TrainConfig = z.output<typeof trainSchema>;

/** The optimisers of each loss (train's one source of them; both networks get the same settings by default). */
export const OPTIMIZER_DEFAULTS: Record<
  (typeof LOSSES)[number],
  { optimizerG: OptimizerConfig; optimizerD: OptimizerConfig }
> = {
  gp: {
    optimizerG: { type: 'adam', lr: 2e-4, beta1: 0, beta2: 0.9, eps: 1e-8 },
    optimizerD: { type: 'adam', lr: 2e-4, beta1: 0, beta2: 0.9, eps: 1e-8 },
  },
  clip: {
    optimizerG: { type: 'rmsprop', lr: 5e-5, alpha: 0.99, eps: 1e-8 },
    optimizerD: { type: 'rmsprop', lr: 5e-5, alpha: 0.99, eps: 1e-8 },
  },
  // seed 002: Adam lr 1e-3, β1 = 0.5 (its code's β2 reads 0.4999, most likely a transcription of 0.999)
  bce: {
    optimizerG: { type: 'adam', lr: 1e-3, beta1: 0.5, beta2: 0.999, eps: 1e-8 },
    optimizerD: { type: 'adam', lr: 1e-3, beta1: 0.5, beta2: 0.999, eps: 1e-8 },
  },
  lsgan: {
    optimizerG: { type: 'adam', lr: 1e-3, beta1: 0.5, beta2: 0.999, eps: 1e-8 },
    optimizerD: { type: 'adam', lr: 1e-3, beta1: 0.5, beta2: 0.999, eps: 1e-8 },
  },
  // seed 002, Part I: the VAE's Adam, lr 1e-3 with torch's default β = (0.9, 0.999), ε = 1e-8 (G = decoder, D =
  // encoder)
  elbo: {
    optimizerG: { type: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    optimizerD: { type: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  },
  // seed 004: torch.optim.RMSprop's defaults (lr 0.01, α 0.99)
  'bce-saturating': {
    optimizerG: { type: 'rmsprop', lr: 1e-2, alpha: 0.99, eps: 1e-8 },
    optimizerD: { type: 'rmsprop', lr: 1e-2, alpha: 0.99, eps: 1e-8 },
  },
};

/**
 * The default optimiser of a loss: seed 000's Adam(2e-4, β = (0, 0.9)) for WGAN-GP, RMSprop(5e-5) for
 * clipping, the seeds' own for the other losses (OPTIMIZER_DEFAULTS).
 */
export function defaultOptimizer(loss: (typeof LOSSES)[number]): OptimizerConfig {
  return OPTIMIZER_DEFAULTS[loss].optimizerD;
}

/**
 * Seed defaults per model family, beneath the per-loss defaults and the user's values. Seed 002's
 * run_a_gan: batch 128, one D and one G step per iteration, NOISE_DIM = 10, sample_noise = U(−1, 1),
 * num_epochs = 10 (the vanilla GAN and the LSGAN) and 5 for the DCGAN ("feel free to use 3 epochs on
 * CPU"); an MNIST epoch is ⌊60,000 / 128⌋ = 468 iterations here (train drops the last partial batch,
 * the seed's DataLoader keeps it: 469). `vae` (seed 002, Part I): d_z = 20, B = 128, 20 epochs = 9,360
 * iterations of one batch each (nCritic = 1), encoder 784 → 512 → 256 → 128 → 2·d_z (criticHidden) and
 * decoder d_z → 400 → 600 → 800 → 784 (generatorHidden), a snapshot and a checkpoint every epoch.
 */
export const MODEL_DEFAULTS: Record<ModelFamily, Record<string, unknown>> = {
  mlp: { loss: 'gp' },
  'gan-mlp': {
    loss: 'bce',
    latentDim: 10,
    noise: 'uniform',
    batchSize: 128,
    generatorHidden: [1024, 1024],
    criticHidden: [256, 256],
    iterations: 10 * 468,
  },
  // the conv critic has no closed-form ∇ₓD: a WGAN-GP run of it (`--loss gp`) uses nested autodiff
  dcgan: { loss: 'bce', latentDim: 10, noise: 'uniform', batchSize: 128, iterations: 5 * 468, penalty: 'autodiff' },
  vae: {
    loss: 'elbo',
    latentDim: 20,
    batchSize: 128,
    iterations: 20 * 468,
    generatorHidden: [400, 600, 800],
    criticHidden: [512, 256, 128],
    snapshotEvery: 468,
    checkpointEvery: 468,
    milestones: [0],
  },
};

/**
 * Critic steps per generator step by loss: WGANs 5 (seed 000), the other GANs 1 (seeds 002, 004), the VAE one batch.
 */
export const N_CRITIC_DEFAULTS: Record<(typeof LOSSES)[number], number> = {
  gp: 5,
  clip: 5,
  bce: 1,
  'bce-saturating': 1,
  lsgan: 1,
  elbo: 1,
};

/** Settings that do not go with model `vae`, each with the error it gets. */
function checkModel(user: Record<string, unknown>, where: string): void {
  const vae = user.model === 'vae';
  const bad = (key: string, message: string, hint: string) => {
    throw new PipelineError(message, `${where}: ${key}`, hint);
  };
  if (vae && user.loss !== undefined && user.loss !== 'elbo')
    bad(
      'loss',
      `--loss ${String(user.loss)} is a GAN loss; the VAE is trained on its ELBO`,
      'drop --loss for --model vae (tune the likelihood with --log-c-coefficient)',
    );
  if (!vae && user.loss === 'elbo')
    bad(
      'loss',
      'loss "elbo" is the VAE\'s objective',
      'add --model vae, or pick a GAN loss (gp, clip, bce, bce-saturating, lsgan)',
    );
  if (vae && user.nCritic !== undefined && user.nCritic !== 1)
    bad(
      'nCritic',
      `the VAE takes one batch per iteration (nCritic = 1), not ${String(user.nCritic)}`,
      'drop --n-critic for --model vae',
    );
  if (
    vae &&
    user.implementation !== undefined &&
    user.implementation !== 'auto' &&
    user.implementation !== 'tfjs-autodiff'
  ) {
    bad(
      'implementation',
      `implementation ${String(user.implementation)} trains GANs only`,
      'use --implementation auto (or tfjs-autodiff) for --model vae',
    );
  }
  if (user.conditional === true && user.model !== undefined && user.model !== 'mlp')
    bad(
      'conditional',
      `--conditional is implemented for the seed-001 WGAN MLP (--model mlp), not --model ${String(user.model)}`,
      'drop --model (mlp is the default) or drop --conditional',
    );
  if (user.model === 'dcgan') {
    for (const key of ['generatorHidden', 'criticHidden']) {
      if (user[key] !== undefined)
        bad(
          key,
          `${key} does not apply to the dcgan model (its layers are the seed's)`,
          'remove it, or use --model mlp / gan-mlp',
        );
    }
  }
}

/**
 * The layers beneath a user's values: per-model defaults (MODEL_DEFAULTS), the loss's n_critic and optimisers
 * (N_CRITIC_DEFAULTS, OPTIMIZER_DEFAULTS), then `user` on top; the schema's own defaults fill the rest when
 * it is parsed. A user optimiser of another type replaces the default instead of merging with it.
 */
function withDefaults(user: Record<string, unknown>): Record<string, unknown> {
  const model =
    typeof user.model === 'string' && (MODELS as readonly string[]).includes(user.model)
      ? (user.model as ModelFamily)
      : 'mlp';
  const modelDefaults = MODEL_DEFAULTS[model];
  const lossName = user.loss ?? modelDefaults.loss;
  const loss =
    typeof lossName === 'string' && (LOSSES as readonly string[]).includes(lossName)
      ? (lossName as (typeof LOSSES)[number])
      : 'gp';
  const defaults = OPTIMIZER_DEFAULTS[loss];
  const merged = deepMerge({ optimizerG: defaults.optimizerG, optimizerD: defaults.optimizerD }, {});
  for (const key of ['optimizerG', 'optimizerD'] as const) {
    const u = user[key] as Record<string, unknown> | undefined;
    if (u && typeof u === 'object' && 'type' in u && u.type !== (merged[key] as { type: string }).type) merged[key] = u;
    else if (u !== undefined)
      merged[key] = deepMerge(merged[key] as Record<string, unknown>, u as Record<string, unknown>);
  }
  return { ...modelDefaults, nCritic: N_CRITIC_DEFAULTS[loss], ...user, ...merged };
}

/**
 * Resolves the config: schema defaults ← per-model defaults ← per-loss defaults (optimisers, n_critic) ←
 * config file ← flags. A flag may set a nested optimiser field with a partial object
 * (`{ optimizerD: { lr: 1e-4 } }`).
 */
export function resolveTrainConfig(layers: { file?: string; overrides?: Record<string, unknown> }): TrainConfig {
  const fromFile = layers.file ? readJsonObject(layers.file) : {};
  const overrides = Object.fromEntries(Object.entries(layers.overrides ?? {}).filter(([, v]) => v !== undefined));
  const where = layers.file ?? 'flags';
  const user = deepMerge(fromFile, overrides);
  checkModel(user, where);
  const config = parseConfig(trainSchema, withDefaults(user), where);
  checkTrainPaths(config);
  return config;
}

/** A checkpoint's config read back with train's schema, and the keys it lacked. */
export interface SavedTrainConfig {
  config: TrainConfig;
  /**
   * Keys of train's schema the saved config does not hold (written before they existed, or by another
   * writer): their values are the defaults train applies (resolveTrainConfig's layers), and readers that
   * use one say so instead of assuming it silently.
   */
  defaulted: string[];
}

/**
 * Parses a config saved in a checkpoint's manifest with train's schema. A value of the wrong type or a key
 * train does not know is an error naming `where` (the manifest); a missing key gets train's default and is
 * listed in `defaulted`.
 */
export function savedTrainConfig(saved: unknown, where: string): SavedTrainConfig {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved))
    throw new PipelineError(
      'checkpoint manifest has no config object',
      where,
      'point at a checkpoint written by train (`npx nx run train:pipeline`)',
    );
  const user = saved as Record<string, unknown>;
  const result = trainSchema.safeParse(withDefaults(user));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new PipelineError(
      `checkpoint config is not train's: ${formatPath(issue.path) || '(root)'}: ${issue.message}`,
      where,
      'point at a checkpoint written by this version of train, or retrain the run (`npx nx run train:pipeline`)',
    );
  }
  const defaulted = Object.keys(trainSchema.shape).filter((key) => user[key] === undefined);
  return { config: result.data, defaulted };
}

/** The run name and the data path stay inside the artifacts root (exit 2 naming the flag otherwise). */
export function checkTrainPaths(config: Pick<TrainConfig, 'name' | 'data'>): { name: string; data: string } {
  return { name: artifactName(config.name, '--name'), data: artifactPath(config.data, '--data') };
}
