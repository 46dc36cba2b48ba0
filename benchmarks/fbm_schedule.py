"""Benchmark: the paper's whole FBM β schedule in one `fit_beta_schedule` call, scaled to a 2-core CPU.

Same α and D grids as the paper (21 α in linspace(0.2, 1.8), 10 D in geomspace(1e-5, 1e-2)), T = 400, the seed
model (z_dim 6, receptive field 32), Adam with one learning-rate cycle per stage (as the paper's staged
`fit_one_cycle` calls). Scaled down: 16 trajectories per (α, D) pair (3 360 in all, 20 % for validation) instead of
476, batch 64 instead of 256 (lr_max 1e-3 as the paper), and the stages shortened: β = 0 for 40 epochs, then
12 epochs at each of the paper's β = 1e-4, 6e-4, 1e-3, 2e-3, 4e-3 (100 epochs instead of 64 + 5 × 16 = 144).

Records per stage: validation loss, reconstruction NLL, total KL, the per-neuron KL of the readout over the validation
set, the number of surviving neurons (readout KL > spivae.readout.KL_THRESHOLD), the stage's wall time; at the end the
full readout (Var(μ), mean log σ², Spearman ρ of the survivors with α and log D). Then, on the same data, the cost of
the toolkit: two epochs of a plain `fit_one_cycle` against two epochs with all the recording callbacks and staged
checkpoints (ratio measured in the same run).

Run: `python benchmarks/fbm_schedule.py` (budget: under 30 minutes on 2 cores); results go to
benchmarks/results/fbm_schedule.json and .md.
"""
import argparse, json, os, platform, tempfile, time
from pathlib import Path
import numpy as np
import torch
from fastai.torch_core import set_seed  # python, numpy and torch
from fastai.basics import Callback
from spivae.data import load_data
from spivae.models import VAEWaveNet, seed_model_args
from spivae.train import spivae_learner, read_train_state, load_checkpoint
from spivae.callbacks import (StagedBeta, StagedCheckpoint, KLDsCallback, GMsCallback, BetaScheduler)
from spivae.readout import minimal_representation, KL_THRESHOLD

HERE = Path(__file__).parent
SCHEDULE = [(40, 0.), (12, 1e-4), (12, 6e-4), (12, 1e-3), (12, 2e-3), (12, 4e-3)]
SMOKE = [(1, 0.), (1, 1e-4)]

class StageTimer(Callback):
    "Wall-clock time at the end of every epoch"
    order = 0
    def before_fit(self): self.t0, self.ends = time.perf_counter(), []
    def after_epoch(self): self.ends.append(time.perf_counter() - self.t0)

def model_args_for(T): return seed_model_args(T)

def overhead(dls, model_args, epochs, folder):
    "Seconds for `epochs` epochs of a plain fit and of the same fit with the toolkit's callbacks"
    out = {}
    for name in ('plain', 'toolkit'):
        set_seed(0)
        model = VAEWaveNet(**model_args)
        cbs = [] if name == 'plain' else [KLDsCallback(6), GMsCallback(model.receptive_field, 6),
                                          StagedCheckpoint(folder, model_args, every_epoch=True)]
        learn = spivae_learner(dls, model, path=folder, cbs=cbs)
        t0 = time.perf_counter()
        if name == 'plain': learn.fit_one_cycle(epochs, 1e-3)
        else: learn.fit_beta_schedule(StagedBeta([(epochs, 0.)]), lr_max=1e-3)
        out[name] = round(time.perf_counter() - t0, 1)
    out['ratio'] = round(out['toolkit']/out['plain'], 3)
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', default=None, help='cache folder of the trajectories (default: a fresh temporary folder)')
    p.add_argument('--per-pair', type=int, default=16)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--no-overhead', action='store_true')
    p.add_argument('--smoke', action='store_true', help='a two-epoch check of the script; results go to a temporary folder')
    p.add_argument('--threads', type=int, default=None, help='torch threads (default: torch decides)')
    args = p.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    schedule, results = (SMOKE, Path(tempfile.mkdtemp())) if args.smoke else (SCHEDULE, HERE/'results')
    t_start = time.perf_counter()
    alphas, Ds, T = np.linspace(0.2, 1.8, 21), np.geomspace(1e-5, 1e-2, 10), 400
    data = Path(args.data or tempfile.mkdtemp())
    ds_args = dict(path=data, model='fbm', N=args.per_pair, T=T, D=Ds, alpha=alphas, seed=0, valid_pct=0.2, bs=args.bs,
                   N_save=args.per_pair*len(Ds), T_save=T, device='cpu')
    dls = load_data(ds_args)
    t_data = time.perf_counter() - t_start
    model_args = model_args_for(T)
    set_seed(0)
    model = VAEWaveNet(**model_args)
    ck = Path(tempfile.mkdtemp())/'ckpt'
    timer = StageTimer()
    learn = spivae_learner(dls, model, path=ck.parent,
                           cbs=[StagedCheckpoint(ck, model_args, ds_args), KLDsCallback(6), timer])
    learn.fit_beta_schedule(StagedBeta(schedule), lr_max=args.lr, restart_lr=True)
    t_fit = time.perf_counter() - t_start - t_data
    stages, prev_end = [], 0
    for i in range(len(schedule)):
        f = ck/f'spivae_stage{i}.safetensors'
        st = read_train_state(f)
        m = load_checkpoint(f)[0]
        ro = minimal_representation(m, dls.valid)
        e = st['epoch']
        stages.append(dict(stage=i, beta=st['beta'], end_epoch=e, valid_loss=round(st['metrics']['valid_loss'], 4),
                           nll=round(st['metrics']['nll'], 4), kld=round(st['metrics']['kld'], 3),
                           neuron_kl=[round(float(v), 4) for v in ro.kl], surviving=int(ro.survives.sum()),
                           seconds=round(timer.ends[e-1] - (timer.ends[prev_end-1] if prev_end else 0), 1)))
        prev_end = e
        print(stages[-1], flush=True)
    final = minimal_representation(learn.model, dls.valid)
    readout = {k: [None if isinstance(v, float) and np.isnan(v) else (round(float(v), 4) if not isinstance(v, (bool, np.bool_)) else bool(v))
                   for v in final[k]] for k in final.columns}
    res = dict(schedule=schedule, restart_lr=True, lr_max=args.lr, bs=args.bs, per_pair=args.per_pair, T=T,
               n_train=len(dls.train.dataset), n_valid=len(dls.valid.dataset), alpha_grid='linspace(0.2, 1.8, 21)',
               D_grid='geomspace(1e-5, 1e-2, 10)', kl_threshold=KL_THRESHOLD,
               seconds=dict(data=round(t_data, 1), fit=round(t_fit, 1), total=round(time.perf_counter() - t_start, 1)),
               stages=stages, final_readout=readout,
               machine=dict(platform=platform.platform(), cpus=os.cpu_count(), torch=torch.__version__,
                            torch_threads=torch.get_num_threads(), load_avg_at_end=os.getloadavg(),
                            note='2-core machine shared with another developer running tests at the same time'))
    if not args.no_overhead: res['toolkit_overhead_2_epochs'] = overhead(dls, model_args, 2, Path(tempfile.mkdtemp()))
    res['seconds']['total_with_overhead'] = round(time.perf_counter() - t_start, 1)
    results.mkdir(exist_ok=True)
    (results/'fbm_schedule.json').write_text(json.dumps(res, indent=1) + '\n')
    (results/'fbm_schedule.md').write_text(markdown(res))
    print(markdown(res))

