import { z } from '@wgan/core';

/**
 * The experiments' configs: one zod schema per experiment whose defaults are the seeds' values (cited),
 * or, where the seed leaves a value "to choose" or its budget does not fit minutes on a CPU, our choice
 * with the reason next to it. A JSON file (--config) and flags override them; the resolved config goes
 * into each result's manifest.
 */
const backend = z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('wasm');
const positiveList = z.array(z.number().positive()).min(1);

/** LAB 3 (seed 003), exercise 1: the 2-D ring, WGAN with weight clipping and with gradient penalty. */
export const ringSchema = z
  .object({
    /** nb_samples, radius, nz of the lab's data snippet. */
    points: z.number().int().min(100).default(10_000),
    radius: z.number().positive().default(1),
    noise: z.number().nonnegative().default(0.1),
    /** Q4: "a latent dimension equal to 2". */
    latentDim: z.number().int().positive().default(2),
    /** Q3: both MLPs have two hidden layers of 128 and 64 units with ReLU. */
    hidden: z.array(z.number().int().positive()).min(1).default([128, 64]),
    /** Q5: "to choose"; 64 is the usual DataLoader batch of the course's labs. */
    batchSize: z.number().int().min(2).default(64),
    /** Q5: n_critic = 5; Adam betas = (0.5, 0.9). */
    nCritic: z.number().int().min(1).default(5),
    beta1: z.number().min(0).lt(1).default(0.5),
    beta2: z.number().min(0).lt(1).default(0.9),
    /**
     * Q5: n_epochs "to choose": 30 passes over the 10,000 points (936 generator steps; both methods have drawn the ring
     * by 20).
     */
    epochs: z.number().int().min(1).default(30),
    /** The lab plots every 10 epochs. */
    snapshotEvery: z.number().int().min(1).default(10),
    /** Generated points per snapshot (metrics and scatter). */
    evalSamples: z.number().int().min(36).default(1000),
    /**
     * The two main runs' choices (the lab leaves lr, clip_value and λ to the student): the best cells of
     * a 20-epoch probe of the grid below (see README).
     */
    clip: z
      .object({ lr: z.number().positive().default(5e-4), clipValue: z.number().positive().default(0.1) })
      .strict()
      .prefault({}),
    gp: z
      .object({ lr: z.number().positive().default(5e-4), lambda: z.number().nonnegative().default(1) })
      .strict()
      .prefault({}),
    /** Q6, hyper-parameter sensitivity: lr × c (clipping) and lr × λ (penalty), each cell over `seeds`. */
    grid: z
      .object({
        /** Adam learning rates spanning 25×, from slow to unstable. */
        lrs: positiveList.default([2e-4, 1e-3, 5e-3]),
        clipValues: positiveList.default([0.01, 0.1, 1]),
        lambdas: positiveList.default([0.1, 1, 10]),
        seeds: z.array(z.number().int().nonnegative()).min(1).default([1, 2, 3]),
        /**
         * Epochs per grid run (156 generator steps): short, so 54 runs fit minutes on a CPU (the main runs use
         * `epochs`).
         */
        epochs: z.number().int().min(1).default(5),
      })
      .strict()
      .prefault({}),
    /**
     * A grid run "has found the ring" when its mean radial error is at most 0.2 (2.5× the real data's
     * 0.080), at least 75% of its points lie within 0.3 of the ring and they cover ≥ 90% of the angle bins.
     */
    success: z
      .object({
        maxRadialError: z.number().positive().default(0.2),
        minNearRing: z.number().min(0).max(1).default(0.75),
        minRingCoverage: z.number().min(0).max(1).default(0.9),
      })
      .strict()
      .prefault({}),
    seed: z.number().int().nonnegative().default(0),
    backend,
    /** Skip the sensitivity grid (quick looks). */
    skipGrid: z.boolean().default(false),
  })
  .strict();
export type RingConfig = z.output<typeof ringSchema>;

