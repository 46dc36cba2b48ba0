"""Interpretable autoregressive beta-VAE (SPIVAE) that learns minimal representations of stochastic processes

Modules:

- `spivae.analysis`: Physics of trajectories, real or generated: time-averaged and ensemble MSD, α and D fits, displacement autocorrelation, the SBM aging check, and plots of what the latent neurons learned.
- `spivae.loss`: The β-VAE objective: the negative log-likelihood of each step under the predicted Gaussian mixture plus β times the KL divergence of the latent neurons from the prior, with both parts as fastai metrics."""

__version__ = "0.1.0"