def markdown(r):
    lines = ['# FBM β schedule benchmark (`benchmarks/fbm_schedule.py`)', '',
             f"{r['n_train']} training / {r['n_valid']} validation FBM trajectories (T = {r['T']}, {r['per_pair']} per (α, D) on "
             f"α = {r['alpha_grid']}, D = {r['D_grid']}), batch {r['bs']}, one lr cycle per stage (lr_max {r['lr_max']}).",
             f"Schedule (epochs, β): {r['schedule']}. Survival: readout KL > {r['kl_threshold']} nats (validation set).", '',
             '| stage | β | end epoch | valid loss | recon NLL | total KL | per-neuron KL (readout) | surviving | seconds |',
             '|---|---|---|---|---|---|---|---|---|']
    for s in r['stages']:
        lines.append(f"| {s['stage']} | {s['beta']:g} | {s['end_epoch']} | {s['valid_loss']:.4f} | {s['nll']:.4f} | {s['kld']:.3f} | "
                     f"{', '.join(f'{v:.3g}' for v in s['neuron_kl'])} | {s['surviving']} | {s['seconds']} |")
    ro = r['final_readout']
    lines += ['', 'Final readout (validation set):', '', '| neuron | KL | Var(μ) | mean log σ² | survives | ρ(μ, α) | ρ(μ, log D) |',
              '|---|---|---|---|---|---|---|']
    fmt = lambda v: '–' if v is None else f'{v:.3f}'
    for k in range(len(ro['kl'])):
        lines.append(f"| {k} | {ro['kl'][k]:.4f} | {ro['var_mu'][k]:.4f} | {ro['mean_logvar'][k]:.3f} | {ro['survives'][k]} | "
                     f"{fmt(ro['rho_alpha'][k])} | {fmt(ro['rho_logD'][k])} |")
    s = r['seconds']
    lines += ['', f"Time: data {s['data']} s, fit {s['fit']} s, total {s['total']} s ({s['total']/60:.1f} min; with the overhead "
              f"measurement {s['total_with_overhead']/60:.1f} min). Machine: {r['machine']['cpus']} cores, torch {r['machine']['torch']}, "
              f"{r['machine']['note']}; load average at the end {[round(x, 2) for x in r['machine']['load_avg_at_end']]}."]
    if 'toolkit_overhead_2_epochs' in r:
        o = r['toolkit_overhead_2_epochs']
        lines.append(f"Toolkit overhead, same data, same run: 2 epochs of plain `fit_one_cycle` {o['plain']} s, with KLDs, GMs and "
                     f"per-epoch staged checkpoints (with readout) {o['toolkit']} s: ratio {o['ratio']}.")
    return '\n'.join(lines) + '\n'

if __name__ == '__main__': main()