/** Seed 004, §1: the Wasserstein-distance curve of the WGAN paper's Example 1. */
export const wdistanceSchema = z
  .object({
    /** num_vals = 21 values of θ in np.linspace(−1, 1); true_theta = 0. */
    count: z.number().int().min(3).default(21),
    thetaMin: z.number().default(-1),
    thetaMax: z.number().default(1),
    trueTheta: z.number().default(0),
    /**
     * wasserstein_discriminator(batch_size=100, num_iter=500, c=0.5, lr=0.001), torch RMSprop defaults α 0.99, ε 1e-8.
     */
    steps: z.number().int().min(1).default(500),
    batchSize: z.number().int().min(1).default(100),
    clipValue: z.number().positive().default(0.5),
    lr: z.number().positive().default(1e-3),
    alpha: z.number().min(0).lt(1).default(0.99),
    eps: z.number().positive().default(1e-8),
    /** wasserstein_distance(sample_size=1000). */
    evalSamples: z.number().int().min(1).default(1000),
    seed: z.number().int().nonnegative().default(4),
    backend,
  })
  .strict();
export type WDistanceConfig = z.output<typeof wdistanceSchema>;

const schedule = z.object({ iterations: z.number().int().min(1), nCritic: z.number().int().min(1) }).strict();

/** Seed 004, §2: WGAN (clipping) vs the standard GAN on MNIST digit subsets with generic MLPs. */
export const ganVsWganSchema = z
  .object({
    /** Digit subsets (the seed's [3] and [3, 0]), each with its WGAN and GAN schedules. */
    subsets: z
      .array(
        z
          .object({
            digits: z.array(z.number().int().min(0).max(9)).min(1),
            /** wgan(n_iter, n_discr). */
            wgan: schedule,
            /** vanilla_gan(n_iter, n_discr). */
            gan: schedule,
          })
          .strict(),
      )
      .min(1)
      .default([
        // [3]: the seed's own budgets: wgan(n_discr=50, n_iter=100), vanilla_gan(n_discr=1, n_iter=1000).
        { digits: [3], wgan: { iterations: 100, nCritic: 50 }, gan: { iterations: 1000, nCritic: 1 } },
        // [0, 3]: the seed runs wgan(n_iter=1000, n_discr=100) — 100,000 critic steps, "10–15 min" on its
        // machine and ~18 CPU-minutes here — scaled down to 150 × 50 = 7,500 critic steps (README).
        { digits: [0, 3], wgan: { iterations: 150, nCritic: 50 }, gan: { iterations: 1000, nCritic: 1 } },
      ]),
    /** gen_in_size = 64; hidden_size = 100 (two hidden ReLU layers in every network). */
    latentDim: z.number().int().positive().default(64),
    hidden: z.number().int().positive().default(100),
    /** batch_size = 100. */
    batchSize: z.number().int().min(1).default(100),
    /** clipping = 1. */
    clipValue: z.number().positive().default(1),
    /** torch.optim.RMSprop(params) defaults for both networks of both methods: lr 0.01, α 0.99, ε 1e-8. */
    lr: z.number().positive().default(0.01),
    alpha: z.number().min(0).lt(1).default(0.99),
    eps: z.number().positive().default(1e-8),
    /** Init std: generator N(0, 0.1), WGAN critic N(0, 0.1·clipping), vanilla discriminator N(0, 0.01). */
    generatorInitStd: z.number().positive().default(0.1),
    ganDiscriminatorInitStd: z.number().positive().default(0.01),
    /**
     * Which rows each batch takes: `in-order` walks the subset in stored order, B at a time (the seed's
     * DataManager as described); `first-batch` always the first B rows (its printed `get_batch`, which
     * never advances its cursor); `shuffled` a new permutation per epoch.
     */
    dataOrder: z.enum(['in-order', 'first-batch', 'shuffled']).default('in-order'),
    /** Generated samples classified for the mode histogram. */
    histogramSamples: z.number().int().min(1).default(1000),
    /** Statistics read back every this many generator iterations. */
    readEvery: z.number().int().min(1).default(10),
    /** Classifier for the mode histogram: the evaluate stage's cached MNIST classifier, or a small one trained here. */
    classifier: z.enum(['auto', 'cached', 'fallback']).default('auto'),
    seed: z.number().int().nonnegative().default(0),
    backend,
  })
  .strict();
export type GanVsWganConfig = z.output<typeof ganVsWganSchema>;
