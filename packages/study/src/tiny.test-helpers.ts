/** The train config of the tests' and the queue benchmark's tiny runs: a WGAN of a few hundred weights. */
export const tinyModelConfig = {
  latentDim: 8,
  generatorHidden: [8],
  criticHidden: [8],
  milestones: [0],
  diagnosticsSamples: 16,
  fixedSamples: 4,
};
