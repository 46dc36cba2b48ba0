"""Experiment: train only the β = 0 stage of `reproduce.py --process fbm`, and follow what the latent space holds (issue 5).

Whether a reproduction run finds the α neuron is decided by the end of β = 0 (`stage0_probe.py`). This trains that
stage alone on the same data, split, initial weights and batch order as `reproduce.py --seed S` (the same `--data`
cache can be reused), one learning-rate cycle, with the held-out R² of α and of log D on the validation latent means
(`spivae.readout.LatentR2`, quadratic) as columns of the epoch table. Variations:
- `--from CHECKPOINT`: continue a stage-0 checkpoint instead (more β = 0 epochs for a run that missed α);
- `--input-drop P`: in training, each displacement the WaveNet reads is replaced by 0 with probability P (the
  encoder still sees all of them). An autoregressive decoder that can infer α from its own past has little reason
  to take α from the latent space; dropping part of that past (word dropout, Bowman et al., CoNLL 2016) makes the
  latent route pay.
- `--init-seed K`: initial weights and training noise from seed K, data, split and batch order from `--seed`
  (does the initialisation or the data decide?).
- `--encoder-scale`: the encoder reads each trajectory divided by its root-mean-square step, plus the log of that
  scale as a second, constant channel: its convolutions see the shape of the steps (α) apart from their size (D).
  This replaces the encoder's first convolution (freshly initialised), so the model is not the seed model: `--out`
  gets its raw weights (a safetensors state dict), not a spivae checkpoint.
- `--shared-paths`: the reference implementation's data, each path of an exponent rescaled to every D (one set of
  `--per-pair` paths per exponent instead of one per (α, D) pair), with whole paths (all their D versions) on one
  side of the split, so that validation shares no path with training.

Run: `python benchmarks/stage0_train.py --seed 2 --epochs 45 --input-drop 0.3 --out stage0_s2.safetensors`
(about 25 minutes on 2 cores); the saved model can be probed with `stage0_probe.py`.
"""
import argparse, sys, tempfile
from pathlib import Path
import numpy as np, torch
from fastai.basics import Callback
from fastai.torch_core import set_seed
sys.path.insert(0, str(Path(__file__).parent))
from reproduce import model_args_for
from fastai.data.core import DataLoaders
from safetensors.torch import save_file
from spivae.data import load_data, fbm_dataset, split_idxs, TrajDL
from spivae.models import VAEWaveNet
from spivae.readout import LatentR2
from spivae.train import spivae_learner, load_checkpoint, save_model

class InputDrop(Callback):
    "In training, replace each input step of the WaveNet (not of the encoder) by 0 with probability `p`"
    def __init__(self, p): self.p = p
    def before_fit(self):
        def drop(mod, inp):
            if not mod.training: return None
            x = inp[0]
            return (x*(torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p),)
        self.hook = self.learn.model.init_conv.register_forward_pre_hook(drop)
    def after_fit(self): self.hook.remove()

def encoder_scale(model):
    "Give the VAE encoder (x / rms(x), log rms(x)) instead of x: a new first convolution with two input channels"
    enc = model.vae.encoder
    enc[0] = torch.nn.Conv1d(2, enc[0].out_channels, enc[0].kernel_size[0])
    torch.nn.init.kaiming_normal_(enc[0].weight, mode='fan_out', nonlinearity='relu'); torch.nn.init.zeros_(enc[0].bias)
    def scaled(mod, inp):
        x = inp[0]
        rms = x.pow(2).mean(-1, keepdim=True).clamp_min(1e-24).sqrt()
        return (torch.cat([x/rms, rms.log().expand_as(x)], 1),)
    enc.register_forward_pre_hook(scaled)

