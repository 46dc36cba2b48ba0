"""Interpretable autoregressive beta-VAE (SPIVAE) that learns minimal representations of stochastic processes

Modules:

- `spivae.analysis`: Physics of trajectories, real or generated: time-averaged and ensemble MSD, α and D fits, displacement autocorrelation, the SBM aging check, and plots of what the latent neurons learned.
- `spivae.callbacks`: β annealing in one fit, recording and live-plotting callbacks, and staged checkpoints: the paper's staged training as one fastai workflow.
- `spivae.distributed`: Data-parallel training on several processes with fastai's own `distrib_ctx` (Hugging Face Accelerate underneath), launched with `torchrun`: on CPUs with the gloo backend, on GPUs with NCCL.
- `spivae.fuzz`: Hypothesis draws arguments, tensors and file bytes for `load_data`, `VAEWaveNet`, `forward`, `generate`, `Loss`, checkpoints and caches; each draw must end in a documented error that names what was wrong, or in a correct result.
- `spivae.loss`: The β-VAE objective: the negative log-likelihood of each step under the predicted Gaussian mixture plus β times the KL divergence of the latent neurons from the prior, with both parts as fastai metrics.
- `spivae.readout`: Which latent neurons of a trained SPIVAE carry information, how they do it, and what they encode: per-neuron KL, Var(μ), mean log σ², survival, and the rank correlation of the survivors with α and log D.
- `spivae.stream`: A stream file holds a whole FBM or SBM data set on disk, written chunk by chunk; `StreamDL` reads the rows of each batch with positioned reads, so memory stays at a few batches whatever the number of trajectories."""

__version__ = "0.1.0"
