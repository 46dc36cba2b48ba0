"""Benchmark: training throughput of the seed example before and after the speed work (issue 6, item 1).

The seed example (9 × 5 FBM pairs, 266 trajectories each, T = 400, batch 256, the seed model,
`fit_one_cycle(4, lr_max=1e-4)`, CPU, 2 threads) trained in fresh processes, one per (configuration, seed), the
configurations alternating so that the machine's load hits them alike:

- `before`: as when the core issue was benchmarked: glibc returns freed memory to the system after every batch, and
  the convolutions run on PyTorch's plain `(B, C, T)` layout (`model.layout = 'plain'`);
- `fp32-plain`: freed memory kept for the next batch (`spivae_learner(..., keep_memory=True)`), plain layout;
- `fp32`: freed memory kept and the model's default layout, channels-last on the CPU (`model.layout = 'auto'`);
- `bf16`: `fp32` plus bfloat16 autocast of the forward pass on the CPU (`spivae_learner(mixed_precision='bf16')`,
  `spivae_train --mixed-precision bf16`), an option since it rounds activations to 8 bits of mantissa;
- `fp32+compile` (with `--compile`): `fp32` plus `torch.compile` of the model (inductor; compile time reported);
- `ddp2`: `fp32` on two data-parallel processes of one thread each (`torchrun --nproc_per_node 2`, gloo,
  `learn.spivae_distrib_ctx()`), each process taking half of every global batch of 256, so the optimisation
  is the single-process one (same global batch, gradients averaged over the two halves).

Per run: seconds per epoch (training + validation), training trajectories per second, validation loss after each
epoch. Because whether the model has found the data's scale after 4 epochs at this learning rate depends on its
seed (see seed_example.md), the losses are compared seed by seed. Results: benchmarks/results/throughput.json, .md.

Run: `python benchmarks/throughput.py [--seeds 0 1 2 3] [--compile]` (about 3 minutes per seed on 2 cores).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

HERE = Path(__file__).parent

WORKER = r'''
import json, math, sys, tempfile, time
import numpy as np, torch
import torch.nn.functional as F
from fastai.basics import Callback
from spivae.data import load_data
from spivae.models import VAEWaveNet, seed_model_args
from spivae.train import spivae_learner
import spivae.train
from fastai.torch_core import rank_distrib, set_seed
from spivae.distributed import rank_batch_size
config, seed, data = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ddp = config.startswith('ddp')
torch.set_num_threads(1 if ddp else 2)  # ddp: one thread in each of the two processes


class EpochTimer(Callback):
    order = 0
    def before_fit(self): self.times, self.n = [], []
    def before_epoch(self): self.t0, self.n_epoch = time.perf_counter(), 0
    def after_batch(self):
        if self.training: self.n_epoch += len(self.xb[0])
    def after_epoch(self): self.times.append(time.perf_counter() - self.t0); self.n.append(self.n_epoch)

Ds, alphas = np.linspace(2e-5, 2e-2, 5), np.linspace(0.2, 1.8, 9)
dls = load_data(dict(path=data, model='fbm', N=266, T=400, D=Ds, alpha=alphas, seed=0, valid_pct=0.2, bs=rank_batch_size(256),
                     N_save=6000, T_save=400, device='cpu'))
if config == 'prepare': sys.exit(0)  # the data cache is written
set_seed(seed)
model = VAEWaveNet(**seed_model_args(400))
model.layout = 'plain' if config == 'before' or 'plain' in config else 'auto'  # 'auto': channels-last on the CPU
compile_s = None
if 'compile' in config:
    t0 = time.perf_counter()
    model = torch.compile(model)
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled='bf16' in config):  # compile outside the timed epochs
        model(dls.one_batch()[0])[0].sum().backward()
    model.zero_grad()
    compile_s = time.perf_counter() - t0
timer = EpochTimer()
learn = spivae_learner(dls, model, mixed_precision="bf16" if "bf16" in config else None, keep_memory=config != "before",
                       cbs=timer, path=tempfile.mkdtemp())
with learn.no_bar(), learn.no_logging():
    if ddp:
        with learn.spivae_distrib_ctx(): learn.fit_one_cycle(4, lr_max=1e-4)
    else: learn.fit_one_cycle(4, lr_max=1e-4)
if rank_distrib(): sys.exit(0)  # rank 0 reports
n_train = timer.n[-1]*(2 if ddp else 1)  # trajectories trained per epoch; ddp: each process trains half of them
print(json.dumps(dict(config=config, seed=seed, seconds_per_epoch=[round(t, 2) for t in timer.times],
                      train_traj_per_s=round(n_train/float(np.median(timer.times)), 1), compile_s=compile_s,
                      valid_loss=[round(float(v[1]), 4) for v in learn.recorder.values])))
'''

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3])
    p.add_argument('--compile', action='store_true', help='also run fp32 + torch.compile')
    p.add_argument('--configs', nargs='+', default=None, help='run only these configurations')
    p.add_argument('--name', default='throughput', help='results go to benchmarks/results/NAME.json')
    args = p.parse_args()
    configs = ['before', 'fp32-plain', 'fp32', 'bf16', 'ddp2'] + (['fp32+compile'] if args.compile else [])
    if args.configs: configs = args.configs
    data = tempfile.mkdtemp()
    script = Path(data)/'worker.py'; script.write_text(WORKER)
    # write the data cache once, before any run: the two processes of a ddp run would race on it
    subprocess.run([sys.executable, str(script), 'prepare', '0', data], check=True, capture_output=True)
    runs, t_all = [], time.perf_counter()
    for s in args.seeds:
        for c in (configs if s % 2 == 0 else configs[::-1]):  # alternate the order between seeds
            launch = ([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2']
                      if c.startswith('ddp') else [sys.executable])
            out = subprocess.run(launch + [str(script), c, str(s), data], capture_output=True, text=True,
                                 env={**os.environ, 'OMP_NUM_THREADS': '1'} if c.startswith('ddp') else None)
            if out.returncode: raise RuntimeError(out.stderr[-3000:])
            runs.append(json.loads(out.stdout.strip().splitlines()[-1])); print(runs[-1], flush=True)
    summary = {}
    for c in configs:
        rs = [r for r in runs if r['config'] == c]
        summary[c] = dict(seconds_per_epoch_median=round(float(np.median([t for r in rs for t in r['seconds_per_epoch']])), 2),
                          train_traj_per_s_median=round(float(np.median([r['train_traj_per_s'] for r in rs])), 1),
                          valid_loss_last=[r['valid_loss'][-1] for r in sorted(rs, key=lambda r: r['seed'])])
    for c in [c for c in configs if c != 'before' and 'before' in configs]:
        summary[c]['speedup_vs_before'] = round(summary[c]['train_traj_per_s_median']/summary['before']['train_traj_per_s_median'], 2)
    res = dict(seeds=args.seeds, runs=runs, summary=summary, minutes=round((time.perf_counter() - t_all)/60, 1),
               core_issue_first_figure=dict(traj_per_s=956, seconds_per_epoch=10.0, source='throughput_profile.md (before)'),
               load_average_at_end=[round(v, 2) for v in os.getloadavg()])
    (HERE/'results').mkdir(exist_ok=True)
    (HERE/'results'/f'{args.name}.json').write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps(summary, indent=1))

if __name__ == '__main__': main()
