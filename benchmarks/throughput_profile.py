"""Profile of one training epoch of the seed example (issue 6, item 1: the profile before and after).

Seed data size (9 α × 5 D × 266 FBM trajectories of 400 positions, batch 256), the seed model, CPU. Measures, in one
process: the data pipeline alone (one pass over the training loader), the forward pass, forward + backward, the
optimiser step, a full fastai epoch (`fit_one_cycle(1)`, training + validation + callbacks), and the same
forward + backward under `torch.compile` (inductor, compile time excluded) and with 1 thread instead of 2.
Every figure is the median over batches of the same run, so they can be compared with each other. Also: the
operators taking the most time in forward + backward (torch.profiler, self time per step), and one thread on half a
batch (the share of one process in two-process data-parallel training).

`--after` profiles the state after the speed work: freed memory kept for reuse (`keep_freed_memory`, the default of
`spivae_learner`), the model's default layout (channels-last on the CPU, `VAEWaveNet.layout = 'auto'`) and the
fastai epoch through `spivae_learner`. Without it, the model runs the plain `(B, C, T)` layout, as before.

Run: `python benchmarks/throughput_profile.py [--compile] [--after]` (about 2 minutes, plus compile time); results go
to benchmarks/results/throughput_profile.json (`--after`: throughput_profile_after.json).
"""
import argparse, json, os, statistics, tempfile, time
from pathlib import Path
import numpy as np
import torch
from fastai.torch_core import set_seed  # python, numpy and torch
from fastai.basics import Learner
from fastai.callback.schedule import fit_one_cycle
from fastai.optimizer import Adam
from spivae.data import load_data
from spivae.models import VAEWaveNet, seed_model_args
from spivae.loss import Loss
from spivae.train import keep_freed_memory, spivae_learner

HERE = Path(__file__).parent
MODEL_ARGS = seed_model_args(400)

def median_ms(f, batches):
    "Median wall-clock milliseconds of `f(x, y)` over `batches` (after one warm-up call)"
    f(*batches[0])
    times = []
    for x, y in batches:
        t0 = time.perf_counter(); f(x, y); times.append(1e3*(time.perf_counter() - t0))
    return round(statistics.median(times), 1)

def new_model(after):
    set_seed(0)
    model = VAEWaveNet(**MODEL_ARGS)
    model.layout = 'auto' if after else 'plain'
    return model

def profile(dls, n_batches, threads, after):
    torch.set_num_threads(threads)
    model = new_model(after)
    loss_fn = Loss(model.receptive_field, model.c_channels, reduction='mean')
    opt = Adam(list(model.parameters()), lr=1e-4)
    batches = [b for _, b in zip(range(n_batches), dls.train)]
    def fwd(x, y):
        with torch.no_grad(): loss_fn(model(x), y)
    def fwd_bwd(x, y):
        loss_fn(model(x), y).backward(); model.zero_grad()
    def step(x, y):
        loss_fn(model(x), y).backward(); opt.step(); opt.zero_grad()
    t0 = time.perf_counter(); n = sum(1 for _ in dls.train); data_s = time.perf_counter() - t0
    res = dict(threads=threads, data_ms_per_batch=round(1e3*data_s/n, 2), forward_ms=median_ms(fwd, batches),
               forward_backward_ms=median_ms(fwd_bwd, batches), train_step_ms=median_ms(step, batches))
    res['optimizer_ms'] = round(res['train_step_ms'] - res['forward_backward_ms'], 1)
    if threads == 1:  # one process's share of a global batch in two-process data-parallel training
        half = [(x[:len(x)//2], y[:len(y)//2]) for x, y in batches]
        res['train_step_half_batch_ms'] = median_ms(step, half)
    else:
        from torch.profiler import profile as tprofile, ProfilerActivity
        n = 5
        with tprofile(activities=[ProfilerActivity.CPU]) as prof:
            for x, y in batches[:n]: fwd_bwd(x, y)
        ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:12]
        res['top_ops_self_ms_per_step'] = {e.key: round(e.self_cpu_time_total/1e3/n, 1) for e in ops}
    return res, batches

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batches', type=int, default=15, help='batches per timing')
    p.add_argument('--compile', action='store_true', help='also time forward + backward under torch.compile')
    p.add_argument('--after', action='store_true', help='with the speed work: freed memory kept, spivae_learner')
    args = p.parse_args()
    if args.after: keep_freed_memory()
    Ds, alphas = np.linspace(2e-5, 2e-2, 5), np.linspace(0.2, 1.8, 9)
    dls = load_data(dict(path=tempfile.mkdtemp(), model='fbm', N=266, T=400, D=Ds, alpha=alphas, seed=0, valid_pct=0.2,
                         bs=256, N_save=266*5, T_save=400, device='cpu'))
    out = dict(load_average_at_start=[round(v, 2) for v in os.getloadavg()], n_train_batches=len(dls.train),
               n_valid_batches=len(dls.valid))
    out['two_threads'], batches = profile(dls, args.batches, 2, args.after)
    out['one_thread'], _ = profile(dls, args.batches, 1, args.after)
    torch.set_num_threads(2)
    model = new_model(args.after)
    if args.after: learn = spivae_learner(dls, model, path=tempfile.mkdtemp())
    else: learn = Learner(dls, model, loss_func=Loss(model.receptive_field, model.c_channels, reduction='mean'),
                          path=tempfile.mkdtemp())
    t0 = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, lr_max=1e-4)
    epoch_s = time.perf_counter() - t0
    tr = out['two_threads']
    compute_s = (tr['train_step_ms']*len(dls.train) + tr['forward_ms']*len(dls.valid)) / 1e3
    out['fastai_epoch_s'] = round(epoch_s, 2)
    out['compute_only_epoch_s'] = round(compute_s, 2)
    out['non_compute_share'] = round(1 - compute_s/epoch_s, 3)
    out['trajectories_per_s'] = round(len(dls.train.dataset)/epoch_s, 1)
    if args.compile:
        m = new_model(args.after)
        lf = Loss(m.receptive_field, m.c_channels, reduction='mean')
        cm = torch.compile(m)
        t0 = time.perf_counter(); lf(cm(batches[0][0]), batches[0][1]).backward(); compile_s = time.perf_counter() - t0
        def fwd_bwd(x, y):
            lf(cm(x), y).backward(); m.zero_grad()
        out['compiled'] = dict(compile_s=round(compile_s, 1), forward_backward_ms=median_ms(fwd_bwd, batches))
        out['compiled']['speedup_vs_eager'] = round(tr['forward_backward_ms']/out['compiled']['forward_backward_ms'], 2)
    out['load_average_at_end'] = [round(v, 2) for v in os.getloadavg()]
    (HERE/'results').mkdir(exist_ok=True)
    (HERE/'results'/f"throughput_profile{'_after' if args.after else ''}.json").write_text(json.dumps(out, indent=1) + '\n')
    print(json.dumps(out, indent=1))

if __name__ == '__main__': main()
