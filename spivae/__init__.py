"""Interpretable autoregressive beta-VAE (SPIVAE) that learns minimal representations of stochastic processes

spivae learns, without labels, the few numbers that describe a stochastic process. Give it the displacements
Δx(t) of many diffusion trajectories: a 1-D convolutional VAE encoder compresses each trajectory into six
latent neurons, and a WaveNet decoder regenerates its displacements from them, one step at a time from the previous
ones. Trained with an annealed β, the neurons that carry no information are noised out. For fractional Brownian
motion two survive, one encoding the anomalous exponent α and one the diffusion coefficient D (MSD
⟨x²(t)⟩ = 2D t^α), and setting a surviving neuron by hand generates new trajectories with that α or
D. This is the method of Fernández-Fernández, Manzo, Lewenstein, Dauphin and Muñoz-Gil, *Phys. Rev. E* **110**,
L012102 (2024), built on PyTorch and fastai.

Modules:

- `spivae.all`: `from spivae.all import *`: fastai's learner, callbacks, schedules and progress bars with every public name of spivae, so that a notebook, and the seed's example as written, needs one import line.
- `spivae.analysis`: Physics of trajectories, real or generated: time-averaged and ensemble MSD, α and D fits, displacement autocorrelation, the SBM aging check, and plots of what the latent neurons learned.
- `spivae.callbacks`: β annealing in one fit, recording and live-plotting callbacks, and staged checkpoints: the paper's staged training as one fastai workflow.
- `spivae.checks`: Argument checkers shared by the modules of spivae: each returns the checked value or raises an error that names the argument, says what was wrong and what is allowed.
- `spivae.cli`: `spivae_train` and `spivae_generate`: the main job and generation from the console, each checking every option before any work and writing its files atomically.
- `spivae.data`: Seeded, cached FBM and SBM displacement data sets with their labels α and D, served as fastai `DataLoaders`; caches are locked, checksummed and rebuilt when damaged.
- `spivae.distributed`: Data-parallel training on several processes with fastai's own `distrib_ctx` (Hugging Face Accelerate underneath), launched with `torchrun`: on CPUs with the gloo backend, on GPUs with NCCL.
- `spivae.distributions`: The layout of the WaveNet's output: for every step, the logits, means and log scales of a mixture of Gaussians, and how to sample from it. Used by the models (generation) and by the loss (likelihood).
- `spivae.estimate`: α, D and the latent neurons of users' trajectories, of any length and in any units, read by a trained SPIVAE encoder and calibrated on held-out synthetic trajectories, with intervals whose coverage is measured.
- `spivae.fuzz`: Hypothesis draws arguments, tensors and file bytes for `load_data`, `VAEWaveNet`, `forward`, `generate`, `Loss`, checkpoints and caches; each draw must end in a documented error that names what was wrong, or in a correct result.
- `spivae.generate`: Which latent values to generate from: a sweep of one neuron with the others held fixed, or explicit rows, written as text on the command line or built in Python.
- `spivae.loss`: The β-VAE objective: the negative log-likelihood of each step under the predicted Gaussian mixture plus β times the KL divergence of the latent neurons from the prior, with both parts as fastai metrics.
- `spivae.models`: The SPIVAE architecture: a 1-D convolutional VAE whose latent neurons condition a WaveNet decoder, one network body for training in either memory layout and for cached generation, and the seed's arguments (`seed_model_args`).
- `spivae.readout`: Which latent neurons of a trained SPIVAE carry information, how they do it, and what they encode: per-neuron KL, Var(μ), mean log σ², survival, and the rank correlation of the survivors with α and log D.
- `spivae.stream`: A stream file holds a whole FBM or SBM data set on disk, written chunk by chunk; `StreamDL` reads the rows of each batch with positioned reads, so memory stays at a few batches whatever the number of trajectories.
- `spivae.tracks`: Users' own trajectories: arrays of any lengths, trackpy and TrackMate tables, CSV files, read into one form, with gaps in the frames handled and bad input refused before any work.
- `spivae.train`: Train SPIVAE with a fastai `Learner` (the loss parts as metrics, a guard against NaN and divergence), and save and load checkpoints safely, with checksums and the training state to resume from."""

__version__ = "0.1.0"
