"""Benchmark: reproduce the paper's FBM or SBM result (minimal representation, readout, generation) in a time budget.

One invocation trains and evaluates one process:
`python benchmarks/reproduce.py --process fbm --minutes 60 --threads 1` (and `--process sbm`). To run both at once on
the 2-core machine, start both at the same time, so that each one's timing probe sees the other's load.

Data. The paper's training grids (21 α in linspace(0.2, 1.8, 21), 10 D (SBM: D₀) in geomspace(1e-5, 1e-2, 10)),
T = 400 positions, `--per-pair` independent trajectories per (α, D) pair (default 150: 31 500 trajectories, a third
of the paper's 476 per pair), 20 % validation. A separate test set (seed + 1, so other paths) on the test grids:
FBM α linspace(0.04, 1.96, 49) (all inside (0, 2)) × D geomspace(1e-6, 1e-1, 61)[6:-6] (49 values, 3.2e-6 to 3.2e-2),
4 per pair (9 604 trajectories); SBM the same α × D₀ geomspace(1e-6, 1e-1, 16)[2:-2] (12 values, 4.6e-6 to 2.2e-2),
16 per pair (9 408).

Training. The seed model (z_dim 6, receptive field 32) with the reference code's residual factors
(`res_scale=True`: residual stream × √½ after each block, skip sum × √(1/4)). With the plain sums, this benchmark's
FBM run (commit 01743b3) never put α into the latent space: its latent means at the end of β = 0 predict α with
R² 0.00, log D with 0.98. Fastai Adam, lr_max 1e-3, one learning-rate cycle per β stage
(`fit_beta_schedule(..., restart_lr=True)`, as the paper's staged `fit_one_cycle` calls), the paper's β values
(FBM 0, 1e-4, 6e-4, 1e-3, 2e-3, 4e-3; SBM 0, 1e-4, 1e-3, 5e-3) with stage lengths in the paper's proportions
(`FBM_SCHEDULE` 64:16:16:16:16:16, `SBM_SCHEDULE` 17:8:8:16) scaled to the epochs that fit `--minutes`.
Batch 64, not the paper's 256: with a third of the paper's data and an hour of one CPU thread, batch 256 would give
about 9 000 optimiser steps (the paper: about 45 000 for FBM); `benchmarks/fbm_schedule.py` learnt no α neuron in
4 200 steps. Batch 64 gives four times the steps for the same trajectories and is not slower per trajectory on one
thread (measured here, machine loaded: 620-750 trajectories/s at batch 64, 440/s at batch 256).

How the epochs are chosen (written to the JSON as `plan`). `--minutes` is the budget of the whole run, from after the
imports to the written report. After the training and the test data are generated, a probe times one fastai epoch
over 16 training batches (and validation batches in the same proportion) of a throw-away model of the same
architecture, twice, and keeps the second: seconds per epoch = probe seconds × training batches / 16. A second probe
times `generate` (256 trajectories, 50 steps) to estimate the sweeps, counting every neuron. Training budget =
0.95 × (budget − time spent so far − estimated evaluation − 20 s for figures and files); epochs = floor(training
budget / seconds per epoch), at least one per stage (`--max-epochs` caps it); the stages share them in the paper's
proportions (largest remainders, at least one epoch each). Measured for the defaults on one thread (load average
about 3.5): 25.7 s per epoch at 100 per pair, so about 38 s at 150 per pair, i.e. about 85 epochs and 33 000
optimiser steps in an hour; fewer if the machine gets busier after the probe.

Evaluation, after training.
- Validation loss, reconstruction NLL and total KL of the last epoch (the recorder), against the ideal NLL of a model
  that knows α and D exactly on the training grid (REFERENCE.md: FBM −2.362, SBM −2.342 per step, "mean"
  reduction; comparable because the validation set is on the training grid) and the paper's end-of-schedule values.
- Per stage (from `StagedCheckpoint`): β, end epoch, validation loss, NLL, KL, readout KL per neuron, survivors, and
  how much of α and of log D (SBM: D₀) the latent means of the validation set hold (`latent_r2`, quadratic).
- Readout (`minimal_representation`) on the validation set: per-neuron KL, Var(μ), mean log σ²; survivors are the
  neurons with KL > `KL_THRESHOLD` there (the training distribution, as `StagedCheckpoint` counts them).
- On the test set: μ of every neuron (`latent_means`), per-neuron KL, Spearman ρ of μ with α and with log D (SBM also
  with the log of the aging coefficient α·D₀·T^(α−1), T = 399 steps as in the SBM tutorial), on the whole test
  grid and inside the training box (0.2 ≤ α ≤ 1.8, 1e-5 ≤ D ≤ 1e-2). The α neuron is the survivor with the largest
  |ρ(μ, α)|, the D neuron the survivor with the largest |ρ(μ, log D)| (for SBM the aging neuron likewise); they may
  coincide, which is reported.
- Latent sweeps (`spivae.analysis.sweep_neuron`) of every neuron (the noised ones are controls: they should leave the generated α
  and D flat), the other neurons at their mean μ over the validation set: a "prior" sweep of `--sweep-values`
  values in [−`--sweep-lim`, `--sweep-lim`] and a "data" sweep over the 0.5-99.5 % quantiles of the neuron's μ on
  the validation set; `--sweep-samples` trajectories of `--gen-T` displacements per value (`VAEWaveNet.generate`).
  Per value: the TA-MSD fit (`fit_tamsd`, first 10 % of lags) of each trajectory (mean α, geometric-mean D), the fit
  of the trajectories' mean TA-MSD (`fit_tamsd(..., ensemble=True)`: averaging before the logarithm removes the low
  bias of the per-trajectory fits near α = 2, see the calibration) and the fit of the ensemble MSD (`ensemble_msd` +
  `fit_msd`, same lags). Monotonicity: Spearman ρ of the fitted α (and log D) with the swept value, and whether it
  is strictly monotonic; range: min and max over the values. The TA-MSD of SBM is linear in the lag whatever α
  (weak ergodicity breaking), so for SBM the ensemble fit is the one that measures α. Calibration: the same fits
  of the real test trajectories cut to `--gen-T` displacements, per true α.
- Figures (dpi 80): μ of the survivors on the test grid against α and D (`plot_latents`), the survivors' sweeps, and
  the per-neuron KL over training (from `KLDsCallback`, averaged per epoch) with the readout KL at each stage end.

Outputs: `{out}/reproduce_{process}.json` and `.md` and three PNGs `{out}/reproduce_{process}_{latents,sweep,kl}.png`
(out defaults to benchmarks/results). The checkpoints of every stage stay in `--ckpt` (default: a fresh temporary
folder, printed at the end). `--quick` runs the whole pipeline on tiny grids (5 α × 3 D, 16 per pair, batch 16,
three epochs per stage, 7 sweep values × 16 samples) in under a minute, writing to a temporary folder unless `--out`
is given: a check of the script, not a result (its model rarely keeps a neuron above the threshold;
`--kl-threshold 0.02` exercises the survivor code paths).
"""
import argparse, json, math, os, platform, shutil, tempfile, time
from pathlib import Path
import numpy as np
import torch
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from fastai.basics import Callback, DataLoaders
from fastai.callback.training import GradientClip
from fastai.torch_core import set_seed
from spivae.data import load_data, fbm_dataset, sbm_dataset, TrajDL
from spivae.models import VAEWaveNet, LAYOUTS, seed_model_args
from spivae.train import spivae_learner, read_train_state, load_checkpoint
from spivae.callbacks import StagedBeta, StagedCheckpoint, KLDsCallback, FBM_SCHEDULE, SBM_SCHEDULE
from spivae.readout import latent_means, minimal_representation, latent_readout, latent_r2, latent_r2_min_rows, spearman, KL_THRESHOLD
from spivae.analysis import positions, tamsd, ensemble_msd, fit_msd, default_lags, plot_latents, msd_fits, monotonic, sweep_neuron, MSD_FITS