def shared_path_dls(ds, N, seed, bs):
    "The reference's data from `fbm_dataset`'s: path i of each exponent rescaled to every D; split by whole paths"
    Dg = np.unique(ds.D)
    nA, nD = len(np.unique(ds.alpha)), len(Dg)
    d = ds.disp.view(nA, nD, N, -1)  # rows are ordered by alpha, then D, then path
    d[:, 1:] = d[:, :1] * torch.tensor(np.sqrt(Dg[1:]/Dg[0]), dtype=d.dtype).view(1, -1, 1, 1)
    tr, va = split_idxs(nA*N, 0.2, seed)  # path p = a*N + i is row (a*nD + j)*N + i at the j-th D
    rows = lambda ps: np.sort(np.concatenate([((ps//N)*nD + j)*N + ps % N for j in range(nD)]))
    return DataLoaders(TrajDL(ds.subset(rows(tr)), bs=bs, shuffle=True, drop_last=True), TrajDL(ds.subset(rows(va)), bs=bs),
                       device='cpu')

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seed', type=int, default=0, help="reproduce.py's --seed: data, split, weights, batch order")
    p.add_argument('--init-seed', type=int, default=None,
                   help="seed of the initial weights and of the training noise (default: --seed); the data, split and batch order keep --seed")
    p.add_argument('--data', default=None, help='cache folder of the trajectories (default: a temporary folder)')
    p.add_argument('--per-pair', type=int, default=150)
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--epochs', type=int, default=45)
    p.add_argument('--input-drop', type=float, default=0., help='probability of dropping each WaveNet input step')
    p.add_argument('--encoder-scale', action='store_true', help="the encoder reads x / rms(x) and log rms(x)")
    p.add_argument('--shared-paths', action='store_true', help="the reference's data: each path rescaled to every D")
    p.add_argument('--from', dest='start', default=None, help='a stage-0 checkpoint to continue')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', required=True, help='where to save the trained model (.safetensors)')
    a = p.parse_args()
    if not 0 <= a.input_drop < 1: p.error(f"--input-drop must be in [0, 1), got {a.input_drop}")
    if a.epochs < 1: p.error(f"--epochs must be at least 1, got {a.epochs}")
    if a.start and not Path(a.start).is_file(): p.error(f"--from: no file {a.start}")
    if a.start and a.encoder_scale: p.error("--from continues a seed-model checkpoint: it cannot be combined with --encoder-scale")
    if Path(a.out).exists(): p.error(f"{a.out} exists: choose another --out")
    torch.set_num_threads(a.threads)
    T, D = 400, np.geomspace(1e-5, 1e-2, 10)
    set_seed(a.seed)  # as reproduce.py: the loaders draw their shuffling seeds from python's random when they are built
    ds_args = dict(path=Path(a.data or tempfile.mkdtemp(prefix='spivae_data_')), model='fbm', N=a.per_pair, T=T, D=D,
                   alpha=np.linspace(0.2, 1.8, 21), seed=a.seed, valid_pct=0.2, bs=a.bs, N_save=a.per_pair*len(D), T_save=T,
                   device='cpu')
    if a.shared_paths:
        ds = fbm_dataset(ds_args['path'], a.per_pair, T, ds_args['alpha'], D, a.seed, ds_args['N_save'], T)
        dls = shared_path_dls(ds, a.per_pair, a.seed, a.bs)
    else: dls = load_data(ds_args)
    margs = model_args_for(T)
    set_seed(a.seed if a.init_seed is None else a.init_seed)  # as reproduce.py does right before building the model
    model = VAEWaveNet(**margs)
    if a.start: model.load_state_dict(load_checkpoint(a.start)[0].state_dict())
    if a.encoder_scale: encoder_scale(model)
    learn = spivae_learner(dls, model, metrics=[LatentR2('alpha'), LatentR2('D')],
                           cbs=[InputDrop(a.input_drop)] if a.input_drop else [])
    learn.fit_one_cycle(a.epochs, lr_max=a.lr)
    if a.encoder_scale: save_file({k: v.contiguous() for k, v in learn.model.state_dict().items()}, a.out)
    else: save_model(a.out, learn.model, margs)

if __name__ == '__main__': main()
