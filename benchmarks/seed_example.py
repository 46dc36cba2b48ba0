"""Benchmark: the seed's "Training a VAEWaveNet" example at the seed's data size on this machine.

N = 6000 → 266 trajectories per (alpha, D) on 9 alpha × 5 D (11 970 FBM trajectories of 400 positions, 20 % for
validation), the seed's model, batch 256, `fit_one_cycle(4, lr_max=1e-4)`, for several model seeds (the data and
split stay those of seed 0). Records the data-set generation and cache-load times, seconds per epoch and the
validation loss after each epoch, per seed.

Why several seeds: at lr_max 1e-4 four epochs are the start of training, and whether the model has found the
trajectories' scale by then depends on its initialisation: across seeds the validation loss after 4 epochs is
either about 0.75 (not yet) or well below 0 (found). One run per side cannot compare two implementations; the
spread over seeds is the run-to-run noise the comparison needs.

Optional baseline in the same run (`--per-item`): the same training with a per-item batch pipeline (one Python
`__getitem__` per trajectory and fastai's default collation, as the reference implementation's loaders did). The
reference implementation itself, measured on this machine when the issue was written: about 12.8 s per epoch,
validation loss 0.89 → 0.21 over the 4 epochs (one run).

Run: `python benchmarks/seed_example.py` (about 5 minutes on 2 cores); results go to benchmarks/results/.
"""
import argparse, json, os, platform, tempfile, time
from pathlib import Path
import numpy as np
import torch
from fastai.torch_core import set_seed  # python, numpy and torch
from fastai.basics import Learner, Callback, DataLoader, DataLoaders
from fastai.callback.schedule import fit_one_cycle
from spivae.data import load_data
from spivae.models import VAEWaveNet, seed_model_args
from spivae.loss import Loss

HERE = Path(__file__).parent

class EpochTimer(Callback):
    "Wall-clock seconds of each epoch (training and validation)"
    order = 0
    def before_fit(self): self.times = []
    def before_epoch(self): self.t0 = time.perf_counter()
    def after_epoch(self): self.times.append(time.perf_counter() - self.t0)

class PerItem:
    "The same trajectories served one item at a time"
    def __init__(self, ds): self.ds = ds
    def __len__(self): return len(self.ds)
    def __getitem__(self, i): return self.ds[i]

def train(dls, model_args, epochs, lr, seed):
    set_seed(seed)
    model = VAEWaveNet(**model_args)
    timer = EpochTimer()
    learn = Learner(dls, model, loss_func=Loss(model.receptive_field, model.c_channels, beta=0., reduction='mean'),
                    cbs=timer, path=tempfile.mkdtemp())
    with learn.no_bar(): learn.fit_one_cycle(epochs, lr_max=lr)
    return dict(seconds_per_epoch=[round(t, 2) for t in timer.times], valid_loss=[round(float(v[1]), 4) for v in learn.recorder.values],
                train_loss=[round(float(v[0]), 4) for v in learn.recorder.values])

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', default=None, help='cache folder (default: a fresh temporary folder, so generation is timed)')
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4, 5], help='model seeds')
    p.add_argument('--per-item', action='store_true', help='also train seed 0 with per-item batches')
    args = p.parse_args()
    N = 6_000
    Ds, alphas = np.linspace(2e-5, 2e-2, 5), np.linspace(0.2, 1.8, 9)
    ds_args = dict(path=args.data or tempfile.mkdtemp(), model='fbm', N=int(N/len(alphas)/len(Ds)*2), T=400, D=Ds,
                   alpha=alphas, seed=0, valid_pct=0.2, bs=2**8, N_save=N, T_save=400, device='cpu')
    model_args = seed_model_args(ds_args['T'])
    t0 = time.perf_counter(); dls = load_data(ds_args); t_gen = time.perf_counter() - t0
    t0 = time.perf_counter(); dls = load_data(ds_args); t_load = time.perf_counter() - t0
    res = dict(machine=dict(cpu_count=torch.get_num_threads(), python=platform.python_version(), torch=torch.__version__),
               data=dict(train=len(dls.train.dataset), valid=len(dls.valid.dataset), first_load_s=round(t_gen, 2),
                         cached_load_s=round(t_load, 2)),
               spivae={str(s): train(dls, model_args, args.epochs, 1e-4, s) for s in args.seeds})
    last = np.array([r['valid_loss'][-1] for r in res['spivae'].values()])
    spe = np.array([t for r in res['spivae'].values() for t in r['seconds_per_epoch']])
    n_train = len(dls.train)*dls.train.bs
    res['summary'] = dict(seeds=args.seeds, valid_loss_last_median=round(float(np.median(last)), 3),
                          valid_loss_last_min=round(float(last.min()), 3), valid_loss_last_max=round(float(last.max()), 3),
                          seeds_at_or_below_reference_0_21=int((last <= 0.21).sum()),
                          seconds_per_epoch_median=round(float(np.median(spe)), 2),
                          train_traj_per_s_median=round(float(n_train/np.median(spe)), 1))
    if args.per_item:
        per_item = DataLoaders(DataLoader(PerItem(dls.train.dataset), bs=256, shuffle=True, drop_last=True),
                               DataLoader(PerItem(dls.valid.dataset), bs=256), device='cpu')
        res['baseline_per_item_batches_seed0'] = train(per_item, model_args, args.epochs, 1e-4, 0)
    res['reference_implementation_measured_here'] = dict(seconds_per_epoch=12.8, valid_loss_first=0.89, valid_loss_last=0.21)
    res['seed_doc_printed_run'] = dict(valid_loss=[0.949590, 0.880010, 0.822553, 0.810182], seconds_per_epoch=[28, 25, 26, 29])
    res['load_average_at_end'] = [round(v, 2) for v in os.getloadavg()]
    out = HERE/'results'; out.mkdir(exist_ok=True)
    (out/'seed_example.json').write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps(res, indent=1))

if __name__ == '__main__': main()