HERE = Path(__file__).parent
T = 400
TRAIN_ALPHA, TRAIN_D = np.round(np.linspace(0.2, 1.8, 21), 2), np.geomspace(1e-5, 1e-2, 10)
TEST_ALPHA = np.round(np.linspace(0.04, 1.96, 49), 2)
TEST_D = dict(fbm=np.geomspace(1e-6, 1e-1, 61)[6:-6], sbm=np.geomspace(1e-6, 1e-1, 16)[2:-2])
TEST_PER_PAIR = dict(fbm=4, sbm=16)
PAPER_SCHEDULE = dict(fbm=FBM_SCHEDULE, sbm=SBM_SCHEDULE)
IDEAL_NLL = dict(fbm=-2.362, sbm=-2.342)  # REFERENCE.md: exact likelihood on the training grid, 32-step memory
PAPER_END = dict(fbm=dict(epochs=144, valid_loss=-2.340, nll=-2.359, kld=4.79),
                 sbm=dict(epochs=49, valid_loss=-2.302, nll=-2.326, kld=4.82))
PAPER_STEPS = dict(fbm=(476*210*4//5)//256*144, sbm=(476*210*4//5)//256*49)  # drop_last batches of 256 × epochs
RHO_TARGET, ALPHA_SPAN_TARGET = 0.9, (0.2, 2.0)
ALPHA_FITS = dict(alpha_ta='TA-MSD', alpha_tam='mean TA-MSD', alpha_ea='ens. MSD')  # per trajectory, of the mean, ensemble
SAFETY, FIXED_EVAL_S, PROBE_BATCHES = 0.95, 20., 16

def model_args_for(T):
    "The seed's model (z_dim 6, receptive field 32) with the reference code's residual factors (`res_scale=True`)"
    return seed_model_args(T, res_scale=True)

class EpochTimer(Callback):
    "Wall-clock seconds from the start of the fit to the end of every epoch"
    order = 0
    def before_fit(self): self.t0, self.ends = time.perf_counter(), []
    def after_epoch(self): self.ends.append(time.perf_counter() - self.t0)

def scale_schedule(paper, n_epoch):
    "The paper's (epochs, β) stages with lengths in its proportions summing to `n_epoch`, each at least one epoch"
    w = np.array([n for n, _ in paper], dtype=float)
    n_epoch = max(int(n_epoch), len(paper))
    raw = n_epoch*w/w.sum()
    n = np.maximum(np.floor(raw).astype(int), 1)
    while n.sum() < n_epoch: n[np.argmax(raw - n)] += 1
    while n.sum() > n_epoch: n[np.argmax(np.where(n > 1, n - raw, -np.inf))] -= 1
    return [(int(k), float(b)) for k, (_, b) in zip(n, paper)]

def probe_epoch_seconds(dls, model_args, bs, layout='auto'):
    "Seconds of one real epoch, from the second of two fastai epochs over a slice of the data (throw-away model)"
    n_train, n_valid = len(dls.train), len(dls.valid)
    k = min(PROBE_BATCHES, n_train)
    kv = max(1, round(k*n_valid/n_train))
    tr, va = dls.train.dataset, dls.valid.dataset
    small = DataLoaders(TrajDL(tr.subset(np.arange(min(len(tr), k*bs))), bs=bs, shuffle=True, drop_last=True),
                        TrajDL(va.subset(np.arange(min(len(va), kv*bs))), bs=bs), device=dls.device)
    set_seed(12345)
    model = VAEWaveNet(**model_args)
    model.layout = layout
    learn = spivae_learner(small, model, cbs=[KLDsCallback(model.c_channels)])
    times = []
    with learn.no_logging(), learn.no_bar():
        for _ in range(2):
            t0 = time.perf_counter(); learn.fit(1, 1e-4); times.append(time.perf_counter() - t0)
    return times[-1]*n_train/k, model.eval()

def probe_generation_us(model, n=256, steps=50):
    "Microseconds per generated trajectory-step (includes decoding the conditioning)"
    z = torch.randn(n, model.vae.z_dim)
    t0 = time.perf_counter()
    model.generate(z=z, T=steps, progress=False)
    return (time.perf_counter() - t0)/(n*(steps + model.receptive_field))*1e6

def num(v, sig=5):
    "A JSON-friendly number: None for NaN/inf, floats to `sig` significant digits"
    if v is None: return None
    if isinstance(v, (bool, np.bool_)): return bool(v)
    if isinstance(v, (int, np.integer)): return int(v)
    v = float(v)
    return float(f'{v:.{sig}g}') if math.isfinite(v) else None

def nums(a, sig=5): return [num(v, sig) for v in np.asarray(a).ravel()]

def readout_dict(ro):
    "A `minimal_representation` frame as lists"
    return dict(kl=nums(ro.kl, 4), var_mu=nums(ro.var_mu, 4), mean_logvar=nums(ro.mean_logvar, 4),
                survives=[bool(s) for s in ro.survives])

def rho_all(mu, v):
    "Spearman ρ of every neuron's μ with `v`"
    return [spearman(mu[:, k], v) for k in range(mu.shape[1])]

def sweep(model, neuron, base, start, stop, num_values, samples, gen_T, seed):
    "Generate `samples` trajectories per value of a sweep of `neuron` and fit their MSDs"
    sw = sweep_neuron(model, neuron, start, stop, num_values, base, samples=samples, T=gen_T, seed=seed)
    per, values = sw.to_dict('records'), sw.value.to_numpy()
    res = dict(neuron=int(neuron), start=num(start), stop=num(stop), values=nums(values),
               **{k: nums([p[k] for p in per]) for k in MSD_FITS})
    for key in ALPHA_FITS:
        y = np.array([p[key] for p in per], dtype=float)
        f = np.isfinite(y)
        res[f'rho_{key}'] = num(spearman(values[f], y[f]) if f.sum() > 2 else np.nan, 4)
        res[f'monotonic_{key}'] = monotonic(y)
        res[f'range_{key}'] = [num(np.nanmin(y)) if f.any() else None, num(np.nanmax(y)) if f.any() else None]
    for key in ('D_ta', 'D_ea'):
        y = np.array([p[key] for p in per], dtype=float)
        f = np.isfinite(y) & (y > 0)
        res[f'rho_log{key}'] = num(spearman(values[f], np.log(y[f])) if f.sum() > 2 else np.nan, 4)
        res[f'monotonic_{key}'] = monotonic(np.log(np.where(f, y, np.nan)))
        res[f'range_{key}'] = [num(y[f].min()) if f.any() else None, num(y[f].max()) if f.any() else None]
    return res

def calibration(ds, gen_T):
    "TA-MSD and ensemble-MSD fits of real trajectories cut to `gen_T` displacements and scaled to D = 1/2, per true α"
    lags = default_lags(gen_T + 1)
    disp = ds.disp[:, :gen_T].numpy()/np.sqrt(2*ds.D)[:, None]  # every D weighs the same in the pooled ensemble MSD
    rows = []
    for a in np.unique(ds.alpha):
        f = msd_fits(disp[ds.alpha == a], lags)
        rows.append(dict(alpha=num(a), **{k: num(f[k], 4) for k in ALPHA_FITS}))
    return rows

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--process', choices=('fbm', 'sbm'), required=True)
    p.add_argument('--minutes', type=float, default=60., help='budget of the whole run (data, training, evaluation)')
    p.add_argument('--threads', type=int, default=None, help='torch threads (default: torch decides)')
    p.add_argument('--per-pair', type=int, default=150, help='training trajectories per (α, D) pair')
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--grad-clip', type=float, default=None,
                   help="clip every step's gradient to this norm (fastai's GradientClip); default: no clipping")
    p.add_argument('--max-epochs', type=int, default=None, help='cap on the planned epochs')
    p.add_argument('--epochs', type=int, default=None,
                   help="train exactly this many epochs instead of those the budget fits (to repeat another run's schedule)")
    p.add_argument('--test-per-pair', type=int, default=None, help='test trajectories per pair (default: FBM 4, SBM 16)')
    p.add_argument('--sweep-values', type=int, default=21)
    p.add_argument('--sweep-samples', type=int, default=200)
    p.add_argument('--sweep-lim', type=float, default=3.)
    p.add_argument('--kl-threshold', type=float, default=KL_THRESHOLD, help='survival threshold of the readout KL (nats)')
    p.add_argument('--gen-T', type=int, default=200, help='displacements per generated trajectory')
    p.add_argument('--seed', type=int, default=0, help='training data, split and model; the test set uses seed + 1')
    p.add_argument('--init-seed', type=int, default=None,
                   help="seed of the model's initial weights and training noise instead of --seed (data, split and batch order keep --seed)")
    p.add_argument('--layout', default='auto', choices=LAYOUTS,
                   help="memory layout of the model's forward pass (VAEWaveNet.layout); the runs committed before 2026-11-27 used "
                        "'plain', which repeats their arithmetic")
    p.add_argument('--data', default=None, help='cache folder of the trajectories (default: a temporary folder, removed)')
    p.add_argument('--ckpt', default=None, help='folder of the stage checkpoints (default: a fresh temporary folder, kept)')
    p.add_argument('--out', default=None, help='results folder (default: benchmarks/results; with --quick a temporary folder)')
    p.add_argument('--quick', action='store_true', help='tiny grids, three epochs per stage: an end-to-end check (under a minute)')
    args = p.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    set_seed(args.seed)  # the data loaders draw their shuffling seeds from python's random when they are built
    t_start, load_start = time.perf_counter(), os.getloadavg()
    proc = args.process
    tag = f'reproduce_{proc}'

    train_alpha, train_D, test_alpha, test_D = TRAIN_ALPHA, TRAIN_D, TEST_ALPHA, TEST_D[proc]
    per_pair, bs, test_per_pair = args.per_pair, args.bs, args.test_per_pair or TEST_PER_PAIR[proc]
    n_values, samples, max_epochs = args.sweep_values, args.sweep_samples, args.max_epochs
    if args.quick:
        train_alpha, train_D = np.round(np.linspace(0.2, 1.8, 5), 2), np.geomspace(1e-5, 1e-2, 3)
        test_alpha, test_D = test_alpha[::8], test_D[::max(1, len(test_D)//5)]
        per_pair, bs, test_per_pair, n_values, samples = 16, 16, 2, 7, 16
        max_epochs, args.minutes = 3*len(PAPER_SCHEDULE[proc]), 2.
    paper_grids = not args.quick
    out = Path(args.out) if args.out else (Path(tempfile.mkdtemp(prefix='spivae_quick_')) if args.quick else HERE/'results')
    ckpt = Path(args.ckpt) if args.ckpt else Path(tempfile.mkdtemp(prefix=f'spivae_{tag}_'))
    if list(ckpt.glob(f'{tag}_*.safetensors')): p.error(f"{ckpt} already holds {tag} checkpoints: choose another --ckpt")
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix='spivae_data_'))

    # data: training/validation on the training grids, test on the test grids with another seed
    ds_args = dict(path=data, model=proc, N=per_pair, T=T, D=train_D, alpha=train_alpha, seed=args.seed, valid_pct=0.2,
                   bs=bs, N_save=per_pair*len(train_D), T_save=T, device='cpu')
    dls = load_data(ds_args)
    make_test = fbm_dataset if proc == 'fbm' else sbm_dataset
    extra = dict(N_save=test_per_pair*len(test_D)) if proc == 'fbm' else {}
    test_ds = make_test(data, N=test_per_pair, T=T, alpha=test_alpha, D=test_D, seed=args.seed + 1, **extra)
    t_data = time.perf_counter() - t_start
    n_train, n_valid = len(dls.train.dataset), len(dls.valid.dataset)
    print(f"data: {n_train} training, {n_valid} validation, {len(test_ds)} test trajectories ({t_data:.1f} s)", flush=True)

    # plan the epochs from a timed probe
    model_args = model_args_for(T)
    t0 = time.perf_counter()
    epoch_s, probe_model = probe_epoch_seconds(dls, model_args, bs, args.layout)
    gen_us = probe_generation_us(probe_model)
    t_probe = time.perf_counter() - t0
    z_dim = model_args['z_dim']
    sweep_traj = z_dim*2*n_values*samples  # worst case: every neuron survives
    eval_s = (sweep_traj*(args.gen_T + probe_model.receptive_field)*gen_us*1e-6
              + epoch_s*(len(PAPER_SCHEDULE[proc]) + 3)*0.2*n_valid/max(n_train, 1)  # readouts of stages, valid, test
              + FIXED_EVAL_S)
    elapsed = time.perf_counter() - t_start
    train_budget = SAFETY*(args.minutes*60 - elapsed - eval_s)
    planned = max(int(train_budget//epoch_s), len(PAPER_SCHEDULE[proc]))
    if max_epochs: planned = min(planned, max(max_epochs, len(PAPER_SCHEDULE[proc])))
    if args.epochs: planned = max(args.epochs, len(PAPER_SCHEDULE[proc]))
    schedule = scale_schedule(PAPER_SCHEDULE[proc], planned)
    n_epoch = sum(n for n, _ in schedule)
    plan = dict(budget_s=round(args.minutes*60, 1), elapsed_before_fit_s=round(elapsed, 1), probe_s=round(t_probe, 1),
                epoch_estimate_s=round(epoch_s, 2), generation_us_per_traj_step=round(gen_us, 3),
                eval_estimate_s=round(eval_s, 1), safety=SAFETY, train_budget_s=round(train_budget, 1),
                max_epochs=max_epochs, epochs=args.epochs, planned_epochs=n_epoch, too_short=bool(not args.epochs and train_budget < epoch_s*len(schedule)))  # --epochs: the user's choice
    print(f"plan: {epoch_s:.1f} s/epoch estimated, {train_budget:.0f} s for training -> {n_epoch} epochs, schedule {schedule}",
          flush=True)

    # train through the scaled schedule
    init_seed = args.seed if args.init_seed is None else args.init_seed
    set_seed(init_seed)  # python, numpy and torch: the weights and the training noise (the batch order was drawn above)
    model = VAEWaveNet(**model_args)
    model.layout = args.layout
    timer = EpochTimer()
    learn = spivae_learner(dls, model, path=ckpt,
                           cbs=[StagedCheckpoint(ckpt, model_args, ds_args, prefix=tag, kl_threshold=args.kl_threshold),
                                KLDsCallback(model.c_channels), timer]
                               + ([GradientClip(args.grad_clip)] if args.grad_clip else []))
    t0 = time.perf_counter()
    learn.fit_beta_schedule(StagedBeta(schedule), lr_max=args.lr, restart_lr=True)
    t_fit = time.perf_counter() - t0
    load_after_fit = os.getloadavg()
    t_eval0 = time.perf_counter()
    model = learn.model.eval()
    names = [n for n in learn.recorder.metric_names if n not in ('epoch', 'time')]
    final = dict(zip(names, [float(v) for v in learn.recorder.values[-1]]))

    # per stage: the checkpoint's metrics and the readout of its model on the validation set
    stages, prev = [], 0
    for i in range(len(schedule)):
        f = ckpt/f'{tag}_stage{i}.safetensors'
        st = read_train_state(f)
        mu_s, lv_s, a_s, D_s = latent_means(load_checkpoint(f)[0], dls.valid)
        ro = latent_readout(mu_s, lv_s, a_s, D_s, args.kl_threshold)
        e = st['epoch']
        stages.append(dict(stage=i, beta=st['beta'], end_epoch=e, valid_loss=num(st['metrics']['valid_loss']),
                           nll=num(st['metrics']['nll']), kld=num(st['metrics']['kld'], 4), neuron_kl=nums(ro.kl, 3),
                           surviving=int(ro.survives.sum()), r2_alpha=stage_r2(mu_s, a_s), r2_logD=stage_r2(mu_s, np.log(D_s)),
                           seconds=round(timer.ends[e-1] - (timer.ends[prev-1] if prev else 0), 1)))
        prev = e

    # readout: survivors on the validation set, correlations on the test set
    ro_valid = minimal_representation(model, dls.valid, args.kl_threshold)
    survivors = [int(k) for k in ro_valid.index[ro_valid.survives]]
    mu_v = latent_means(model, dls.valid)[0]
    mu, logvar, ta, tD = latent_means(model, TrajDL(test_ds, bs=512))
    ro_test = latent_readout(mu, logvar, ta, tD, args.kl_threshold)
    box = ((ta >= train_alpha.min() - 1e-9) & (ta <= train_alpha.max() + 1e-9)
           & (tD >= train_D.min()*(1 - 1e-9)) & (tD <= train_D.max()*(1 + 1e-9)))
    aging = np.log(ta) + np.log(tD) + (ta - 1)*np.log(T - 1)  # T - 1 steps, as the SBM tutorial
    targets = dict(alpha=ta, logD=np.log(tD), **({'log_aging': aging} if proc == 'sbm' else {}))
    rho = {k: nums(rho_all(mu, v), 4) for k, v in targets.items()}
    rho_box = {k: nums(rho_all(mu[box], v[box]), 4) for k, v in targets.items()}
    roles = {}
    for k in targets:
        if survivors: roles[k] = max(survivors, key=lambda j: abs(rho[k][j]) if rho[k][j] is not None else -1)
    print(f"survivors {survivors}, roles {roles}", flush=True)

    # latent sweeps of every neuron (the noised ones are controls), the other neurons at their validation mean
    base = mu_v.mean(0)
    sweeps = []
    for k in range(z_dim):
        lo, hi = np.quantile(mu_v[:, k], [0.005, 0.995])
        for kind, (a, b) in (('prior', (-args.sweep_lim, args.sweep_lim)), ('data', (lo, hi))):
            s = sweep(model, k, base, a, b, n_values, samples, args.gen_T, args.seed + 100 + 2*k + (kind == 'data'))
            s['kind'] = kind
            s['roles'] = [r for r, n in roles.items() if n == k]
            s['survives'] = k in survivors
            sweeps.append(s)
    calib = calibration(test_ds, args.gen_T)

    # figures
    out.mkdir(parents=True, exist_ok=True)
    figs = dict(latents=out/f'{tag}_latents.png', sweep=out/f'{tag}_sweep.png', kl=out/f'{tag}_kl.png')
    shown = survivors or list(range(z_dim))
    fig = plot_latents(mu[:, shown], ta, tD)
    for j, k in enumerate(shown):
        fig.axes[j].set_title(f"neuron {k}\nρ(α) {rho['alpha'][k]:+.2f}, ρ(log D) {rho['logD'][k]:+.2f}", fontsize=8)
    fig.suptitle(f'{proc.upper()} test set: mean μ per (α, D), colour log D (top) and α (bottom)'
                 f'{"" if survivors else "; no survivor, all neurons shown"}', fontsize=9)
    fig.tight_layout(); fig.savefig(figs['latents'], dpi=80); plt.close(fig)
    plot_sweeps(sweeps, shown, roles, proc, train_D, figs['sweep'])
    plot_kl_stages(learn.kl_ds, stages, figs['kl'], proc, args.kl_threshold)
    t_eval = time.perf_counter() - t_eval0

    res = dict(process=proc, quick=args.quick, paper_grids=paper_grids,
               settings=dict(T=T, per_pair=per_pair, bs=bs, lr_max=args.lr, grad_clip=args.grad_clip, seed=args.seed, init_seed=init_seed, layout=args.layout, valid_pct=0.2,
                             train_alpha=nums(train_alpha), train_D=nums(train_D), test_alpha=nums(test_alpha),
                             test_D=nums(test_D), test_per_pair=test_per_pair, n_train=n_train, n_valid=n_valid,
                             n_test=len(test_ds), paper_schedule=PAPER_SCHEDULE[proc], schedule=schedule, n_epoch=n_epoch,
                             optimiser_steps=len(dls.train)*n_epoch, paper_optimiser_steps=PAPER_STEPS[proc],
                             kl_threshold=args.kl_threshold, sweep_values=n_values, sweep_samples=samples,
                             sweep_lim=args.sweep_lim, gen_T=args.gen_T, fit_lags=nums(default_lags(args.gen_T + 1)),
                             aging_T=T - 1, model_args=model_args, checkpoints=str(ckpt)),
               plan=plan,
               final=dict(valid_loss=num(final['valid_loss']), nll=num(final['nll']), kld=num(final['kld'], 4),
                          ideal_nll=IDEAL_NLL[proc] if paper_grids else None,
                          gap_to_ideal=num(final['nll'] - IDEAL_NLL[proc], 3) if paper_grids else None,
                          paper=PAPER_END[proc]),
               stages=stages, readout_valid=readout_dict(ro_valid), survivors=survivors,
               test=dict(neuron_kl=nums(ro_test.kl, 4), rho=rho, rho_in_training_box=rho_box, n_in_box=int(box.sum()),
                         roles=roles),
               sweeps=sweeps, calibration=calib,
               seconds=dict(data=round(t_data, 1), probe=round(t_probe, 1), fit=round(t_fit, 1),
                            fit_per_epoch=round(t_fit/n_epoch, 2), evaluation=round(t_eval, 1),
                            total=round(time.perf_counter() - t_start, 1)),
               machine=dict(platform=platform.platform(), cpus=os.cpu_count(), torch=torch.__version__,
                            torch_threads=torch.get_num_threads(), load_avg_start=nums(load_start, 3),
                            load_avg_after_fit=nums(load_after_fit, 3), load_avg_end=nums(os.getloadavg(), 3)),
               figures=[f.name for f in figs.values()])
    res['targets'] = targets_table(res)
    (out/f'{tag}.json').write_text(json.dumps(res, indent=1) + '\n')
    (out/f'{tag}.md').write_text(markdown(res))
    if not args.data: shutil.rmtree(data, ignore_errors=True)
    print(markdown(res))
    print(f"results in {out}; checkpoints in {ckpt}")

def plot_sweeps(sweeps, survivors, roles, proc, train_D, fname):
    "Fitted α and D of the generated trajectories along each survivor's sweeps"
    n = len(survivors)
    fig, axs = plt.subplots(2, n, figsize=(2.6*n + 0.6, 4.4), squeeze=False, sharey='row')
    for j, k in enumerate(survivors):
        for s in (s for s in sweeps if s['neuron'] == k):
            v, ls = np.array(s['values'], dtype=float), '-' if s['kind'] == 'prior' else '--'
            f = lambda key: np.array([np.nan if x is None else x for x in s[key]], dtype=float)
            axs[0, j].plot(v, f('alpha_ta'), ls, color='C0', lw=1.2, label=f"TA-MSD, {s['kind']}")
            axs[0, j].plot(v, f('alpha_ea'), ls, color='C1', lw=1.2, label=f"ens. MSD, {s['kind']}")
            axs[1, j].plot(v, f('D_ta'), ls, color='C0', lw=1.2)
            axs[1, j].plot(v, f('D_ea'), ls, color='C1', lw=1.2)
        role = ', '.join(r for r, m in roles.items() if m == k)
        axs[0, j].set_title(f'neuron {k}' + (f' ({role})' if role else ''), fontsize=8)
        axs[1, j].set_yscale('log'); axs[1, j].set_xlabel('swept value of the neuron', fontsize=8)
        for y in ALPHA_SPAN_TARGET: axs[0, j].axhline(y, color='0.7', lw=0.8, ls=':')
        for y in (train_D.min(), train_D.max()): axs[1, j].axhline(y, color='0.7', lw=0.8, ls=':')
        for a in axs[:, j]: a.tick_params(labelsize=7)
    axs[0, 0].set_ylabel('generated α', fontsize=8); axs[1, 0].set_ylabel('generated D', fontsize=8)
    axs[0, 0].legend(fontsize=6)
    fig.suptitle(f'{proc.upper()} latent sweeps (solid: [−lim, lim], dashed: μ range of the data; dotted: targets)', fontsize=8)
    fig.tight_layout(); fig.savefig(fname, dpi=80); plt.close(fig)

def stage_r2(mu, y):
    "`latent_r2` (quadratic) rounded, or None when the set is too small for it (as in `--quick`)"
    return num(latent_r2(mu, y), 3) if len(mu) >= latent_r2_min_rows(mu.shape[1]) else None

def plot_kl_stages(rec, stages, fname, proc, threshold):
    "Per-neuron KL of the training batches averaged per epoch, with the stages and the readout KL at each stage end"
    kl, ep = rec.preds.numpy(), np.floor(rec.epochs.numpy()).astype(int)
    epochs = np.unique(ep)
    mean = np.stack([kl[ep == e].mean(0) for e in epochs])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for k in range(kl.shape[1]):
        ax.plot(epochs + 1, np.clip(mean[:, k], 1e-5, None), lw=1.2, color=f'C{k}', label=f'$z_{k}$')
        ax.plot([s['end_epoch'] for s in stages], [max(s['neuron_kl'][k] or 1e-5, 1e-5) for s in stages], 'o', ms=3, color=f'C{k}')
    start = 0
    for s in stages:
        ax.axvline(s['end_epoch'], color='0.8', lw=0.8)
        ax.text((start + s['end_epoch'])/2, 1.02, f"β={s['beta']:g}", transform=ax.get_xaxis_transform(), ha='center', fontsize=6)
        start = s['end_epoch']
    ax.axhline(threshold, color='k', ls=':', lw=0.8)
    ax.set_yscale('log'); ax.set_xlabel('epoch', fontsize=8); ax.set_ylabel('KL per neuron (nats)', fontsize=8)
    ax.tick_params(labelsize=7); ax.legend(fontsize=6, ncol=kl.shape[1], loc='lower left')
    ax.set_title(f'{proc.upper()}: lines, training batches (epoch mean); dots, validation readout at stage ends; '
                 'dotted, survival threshold', fontsize=7, pad=12)
    fig.tight_layout(); fig.savefig(fname, dpi=80); plt.close(fig)

def _sweep_of(r, neuron, kind='prior'):
    return next((s for s in r['sweeps'] if s['neuron'] == neuron and s['kind'] == kind), None)

def targets_table(r):
    "Rows (quantity, paper, this run, met) of the comparison with the paper"
    proc, roles, surv, rho = r['process'], r['test']['roles'], r['survivors'], r['test']['rho']
    fa = lambda v: '–' if v is None else f'{v:.3f}'
    rows = [('surviving neurons (KL > %g, validation)' % r['settings']['kl_threshold'], '2', str(len(surv)), len(surv) == 2)]
    f = r['final']
    rows.append(('reconstruction NLL per step (validation)', f"{f['paper']['nll']} (ideal {IDEAL_NLL[proc]})", fa(f['nll']), None))
    rows.append(('total KL (last epoch)', str(f['paper']['kld']), fa(f['kld']), None))
    a, d = roles.get('alpha'), roles.get('logD')
    if proc == 'fbm':
        rows.append(('|ρ(μ, α)| of the α neuron (test)', '≥ 0.9', '–' if a is None else f"{abs(rho['alpha'][a]):.3f} (neuron {a})",
                     None if a is None else abs(rho['alpha'][a]) >= RHO_TARGET))
        rows.append(('|ρ(μ, log D)| of the D neuron (test)', '≥ 0.9', '–' if d is None else f"{abs(rho['logD'][d]):.3f} (neuron {d})",
                     None if d is None else abs(rho['logD'][d]) >= RHO_TARGET))
        rows.append(('α neuron and D neuron distinct', 'yes', '–' if a is None else ('yes' if a != d else 'no'),
                     None if a is None else a != d))
    else:
        g = roles.get('log_aging')
        rows.append(('|ρ(μ, log α D₀ T^(α−1))| of the aging neuron (test)', 'tracks it (no number)',
                     '–' if g is None else f"{abs(rho['log_aging'][g]):.3f} (neuron {g})",
                     None if g is None else abs(rho['log_aging'][g]) >= RHO_TARGET))
        rows.append(('|ρ(μ, α)|, |ρ(μ, log D₀)| of the best survivors (test)', 'combinations of α, D₀',
                     '–' if a is None else f"{abs(rho['alpha'][a]):.3f} (neuron {a}), {abs(rho['logD'][d]):.3f} (neuron {d})", None))
    key = 'alpha_ta' if proc == 'fbm' else 'alpha_ea'
    s = _sweep_of(r, a) if a is not None else None
    if s is not None:
        lo, hi = s[f'range_{key}']
        met = None if lo is None else (lo <= ALPHA_SPAN_TARGET[0] + 0.1 and hi >= ALPHA_SPAN_TARGET[1] - 0.1)
        rows.append((f"generated α along the α neuron, sweep [−{r['settings']['sweep_lim']:g}, {r['settings']['sweep_lim']:g}] "
                     f"({'TA-MSD' if proc == 'fbm' else 'ensemble MSD'}; met: min ≤ 0.3 and max ≥ 1.9)",
                     '≈ 0.2 to 2.0' if proc == 'fbm' else '(stated for FBM: ≈ 0.2 to 2.0)',
                     f"{fa(lo)} to {fa(hi)}, ρ(z, α) {fa(s['rho_' + key])}", met))
    s = _sweep_of(r, d) if d is not None else None
    if s is not None:
        lo, hi = s['range_D_ta']
        met = None if lo is None else (lo <= 1e-5*1.5 and hi >= 1e-2/1.5)
        rows.append(('generated D along the D neuron (TA-MSD; met: covers 1.5e-5 to 6.7e-3)',
                     'follows it over 1e-5 to 1e-2' if proc == 'fbm' else '(stated for FBM: over 1e-5 to 1e-2)',
                     '–' if lo is None else f"{lo:.2e} to {hi:.2e}, ρ(z, log D) {fa(s['rho_logD_ta'])}", met))
    return [dict(quantity=q, paper=pv, run=rv, met=m) for q, pv, rv, m in rows]

def reading(r):
    "A factual reading generated from the numbers"
    proc, st, f = r['process'], r['settings'], r['final']
    roles, rho, box = r['test']['roles'], r['test']['rho'], r['test']['rho_in_training_box']
    lines = [f"Scale: {st['n_train']} training trajectories, {st['n_epoch']} epochs, {st['optimiser_steps']} optimiser steps "
             f"at batch {st['bs']} (the paper: about 80 000 trajectories, {f['paper']['epochs']} epochs, about "
             f"{st['paper_optimiser_steps']} steps at batch 256)."]
    if f['ideal_nll'] is not None:
        lines.append(f"Reconstruction: validation NLL {f['nll']:.4f} per step against the ideal {f['ideal_nll']} of a model that "
                     f"knows α and D (gap {f['gap_to_ideal']:+.3f} nats; the paper {f['paper']['nll']}, gap "
                     f"{f['paper']['nll'] - f['ideal_nll']:+.3f}). Both are on the training grid, so they compare.")
    else: lines.append("Quick run on tiny grids: the ideal NLL of the paper's training grid does not apply.")
    surv = r['survivors']
    lines.append(f"Survivors: {len(surv)} {surv} (the paper: 2); validation readout KL per neuron "
                 f"{', '.join(f'{v:.3g}' for v in r['readout_valid']['kl'])}.")
    a, d = roles.get('alpha'), roles.get('logD')
    if a is not None:
        lines.append(f"Best α neuron {a}: |ρ| {abs(rho['alpha'][a]):.3f} on the test grid, {abs(box['alpha'][a]):.3f} inside the "
                     f"training box; best D neuron {d}: |ρ| {abs(rho['logD'][d]):.3f}, {abs(box['logD'][d]):.3f} inside."
                     + (" They are the same neuron: no neuron is specific to α." if a == d else ""))
        if proc == 'sbm':
            g = roles['log_aging']
            lines.append(f"Aging neuron {g}: |ρ(μ, log α D₀ T^(α−1))| {abs(rho['log_aging'][g]):.3f} "
                         f"({abs(box['log_aging'][g]):.3f} inside the box).")
    key = 'alpha_ta' if proc == 'fbm' else 'alpha_ea'
    fa = lambda v: '–' if v is None else f'{v:.3f}'
    cal = {c['alpha']: c for c in r['calibration']}
    ends = sorted({min(cal), max(cal)} | ({0.2, 1.8} & set(cal)))
    s = _sweep_of(r, a) if a is not None else None
    if s is not None:
        lines.append(f"Generation along neuron {a} ({s['start']:g} to {s['stop']:g}): {'TA-MSD' if proc == 'fbm' else 'ensemble-MSD'} α "
                     f"{fa(s['range_' + key][0])} to {fa(s['range_' + key][1])}, Spearman with the swept value {fa(s['rho_' + key])}, "
                     f"{'strictly monotonic' if s['monotonic_' + key] else 'not strictly monotonic'}. The same fit of real "
                     f"test trajectories of the same length gives " + ', '.join(f"{fa(cal[e][key])} at α = {e:g}" for e in ends) + '.')
        if proc == 'fbm' and 'range_alpha_tam' in s:
            lines.append(f"The fit of the mean TA-MSD of the same generated trajectories: α {fa(s['range_alpha_tam'][0])} to "
                         f"{fa(s['range_alpha_tam'][1])}; on the real test trajectories it gives "
                         + ', '.join(f"{fa(cal[e]['alpha_tam'])} at α = {e:g}" for e in ends) + '.')
    s = _sweep_of(r, d) if d is not None else None
    if s is not None and s['range_D_ta'][0] is not None:
        lines.append(f"Generation along neuron {d}: TA-MSD D {s['range_D_ta'][0]:.2e} to {s['range_D_ta'][1]:.2e} (training D "
                     f"{min(st['train_D']):.0e} to {max(st['train_D']):.0e}), Spearman of log D with the swept value {fa(s['rho_logD_ta'])}.")
    ctrl = [x for x in r['sweeps'] if not x['survives'] and x['kind'] == 'prior']
    if ctrl:
        spread = max(x['range_alpha_ta'][1] - x['range_alpha_ta'][0] for x in ctrl if x['range_alpha_ta'][0] is not None)
        lines.append(f"Controls: sweeping a noised neuron moves the TA-MSD α by at most {spread:.3f} (min–max over the values).")
    if proc == 'sbm':
        lines.append("For SBM the TA-MSD is linear in the lag whatever α (weak ergodicity breaking: see the calibration, "
                     "TA-MSD α ≈ 1 for every true α), so the ensemble-MSD fit is the one that measures α.")
    met = [t for t in r['targets'] if t['met'] is not None]
    lines.append(f"Targets met: {sum(bool(t['met']) for t in met)} of {len(met)} checked.")
    if r['plan']['too_short']: lines.append("The budget was too short for the planned schedule: one epoch per stage was forced.")
    if r['quick']: lines.append("QUICK RUN: tiny grids and three epochs per stage; a check of the script, not a result.")
    return lines

def markdown(r):
    proc, st, pl, sec, m = r['process'], r['settings'], r['plan'], r['seconds'], r['machine']
    fa = lambda v: '–' if v is None else f'{v:.3f}'
    clip = '' if st.get('grad_clip') is None else f", gradient norm clipped to {st['grad_clip']:g} (`--grad-clip`)"
    L = [f"# Reproduction benchmark, {proc.upper()} (`benchmarks/reproduce.py --process {proc}`)" + (' — QUICK CHECK' if r['quick'] else ''), '',
         f"{st['n_train']} training / {st['n_valid']} validation {proc.upper()} trajectories (T = {st['T']}, {st['per_pair']} per "
         f"(α, D) on {len(st['train_alpha'])} α × {len(st['train_D'])} D), batch {st['bs']}, lr_max {st['lr_max']}, one lr cycle per "
         f"stage{clip}. Test set: {st['n_test']} trajectories ({st['test_per_pair']} per pair) on {len(st['test_alpha'])} α in "
         f"[{min(st['test_alpha'])}, {max(st['test_alpha'])}] × {len(st['test_D'])} D in [{min(st['test_D']):.2g}, {max(st['test_D']):.2g}]. " +
         (f"Seed {st['seed']} for the training data, split and model, {st['seed'] + 1} for the test set (`--seed`)."
          if st.get('init_seed', st['seed']) == st['seed'] else
          f"Seed {st['seed']} for the training data and split, {st['init_seed']} for the model's initial weights and training "
          f"noise (`--init-seed`), {st['seed'] + 1} for the test set (`--seed`).") +
         f" Model layout {st.get('layout', 'plain')!r} (`--layout`" + ('' if 'layout' in st else ', before the option existed') + ").",
         f"Schedule (epochs, β): {[tuple(x) for x in st['schedule']]} = {st['n_epoch']} epochs, the paper's {[tuple(x) for x in st['paper_schedule']]} scaled to the "
         f"budget ({pl['epoch_estimate_s']} s/epoch estimated by the probe, {sec['fit_per_epoch']} s/epoch measured).", '',
         '## Against the paper', '', '| quantity | paper | this run | met |', '|---|---|---|---|']
    for t in r['targets']:
        L.append(f"| {t['quantity']} | {t['paper']} | {t['run']} | {'–' if t['met'] is None else ('yes' if t['met'] else 'no')} |")
    f = r['final']
    L += ['', f"Last epoch: valid loss {fa(f['valid_loss'])}, recon NLL {fa(f['nll'])}, total KL {fa(f['kld'])} "
          f"(paper at epoch {f['paper']['epochs']}: {f['paper']['valid_loss']}, {f['paper']['nll']}, {f['paper']['kld']})."
          + (f" Ideal NLL on the training grid {f['ideal_nll']}: gap {f['gap_to_ideal']:+.3f}." if f['ideal_nll'] is not None else ''),
          '', '## Stages', '', 'R²: held-out R² of a quadratic regression of α (log D) on the six latent means of the validation '
          'set (`latent_r2`); in the runs measured, a latent space without α at stage 0 did not gain it later.', '',
          '| stage | β | end epoch | valid loss | recon NLL | total KL | per-neuron KL (readout, validation) | surviving | R²(α) | R²(log D) | seconds |',
          '|---|---|---|---|---|---|---|---|---|---|---|']
    for s in r['stages']:  # reports written before the R² columns lack them
        L.append(f"| {s['stage']} | {s['beta']:g} | {s['end_epoch']} | {fa(s['valid_loss'])} | {fa(s['nll'])} | {fa(s['kld'])} | "
                 f"{', '.join(f'{v:.3g}' for v in s['neuron_kl'])} | {s['surviving']} | {fa(s.get('r2_alpha'))} | "
                 f"{fa(s.get('r2_logD'))} | {s['seconds']} |")
    rv, te = r['readout_valid'], r['test']
    fit_keys = [k for k in ALPHA_FITS if k in r['calibration'][0]]  # reports written before the mean TA-MSD fit lack it
    tam = 'alpha_tam' in fit_keys
    extra = proc == 'sbm'
    L += ['', '## Readout', '', 'KL, Var(μ), mean log σ² and survival on the validation set; KL and Spearman ρ on the test set '
          f"(whole grid / inside the training box, {te['n_in_box']} trajectories).", '',
          '| neuron | KL (valid) | Var(μ) | mean log σ² | survives | KL (test) | ρ(μ, α) | ρ(μ, log D) |' + (' ρ(μ, log aging) |' if extra else ''),
          '|---|---|---|---|---|---|---|---|' + ('---|' if extra else '')]
    for k in range(len(rv['kl'])):
        cell = lambda key: f"{fa(te['rho'][key][k])} / {fa(te['rho_in_training_box'][key][k])}"
        L.append(f"| {k} | {rv['kl'][k]:.4g} | {rv['var_mu'][k]:.4g} | {rv['mean_logvar'][k]:.3f} | {rv['survives'][k]} | "
                 f"{te['neuron_kl'][k]:.4g} | {cell('alpha')} | {cell('logD')} |" + (f" {cell('log_aging')} |" if extra else ''))
    L += ['', f"Roles (survivor with the largest |ρ| on the test grid): {te['roles'] or 'none (no survivor)'}.", '',
          '## Latent sweeps', '',
          f"Every neuron (non-survivors in italics: controls). {st['sweep_values']} values per sweep, {st['sweep_samples']} "
          f"trajectories of {st['gen_T']} displacements per value, the other neurons at their validation mean. Fits on lags "
          f"{st['fit_lags'][0]}..{st['fit_lags'][-1]}. α: min–max over the values, "
          "ρ: Spearman with the swept value, mono: strictly monotonic.", '',
          '| neuron | role | sweep | TA-MSD α | ρ, mono |' + (' mean TA-MSD α | ρ, mono |' if tam else '')
          + ' ens. MSD α | ρ, mono | TA-MSD D | ρ(log D), mono |', '|---|---|---|' + '---|---|'*(3 + tam)]
    rng = lambda v, fmt: '–' if v[0] is None else f"{v[0]:{fmt}} – {v[1]:{fmt}}"
    fit = lambda s, k: f"{rng(s['range_' + k], '.3f')} | {fa(s['rho_' + k])}, {'yes' if s['monotonic_' + k] else 'no'} | "
    for s in r['sweeps']:
        L.append(f"| {s['neuron'] if s['survives'] else '*%d*' % s['neuron']} | {', '.join(s['roles']) or '–'} | {s['kind']} [{s['start']:.3g}, {s['stop']:.3g}] | "
                 + ''.join(fit(s, k) for k in fit_keys) +
                 f"{rng(s['range_D_ta'], '.2e')} | {fa(s['rho_logD_ta'])}, {'yes' if s['monotonic_D_ta'] else 'no'} |")
    cal = r['calibration']
    pick = sorted({cal[0]['alpha'], cal[-1]['alpha']} | {c['alpha'] for c in cal if c['alpha'] in (0.2, 0.6, 1.0, 1.4, 1.8)})
    L += ['', f"Calibration: the same fits of real test trajectories cut to {st['gen_T']} displacements (each scaled to D = 1/2, "
          "all D pooled):", '',
          '| true α | ' + ' | '.join(f'{a:g}' for a in pick) + ' |', '|---|' + '---|'*len(pick),
          *[f"| {ALPHA_FITS[k]} α | " + ' | '.join(fa(c[k]) for c in cal if c['alpha'] in pick) + ' |' for k in fit_keys], '']
    L += ['Figures: ' + ', '.join(f'`{n}`' for n in r['figures']) + '.', '', '## Reading (generated from the numbers)', '']
    L += [f"- {line}" for line in reading(r)]
    L += ['', f"Time: data {sec['data']} s, probe {sec['probe']} s, training {sec['fit']} s, evaluation {sec['evaluation']} s, total "
          f"{sec['total']} s ({sec['total']/60:.1f} min; budget {pl['budget_s']/60:.1f} min, planned training {pl['train_budget_s']} s). "
          f"Machine: {m['cpus']} cores, torch {m['torch']} with {m['torch_threads']} thread(s); load average at the start "
          f"{m['load_avg_start']}, after training {m['load_avg_after_fit']}, at the end {m['load_avg_end']}."]
    return '\n'.join(L) + '\n'

if __name__ == '__main__': main()
