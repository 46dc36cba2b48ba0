"""Benchmark: a data set larger than memory, streamed from disk (issue 6, item 3).

1. `write_stream` generates 2 million FBM trajectories of 400 positions (the paper's 21 α × 10 D training grid,
   9 524 paths per pair) into one stream file of 3.2 GB.
2. One full epoch of the training loader alone (`StreamDL`, batch 256) over the whole file, after asking the
   kernel to drop the file's cached pages (so reads come from disk as far as the machine allows).
3. 20 training batches of the seed model on the stream (the memory of streamed training).
4. The loader-alone epoch of the in-memory loader (`Trajectories` + `TrajDL`) on the first 200 000 rows, which fit
   in memory; then 200 training batches on each loader, one step on each in turn (each loader with its own copy of
   the seed model), so that both see the same machine load: trajectories per second of both.

Peak resident memory (VmHWM) is read after each phase; the process never holds the data set. Results go to
benchmarks/results/stream.json. Run: `python benchmarks/stream.py [--folder DIR]` (about 12 minutes on 2 cores; it
needs 3.3 GB of free disk in DIR, default a temporary folder that is removed afterwards).
"""
import argparse, json, os, platform, shutil, tempfile, time
from pathlib import Path
import numpy as np
import torch
from fastai.torch_core import set_seed  # python, numpy and torch
from fastai.optimizer import Adam
from spivae.data import Trajectories, TrajDL
from spivae.stream import write_stream, StreamTrajectories, StreamDL
from spivae.models import VAEWaveNet, seed_model_args
from spivae.loss import Loss

HERE = Path(__file__).parent
MODEL_ARGS = seed_model_args(400)

def mem_mb(key='VmHWM'):
    "Resident memory of this process in MB: VmHWM (peak so far) or VmRSS (now)"
    for line in open('/proc/self/status'):
        if line.startswith(key): return round(int(line.split()[1])/1024, 1)

def drop_cache(path):
    "Ask the kernel to forget the cached pages of `path`"
    fd = os.open(path, os.O_RDONLY)
    try: os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally: os.close(fd)

def loader_epoch(dl):
    "Trajectories per second of one pass over `dl`, and the number of batches"
    t0, n, nb = time.perf_counter(), 0, 0
    for xb, yb in dl: n += len(xb); nb += 1
    return round(n/(time.perf_counter() - t0)), nb

def seed_model():
    set_seed(0)
    model = VAEWaveNet(**MODEL_ARGS)
    return model, Loss(model.receptive_field, model.c_channels, reduction='mean'), Adam(list(model.parameters()), lr=1e-4)

def train_interleaved(dls, n_batches):
    "Training trajectories per second on each loader of `dls`: one step on each in turn, each with its own model"
    runs = [dict(it=iter(dl), parts=seed_model(), seconds=0., n=0, losses=[]) for dl in dls]
    for i in range(n_batches):
        for r in runs:
            model, loss_fn, opt = r['parts']
            t0 = time.perf_counter()
            xb, yb = next(r['it'])
            loss = loss_fn(model(xb), yb); loss.backward(); opt.step(); opt.zero_grad()
            r['seconds'] += time.perf_counter() - t0; r['n'] += len(xb); r['losses'].append(loss.item())
    return [dict(traj_per_s=round(r['n']/r['seconds'], 1), loss_first_last=[round(r['losses'][0], 3), round(r['losses'][-1], 3)])
            for r in runs]

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--folder', default=None, help='where to write the stream file (kept if given)')
    p.add_argument('--per-pair', type=int, default=9524, help='paths per (alpha, D) pair')
    p.add_argument('--batches', type=int, default=200, help='training batches on each loader')
    p.add_argument('--in-memory', type=int, default=200_000, help='rows of the in-memory comparison')
    args = p.parse_args()
    folder = Path(args.folder or tempfile.mkdtemp())
    ds_args = dict(model='fbm', N=args.per_pair, T=400, alpha=np.linspace(0.2, 1.8, 21), D=np.geomspace(1e-5, 1e-2, 10), seed=0)
    res = dict(machine=dict(cpus=os.cpu_count(), threads=torch.get_num_threads(), python=platform.python_version(),
                            torch=torch.__version__), start_rss_mb=mem_mb('VmRSS'))
    f = folder/'fbm_2M.stream'
    try:
        t0 = time.perf_counter()
        write_stream(f, ds_args, overwrite=True, progress=False)
        ds = StreamTrajectories(f, ds_args)
        res['write'] = dict(rows=len(ds), gigabytes=round(f.stat().st_size/1e9, 2), seconds=round(time.perf_counter() - t0, 1),
                            peak_rss_mb=mem_mb())
        drop_cache(f)
        tps, nb = loader_epoch(StreamDL(ds, bs=256, shuffle=True, drop_last=True))
        res['stream_loader_epoch'] = dict(batches=nb, traj_per_s=tps, peak_rss_mb=mem_mb())
        stream_dl = StreamDL(ds, bs=256, shuffle=True, drop_last=True)
        train_interleaved([stream_dl], 20)  # training from the stream alone: its memory
        res['stream_training_peak_rss_mb'] = mem_mb()
        # the in-memory loader on a size that fits (this raises the peak by the size of the rows it holds)
        mem = Trajectories(ds.rows(np.arange(args.in_memory))[:, 2:], np.zeros(args.in_memory), np.ones(args.in_memory), 'fbm')
        res['in_memory_bytes_mb'] = round(mem.disp.numel()*4/2**20, 1)
        mem_dl = TrajDL(mem, bs=256, shuffle=True, drop_last=True)
        tps, nb = loader_epoch(mem_dl)
        res['memory_loader_epoch'] = dict(rows=args.in_memory, batches=nb, traj_per_s=tps)
        s_run, m_run = train_interleaved([stream_dl, mem_dl], args.batches)
        res['training'] = dict(batches_each=args.batches, stream=s_run, memory=m_run, peak_rss_mb=mem_mb())
    finally:
        if args.folder is None: shutil.rmtree(folder, ignore_errors=True)
    res['ratios'] = dict(loader_stream_over_memory=round(res['stream_loader_epoch']['traj_per_s']/res['memory_loader_epoch']['traj_per_s'], 3),
                         training_stream_over_memory=round(res['training']['stream']['traj_per_s']/res['training']['memory']['traj_per_s'], 3))
    res['load_average_at_end'] = [round(v, 2) for v in os.getloadavg()]
    out = HERE/'results'; out.mkdir(exist_ok=True)
    (out/'stream.json').write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps(res, indent=1))

if __name__ == '__main__': main()
